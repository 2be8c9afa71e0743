/** `inject: {errorRate: 0.3, status: 503}`: the pods answer that share of requests with that status. */
import * as z from 'zod';
import { httpStatus, probability } from '../config/schema.js';
import { defineFault } from './fault-kind.js';

export const errorRateFault = defineFault({
  key: 'errorRate',
  companions: ['status'],
  schema: z.strictObject({ errorRate: probability(), status: httpStatus().default(503) }),
  describe: (p) => `errorRate ${p.errorRate} status ${p.status}`,
  start(ctx, p) {
    for (const pod of ctx.pods) {
      pod.faultErrorRate = p.errorRate;
      pod.faultErrorStatus = p.status;
    }
  },
  end(ctx) {
    for (const pod of ctx.pods) pod.faultErrorRate = 0;
  },
});
