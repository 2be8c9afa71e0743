/** The pods a fault's target names (the chaos script itself is src/faults). */
import type { FaultModel } from '../config/model.js';
import type { PodRt, ServiceRt } from './entities.js';

export function targetPods(
  services: Map<string, ServiceRt>,
  target: NonNullable<FaultModel['target']>,
  alive: (pod: PodRt) => boolean = () => true,
): PodRt[] {
  const svc = services.get(target.service);
  if (!svc) return [];
  const pods = svc.pods.filter((p) => alive(p) && (target.version === undefined || p.version.name === target.version));
  return target.pod === 'all' ? pods : pods.slice(target.pod, target.pod + 1);
}
