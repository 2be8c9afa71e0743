/**
 * `inject: {controlPlane: down}` (no target): istiod is unavailable from `at` to `until`. Proxies
 * keep their config and certificates; nothing is pushed (endpoint changes included) until it is
 * back; new pods are rejected by the injection webhook (failurePolicy: Fail) or, already created,
 * never get their sidecar config; certificates that expire meanwhile break mTLS
 * (src/k8s/control-plane.ts). Windows of two controlPlane faults may not overlap.
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const controlPlaneFault = defineFault({
  key: 'controlPlane',
  target: 'none',
  exclusive: true,
  schema: z.strictObject({ controlPlane: z.literal('down', { error: 'controlPlane takes down' }) }),
  describe: () => 'istiod down',
  start(ctx) {
    ctx.kube.istiod.setDown();
  },
  end(ctx) {
    ctx.kube.istiod.setUp();
  },
});
