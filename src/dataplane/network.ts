/** One-way pod-to-pod latency by placement: same node, same zone, or across zones. */
import type { NetworkModel } from '../config/model.js';
import type { NodeRt, PodRt } from '../world/entities.js';

export function oneWayUs(net: NetworkModel, a: NodeRt, b: NodeRt): number {
  if (a === b) return net.sameNodeUs;
  return a.model.zone === b.model.zone ? net.sameZoneUs : net.crossZoneUs;
}

/**
 * A call from `from` answered by `pod` crossed zones (billed as inter-zone transfer). Traffic to an
 * external host is internet egress, not inter-zone transfer: never counted here.
 */
export function crossesZones(from: NodeRt, pod: PodRt): boolean {
  return pod.service.model.external === undefined && from.model.zone !== pod.node.model.zone;
}
