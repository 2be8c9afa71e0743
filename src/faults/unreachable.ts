/** `inject: {unreachable: true}`: packets to the pods are dropped: new connections time out, requests on open ones hang. */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const unreachableFault = defineFault({
  key: 'unreachable',
  schema: z.strictObject({ unreachable: z.literal(true, { error: 'unreachable takes true' }) }),
  describe: () => 'unreachable (packets dropped)',
  start(ctx) {
    for (const pod of ctx.pods) pod.unreachable = true;
  },
  end(ctx) {
    for (const pod of ctx.pods) pod.unreachable = false;
  },
});
