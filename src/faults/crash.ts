/**
 * `inject: {crash: true}`: the pods' app containers die. The kubelet restarts them with
 * CrashLoopBackOff and, while the fault lasts, every restart dies again; the first restart after
 * `until` is healthy (src/k8s/kubelet.ts).
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const crashFault = defineFault({
  key: 'crash',
  schema: z.strictObject({ crash: z.literal(true, { error: 'crash takes true' }) }),
  describe: () => 'crash',
  start(ctx) {
    for (const pod of ctx.pods) {
      if (pod.crashed) continue;
      ctx.timeline.add('pod_crash', { pod: pod.name, service: pod.service.model.key, service_retries: pod.service.retries });
      ctx.crash(pod);
    }
  },
  end(ctx) {
    for (const pod of ctx.pods) ctx.kube.heal(pod);
  },
});
