/** One-way pod-to-pod latency by placement: same node, same zone, or across zones. */
import type { NetworkModel } from '../config/model.js';
import type { NodeRt } from '../world/entities.js';

export function oneWayUs(net: NetworkModel, a: NodeRt, b: NodeRt): number {
  if (a === b) return net.sameNodeUs;
  return a.model.zone === b.model.zone ? net.sameZoneUs : net.crossZoneUs;
}
