/**
 * Time-averaged resources per component (app, then each component the mode declares in the mode
 * registry) and their monthly cost at the profile's prices. CPU is what was used; memory is each
 * component's model: apps their memory request, proxies their mode's memory model, control planes
 * their own footprint.
 */
import type { MeshModeDef, UsageInputs } from '../modes/mode.js';
import type { PodRt } from '../world/entities.js';
import { GATEWAY_PROXY_KIND } from '../dataplane/ingress.js';
import { envoyMemoryBytes } from '../modes/istiod.js';

export type { UsageInputs };

export interface ComponentUsage {
  instances: number;
  cpu_cores: number;
  memory_mib: number;
  monthly_cost_usd: number;
}

const MIB = 1024 * 1024;
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

export function resourceUsage(mode: MeshModeDef, s: UsageInputs): Record<string, ComponentUsage> {
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
  // Pods created or removed during the run (scale, rollout, replacements) count for the share of
  // the run they existed; instances are the pods (and their sidecars) that exist at the end.
  const share = (p: PodRt) => (p.createdUs === 0 && p.goneUs === undefined ? 1 : lifetimeShare(p, durationUs));
  const sidecarOf = new Map<unknown, PodRt>(pods.filter((p) => p.sidecar).map((p) => [p.sidecar, p]));
  put(
    'app',
    pods.filter((p) => p.goneUs === undefined).length,
    pods.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
    pods.reduce((n, p) => n + p.service.model.resources.requestMemoryBytes * share(p), 0),
  );

  for (const component of mode.components) {
    const memory = component.proxyMemoryBytes;
    if (memory) {
      const proxies = s.plane.proxies.filter((p) => p.kind === component.name);
      if (proxies.length === 0) continue;
      // A pod's sidecar lives as long as its pod.
      const shareOf = (p: (typeof proxies)[number]) => {
        const pod = sidecarOf.get(p);
        return pod ? share(pod) : 1;
      };
      put(
        component.name,
        proxies.filter((p) => sidecarOf.get(p)?.goneUs === undefined).length,
        proxies.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
        proxies.reduce((n, p) => n + memory(p, s) * shareOf(p), 0),
      );
    } else {
      const f = component.footprint?.(s);
      if (f) put(component.name, f.instances, f.cores, f.bytes);
    }
  }
  // Ingress gateway pods in every mode: Envoys that hold the whole mesh's clusters, like a sidecar.
  const gateways = s.plane.proxies.filter((p) => p.kind === GATEWAY_PROXY_KIND);
  if (gateways.length > 0) {
    const services = s.cluster.serviceList;
    const endpoints = services.reduce((n, svc) => n + svc.pods.length, 0);
    put(
      GATEWAY_PROXY_KIND,
      gateways.length,
      gateways.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
      gateways.reduce((n, p) => n + envoyMemoryBytes(p.costs, services.length, endpoints, p.connections.mean(s.nowUs)), 0),
    );
  }
  return out;
}

/** The share of [0, horizon] a pod existed. */
function lifetimeShare(p: PodRt, horizonUs: number): number {
  if (horizonUs <= 0) return 1;
  const end = Math.min(p.goneUs ?? horizonUs, horizonUs);
  return Math.max(0, end - Math.min(p.createdUs, horizonUs)) / horizonUs;
}

/** What Sidecar scoping saves: the services each sidecar holds, and the mesh's memory without scoping. */
export interface ConfigScoping {
  /** Services in the mesh, and how many a sidecar holds config for on average. */
  services: number;
  services_held_mean: number;
  /** The same run's proxy and control-plane memory had no Sidecar resource scoped anything. */
  unscoped_memory_mib: Record<string, number>;
  saved_memory_mib: number;
}

/**
 * Sidecar scoping's saving, when the mode scopes proxies' config (Sidecar resources) and any is
 * scoped: the memory model run again with every proxy holding the whole mesh.
 */
export function configScoping(mode: MeshModeDef, s: UsageInputs, scoped: Record<string, ComponentUsage>): ConfigScoping | undefined {
  const visible = s.plane.visibleServices;
  if (!visible || !s.plane.proxyConfigShare) return undefined;
  const proxies = s.plane.proxies.filter((p) => p.kind === 'sidecar');
  const held = proxies.reduce((n, p) => n + visible.call(s.plane, p).length, 0);
  const services = s.cluster.serviceList.length;
  if (proxies.length === 0 || held === proxies.length * services) return undefined;
  const unscopedPlane = Object.create(s.plane, {
    visibleServices: { value: undefined },
    proxyConfigShare: { value: undefined },
  }) as typeof s.plane;
  const unscoped = resourceUsage(mode, { ...s, plane: unscopedPlane });
  const unscoped_memory_mib: Record<string, number> = {};
  let saved = 0;
  for (const c of mode.components) {
    const u = unscoped[c.name];
    if (!u) continue;
    unscoped_memory_mib[c.name] = u.memory_mib;
    saved += u.memory_mib - (scoped[c.name]?.memory_mib ?? 0);
  }
  return { services, services_held_mean: round(held / proxies.length, 3), unscoped_memory_mib, saved_memory_mib: round(saved, 3) };
}
