/** `inject: {crash: true}`: the pods' containers die; with `until` they come back then. */
import { z } from 'zod';
import { defineFault } from './fault-kind.js';

export const crashFault = defineFault({
  key: 'crash',
  schema: z.strictObject({ crash: z.literal(true, { error: 'crash takes true' }) }),
  describe: () => 'crash',
  start(ctx) {
    for (const pod of ctx.pods) {
      if (pod.crashed) continue;
      ctx.timeline.add('pod_crash', { pod: pod.name, service: pod.service.model.key });
      ctx.crash(pod);
    }
  },
  end(ctx) {
    for (const pod of ctx.pods) {
      if (!pod.crashed) continue;
      pod.crashed = false;
      ctx.timeline.add('pod_restart', { pod: pod.name, service: pod.service.model.key });
    }
  },
});
