/**
 * What a sidecar does with a call, by whether the host is in the mesh's service registry
 * (Kubernetes Services and ServiceEntry hosts) and the outbound traffic policy
 * (meshConfig.outboundTrafficPolicy, or a Sidecar's own `outboundTrafficPolicy`):
 * - in the registry: the host's own cluster (`outbound|port||host`), VirtualServices and
 *   DestinationRules apply;
 * - not in it, ALLOW_ANY (the default): the catch-all route `allow_any` to PassthroughCluster, an
 *   ORIGINAL_DST cluster to whatever address the app dialled, with no retry policy, no timeout and
 *   no DestinationRule;
 * - not in it, REGISTRY_ONLY: the catch-all virtual host `block_all`, a direct response 502 for
 *   HTTP; TLS and other TCP traffic goes to BlackHoleCluster, a cluster with no endpoints, and the
 *   connection is closed (tcp_proxy: no healthy upstream, UH).
 * Sources: istio/istio pilot/pkg/networking/core/httproute.go (buildCatchAllVirtualHost),
 * pilot/pkg/networking/util/util.go (BlackHoleCluster, BlackHoleRouteName "block_all",
 * PassthroughCluster, PassthroughRouteName "allow_any"); istio/api mesh/v1alpha1/config.proto
 * OutboundTrafficPolicy; https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/.
 */
import type { OutboundTrafficMode, ServiceModel } from '../config/model.js';

export type OutboundDecision = 'registry' | 'passthrough' | 'blackhole';

/** Envoy cluster names Istio gives the two catch-alls (also istio_requests_total's destination_service). */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

/** The status of `block_all`'s direct response (httproute.go buildCatchAllVirtualHost). */
export const BLACKHOLE_HTTP_STATUS = 502;

export function outboundDecision(registered: boolean, mode: OutboundTrafficMode): OutboundDecision {
  if (registered) return 'registry';
  return mode === 'REGISTRY_ONLY' ? 'blackhole' : 'passthrough';
}

/** Whether the sidecar handles calls to this host as HTTP (else it only forwards TLS/TCP by SNI or address). */
export const isHttpHost = (svc: ServiceModel): boolean => svc.external?.protocol !== 'https';
