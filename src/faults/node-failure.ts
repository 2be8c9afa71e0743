/**
 * `inject: {nodeFailure: true}` with `target: {node: NAME}`: the node stops (power, kernel, network).
 * Its pods stop answering — connects time out, nothing is refused; after node-monitor-grace-period
 * the node is NotReady and its pods leave the endpoints; after the 300 s unreachable toleration they
 * are evicted and recreated on nodes that can take them (src/k8s/node-lifecycle.ts). With `until`
 * the node comes back then: pods still bound to it restart there.
 */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const nodeFailureFault = defineFault({
  key: 'nodeFailure',
  target: 'node',
  schema: z.strictObject({ nodeFailure: z.literal(true, { error: 'nodeFailure takes true' }) }),
  describe: () => 'node failure',
  start(ctx) {
    if (ctx.node) ctx.kube.failNode(ctx.node);
  },
  end(ctx) {
    if (ctx.node) ctx.kube.recoverNode(ctx.node);
  },
});
