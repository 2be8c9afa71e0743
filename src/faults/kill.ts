/**
 * `inject: {kill: true}` or `{kill: {gracePeriodSeconds: N}}`: `kubectl delete pod` on the target
 * pods. Graceful deletion (src/k8s/kubelet.ts): the endpoint leaves at once, racing the shutdown;
 * SIGTERM after the preStop hook; the sidecar drains and exits after 5 s; SIGKILL at
 * terminationGracePeriodSeconds (or `gracePeriodSeconds`, as `kubectl delete --grace-period`).
 * The pod's Deployment creates a replacement, which starts and becomes ready.
 * kubernetes/website …/concepts/workloads/pods/pod-lifecycle.md ("Termination of Pods").
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const killFault = defineFault({
  key: 'kill',
  schema: z.strictObject({
    kill: z.union([z.literal(true), z.strictObject({ gracePeriodSeconds: z.number().int().nonnegative().optional() })], {
      error: 'kill takes true or {gracePeriodSeconds}',
    }),
  }),
  describe: (p) =>
    p.kill === true || p.kill.gracePeriodSeconds === undefined ? 'kill' : `kill (grace period ${p.kill.gracePeriodSeconds} s)`,
  start(ctx, p) {
    const graceUs = p.kill === true || p.kill.gracePeriodSeconds === undefined ? undefined : p.kill.gracePeriodSeconds * 1e6;
    for (const pod of ctx.pods) ctx.kube.deletePod(pod, 'killed (kubectl delete pod)', graceUs);
  },
});
