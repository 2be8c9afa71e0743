/** `inject: {latency: 500ms}`: every request the pods serve takes that much longer. */
import * as z from 'zod';
import { duration } from '../config/schema.js';
import { formatDuration } from '../config/units.js';
import { defineFault } from './fault-kind.js';

export const latencyFault = defineFault({
  key: 'latency',
  schema: z.strictObject({ latency: duration() }),
  describe: (p) => `latency +${formatDuration(p.latency)}`,
  start(ctx, p) {
    for (const pod of ctx.pods) pod.faultLatencyUs += p.latency;
  },
  end(ctx, p) {
    for (const pod of ctx.pods) pod.faultLatencyUs -= p.latency;
  },
});
