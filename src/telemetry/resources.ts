/**
 * Time-averaged resources per component (app, sidecar, ztunnel, waypoint, istiod) and their
 * monthly cost at the profile's prices. CPU is what was used; memory is each component's model:
 * apps their memory request, proxies base + config + connections, istiod base + per proxy.
 */
import type { MeshMode } from '../config/model.js';
import type { MeshPlane } from '../dataplane/modes.js';
import type { CostProfile } from '../config/profile.js';
import type { Proxy } from '../dataplane/proxy.js';
import type { Cluster } from '../world/build.js';

/** What resource accounting reads, at the moment it is taken (the run's horizon). */
export interface UsageInputs {
  cluster: Cluster;
  plane: MeshPlane;
  profile: CostProfile;
  mode: MeshMode;
  nowUs: number;
}

export interface ComponentUsage {
  instances: number;
  cpu_cores: number;
  memory_mib: number;
  monthly_cost_usd: number;
}

const MIB = 1024 * 1024;
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Memory of one proxy in bytes (MB and KB in profiles are 10^6 and 10^3 bytes). */
export function proxyMemoryBytes(p: Proxy, s: UsageInputs): number {
  const c = p.costs;
  const now = s.nowUs;
  const services = s.cluster.serviceList;
  let config = 0;
  if (p.kind === 'sidecar') {
    // Without Sidecar scoping every sidecar holds every service (cluster) and endpoint of the mesh.
    const endpoints = services.reduce((n, svc) => n + svc.pods.length, 0);
    config = (services.length + c.builtinClusters) * c.memPerClusterKB * 1e3 + endpoints * c.memPerEndpointKB * 1e3;
  } else if (p.kind === 'waypoint') {
    const svc = services.find((x) => x.waypoint === p);
    config = (1 + c.builtinClusters) * c.memPerClusterKB * 1e3 + (svc?.pods.length ?? 0) * c.memPerEndpointKB * 1e3;
  } else {
    const workloads =
      services.reduce((n, svc) => n + svc.pods.filter((pod) => pod.node === p.node).length, 0) +
      s.cluster.clients.filter((cl) => cl.node === p.node).length;
    config = workloads * c.memPerWorkloadKB * 1e3;
  }
  return c.baseMemoryMB * 1e6 + config + p.connections.mean(now) * c.memPerConnectionKB * 1e3;
}

export function resourceUsage(s: UsageInputs): Record<string, ComponentUsage> {
  const durationUs = s.nowUs;
  const prices = s.profile.prices;
  const cost = (cores: number, mib: number) =>
    round((cores * prices.vcpuHourUsd + (mib / 1024) * prices.gibHourUsd) * prices.hoursPerMonth, 2);
  const out: Record<string, ComponentUsage> = {};
  const put = (name: string, instances: number, cores: number, bytes: number) => {
    const mib = bytes / MIB;
    out[name] = { instances, cpu_cores: round(cores), memory_mib: round(mib, 3), monthly_cost_usd: cost(cores, mib) };
  };

  const pods = s.cluster.serviceList.flatMap((svc) => svc.pods);
  put(
    'app',
    pods.length,
    pods.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
    pods.reduce((n, p) => n + p.service.model.resources.requestMemoryBytes, 0),
  );

  for (const kind of ['sidecar', 'ztunnel', 'waypoint'] as const) {
    const proxies = s.plane.proxies.filter((p) => p.kind === kind);
    if (proxies.length === 0) continue;
    put(
      kind,
      proxies.length,
      proxies.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
      proxies.reduce((n, p) => n + proxyMemoryBytes(p, s), 0),
    );
  }

  if (s.mode !== 'none') {
    const i = s.profile.istiod;
    const connected = s.plane.proxies.length;
    put('istiod', 1, i.baseCpuCores + i.cpuPerProxyCores * connected, (i.baseMemoryMB + i.memPerProxyMB * connected) * 1e6);
  }
  return out;
}
