/**
 * The chaos script: each fault starts at `at` and, where it has an end, is undone at `until`.
 * Pod targets are resolved when the fault starts, among the pods that exist then (not deleted), so
 * `pod: 0` is the first live pod of the service (or version) at that moment.
 */
import type { FaultModel } from '../config/model.js';
import type { PodRt } from '../world/entities.js';
import { targetPods } from '../world/faults.js';
import type { FaultContext } from './fault-kind.js';
import { faultKind } from './registry.js';

export function scheduleFaults(faults: readonly FaultModel[], base: Omit<FaultContext, 'pods'>): void {
  const { sim, timeline, cluster, kube } = base;
  const alive = (pod: PodRt) => {
    const s = kube.status(pod);
    return s === undefined || (!s.deleting && s.phase !== 'Terminated');
  };
  for (const fault of faults) {
    const inject = fault.inject;
    if (!inject) continue;
    const kind = faultKind(inject.kind);
    const node = fault.node === undefined ? undefined : cluster.nodes.find((n) => n.model.name === fault.node);
    const ctx: FaultContext = { ...base, pods: [], target: fault.target, node };
    sim.at(
      fault.atUs,
      () => {
        if (fault.target && (kind.target ?? 'pods') === 'pods') ctx.pods = targetPods(cluster.services, fault.target, alive);
        timeline.add('fault_start', { fault: fault.label, pods: ctx.pods.map((p) => p.name).join(',') });
        kind.start(ctx, inject.params);
      },
      undefined,
    );
    const end = kind.end;
    if (fault.untilUs === undefined || !end) continue;
    sim.at(
      fault.untilUs,
      () => {
        timeline.add('fault_end', { fault: fault.label, pods: ctx.pods.map((p) => p.name).join(',') });
        end(ctx, inject.params);
      },
      undefined,
    );
  }
}
