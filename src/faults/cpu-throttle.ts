/** `inject: {cpuThrottle: 0.5}`: the pods get that share of their CPU, so their work takes longer. */
import * as z from 'zod';
import { defineFault } from './fault-kind.js';

export const cpuThrottleFault = defineFault({
  key: 'cpuThrottle',
  schema: z.strictObject({ cpuThrottle: z.number().gt(0).max(1) }),
  describe: (p) => `cpuThrottle ${p.cpuThrottle}`,
  start(ctx, p) {
    for (const pod of ctx.pods) pod.throttle *= p.cpuThrottle;
  },
  end(ctx, p) {
    for (const pod of ctx.pods) pod.throttle /= p.cpuThrottle;
  },
});
