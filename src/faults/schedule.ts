/** The chaos script: each fault starts at `at` and, where it has an end, is undone at `until`. */
import type { FaultModel } from '../config/model.js';
import { targetPods } from '../world/faults.js';
import type { FaultContext } from './fault-kind.js';
import { faultKind } from './registry.js';

export function scheduleFaults(faults: readonly FaultModel[], base: Omit<FaultContext, 'pods'>): void {
  const { sim, timeline, cluster } = base;
  for (const fault of faults) {
    const inject = fault.inject;
    if (!inject) continue;
    const kind = faultKind(inject.kind);
    const pods = fault.target ? targetPods(cluster.services, fault.target) : [];
    const ctx: FaultContext = { ...base, pods };
    const names = pods.map((p) => p.name).join(',');
    sim.at(
      fault.atUs,
      () => {
        timeline.add('fault_start', { fault: fault.label, pods: names });
        kind.start(ctx, inject.params);
      },
      undefined,
    );
    const end = kind.end;
    if (fault.untilUs === undefined || !end) continue;
    sim.at(
      fault.untilUs,
      () => {
        timeline.add('fault_end', { fault: fault.label, pods: names });
        end(ctx, inject.params);
      },
      undefined,
    );
  }
}
