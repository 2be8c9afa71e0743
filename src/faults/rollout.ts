/**
 * `inject: {rollout: {version: V}}` on a service (and the version it runs now, if it has several): a
 * Deployment rolling update to the pod template of version V (its labels, service time, failure
 * rate — declare V in the service's `versions`, with `replicas: 0` if it has no pods yet). The
 * ReplicaSets follow maxSurge / maxUnavailable (`strategy`, 25% / 25% by default, surge rounded up,
 * unavailable down). kubernetes/kubernetes pkg/controller/deployment/rolling.go;
 * kubernetes/website …/workloads/controllers/deployment.md.
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';
import { deploymentProblems } from './deployment-target.js';

export const rolloutFault = defineFault({
  key: 'rollout',
  target: 'deployment',
  schema: z.strictObject({ rollout: z.strictObject({ version: z.string() }) }),
  describe: (p) => `rollout to ${p.rollout.version}`,
  check(p, fault, scenario) {
    const svc = scenario.services.find((s) => s.key === fault.target?.service);
    const problems = deploymentProblems('rollout', fault, scenario);
    if (svc && !svc.versions.some((v) => v.name === p.rollout.version))
      problems.push({
        path: ['inject', 'rollout', 'version'],
        message: `inject.rollout.version: service "${svc.name}" has no version "${p.rollout.version}" (versions: ${svc.versions
          .map((v) => v.name)
          .join(', ')}); declare it in versions, with replicas: 0`,
      });
    if (svc && fault.target?.version === p.rollout.version)
      problems.push({
        path: ['inject', 'rollout', 'version'],
        message: 'inject.rollout.version: the Deployment already runs this version',
      });
    return problems;
  },
  start(ctx, p) {
    const svc = ctx.target && ctx.cluster.services.get(ctx.target.service);
    const to = svc?.model.versions.find((v) => v.name === p.rollout.version);
    if (svc && to) ctx.kube.rollout(svc, ctx.target?.version, to);
  },
});
