/**
 * `inject: {scale: {replicas: N}}` on a service (and version, if it has several): `kubectl scale` of
 * its Deployment. New pods start and become ready before they take traffic; removed pods (not
 * ready and newest first) terminate gracefully. kubernetes/kubernetes
 * pkg/controller/replicaset/replica_set.go (manageReplicas); pkg/controller/controller_utils.go.
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';
import { deploymentProblems } from './deployment-target.js';

export const scaleFault = defineFault({
  key: 'scale',
  target: 'deployment',
  schema: z.strictObject({ scale: z.strictObject({ replicas: z.number().int().nonnegative() }) }),
  describe: (p) => `scale to ${p.scale.replicas}`,
  check: (_p, fault, scenario) => deploymentProblems('scale', fault, scenario),
  start(ctx, p) {
    const svc = ctx.target && ctx.cluster.services.get(ctx.target.service);
    if (svc) ctx.kube.scaleService(svc, ctx.target?.version, p.scale.replicas);
  },
});
