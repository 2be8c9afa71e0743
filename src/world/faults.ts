/** The chaos script: faults switched on at `at` and off at `until` on their target pods. */
import type { Simulator } from '../kernel/simulator.js';
import type { FaultModel } from '../config/model.js';
import type { Timeline } from '../record/timeline.js';
import type { PodRt, ServiceRt } from './entities.js';

export interface FaultHooks {
  crash(pod: PodRt): void;
  restart(pod: PodRt): void;
}

export function targetPods(services: Map<string, ServiceRt>, target: NonNullable<FaultModel['target']>): PodRt[] {
  const svc = services.get(target.service);
  if (!svc) return [];
  const pods = svc.pods.filter((p) => target.version === undefined || p.version.name === target.version);
  return target.pod === 'all' ? pods : pods.slice(target.pod, target.pod + 1);
}

export function scheduleFaults(
  sim: Simulator,
  faults: FaultModel[],
  services: Map<string, ServiceRt>,
  timeline: Timeline,
  hooks: FaultHooks,
): void {
  for (const fault of faults) {
    const inject = fault.inject;
    if (!inject || !fault.target) continue;
    const pods = targetPods(services, fault.target);
    const names = pods.map((p) => p.name).join(',');
    sim.at(
      fault.atUs,
      () => {
        timeline.add('fault_start', { fault: fault.label, pods: names });
        for (const pod of pods) {
          switch (inject.kind) {
            case 'error':
              pod.faultErrorRate = inject.rate;
              pod.faultErrorStatus = inject.status;
              break;
            case 'latency':
              pod.faultLatencyUs += inject.addUs;
              break;
            case 'cpuThrottle':
              pod.throttle *= inject.factor;
              break;
            case 'unreachable':
              pod.unreachable = true;
              break;
            case 'crash':
              if (!pod.crashed) {
                timeline.add('pod_crash', { pod: pod.name, service: pod.service.model.key });
                hooks.crash(pod);
              }
              break;
          }
        }
      },
      undefined,
    );
    if (fault.untilUs === undefined) continue;
    sim.at(
      fault.untilUs,
      () => {
        timeline.add('fault_end', { fault: fault.label, pods: names });
        for (const pod of pods) {
          switch (inject.kind) {
            case 'error':
              pod.faultErrorRate = 0;
              break;
            case 'latency':
              pod.faultLatencyUs -= inject.addUs;
              break;
            case 'cpuThrottle':
              pod.throttle /= inject.factor;
              break;
            case 'unreachable':
              pod.unreachable = false;
              break;
            case 'crash':
              if (pod.crashed) {
                pod.crashed = false;
                timeline.add('pod_restart', { pod: pod.name, service: pod.service.model.key });
                hooks.restart(pod);
              }
              break;
          }
        }
      },
      undefined,
    );
  }
}
