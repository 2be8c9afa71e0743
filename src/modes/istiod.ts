/** istiod, the Istio control plane both Istio modes run: one instance, base + per connected proxy. */
import type { ProxyCosts } from '../config/profile.js';
import type { PodRequest } from '../k8s/scheduler.js';
import type { ComponentDef } from './mode.js';

const Mi = 1024 ** 2;

/**
 * Requests of Istio's pods (manifests/charts/istio-control/istio-discovery/values.yaml):
 * istiod `pilot.resources` 500m / 2048Mi; the injected `istio-proxy` `global.proxy.resources`
 * 100m / 128Mi; a waypoint `waypoint.resources` 100m / 128Mi.
 */
export const ISTIOD_POD: PodRequest = { name: 'istiod-0', group: 'istiod', cpu: 0.5, memory: 2048 * Mi };
export const ISTIO_PROXY_REQUESTS = { cpu: 0.1, memory: 128 * Mi };
export const WAYPOINT_REQUESTS = { cpu: 0.1, memory: 128 * Mi };

export const istiodComponent: ComponentDef = {
  name: 'istiod',
  colour: '#ea580c',
  footprint: ({ profile, plane }) => {
    const i = profile.istiod;
    // Per connected proxy: a fixed part, and a part that scales with the config istiod builds and
    // pushes to it, which a Sidecar resource's egress hosts shrink. Unscoped proxies count 1 each.
    const share = plane.proxyConfigShare;
    const connected = share
      ? plane.proxies.reduce((n, p) => n + i.perProxyFixedShare + (1 - i.perProxyFixedShare) * share(p), 0)
      : plane.proxies.length;
    return {
      instances: 1,
      cores: i.baseCpuCores + i.cpuPerProxyCores * connected,
      bytes: (i.baseMemoryMB + i.memPerProxyMB * connected) * 1e6,
    };
  },
};

/** The config an Envoy holds: its clusters (services, plus built-ins) and endpoints, in bytes. */
export function envoyConfigBytes(costs: ProxyCosts, clusters: number, endpoints: number): number {
  return (clusters + costs.builtinClusters) * costs.memPerClusterKB * 1e3 + endpoints * costs.memPerEndpointKB * 1e3;
}

/** Memory of an Envoy proxy (MB and KB in profiles are 10^6 and 10^3 bytes): base, config (clusters and endpoints), connections. */
export function envoyMemoryBytes(costs: ProxyCosts, clusters: number, endpoints: number, meanConnections: number): number {
  const config = envoyConfigBytes(costs, clusters, endpoints);
  return costs.baseMemoryMB * 1e6 + config + meanConnections * costs.memPerConnectionKB * 1e3;
}
