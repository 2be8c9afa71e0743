/**
 * Time-averaged resources per component (app, then each component the mode declares in the mode
 * registry) and their monthly cost at the profile's prices. CPU is what was used; memory is each
 * component's model: apps their memory request, proxies their mode's memory model, control planes
 * their own footprint.
 */
import type { MeshModeDef, UsageInputs } from '../modes/mode.js';

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
  put(
    'app',
    pods.length,
    pods.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
    pods.reduce((n, p) => n + p.service.model.resources.requestMemoryBytes, 0),
  );

  for (const component of mode.components) {
    const memory = component.proxyMemoryBytes;
    if (memory) {
      const proxies = s.plane.proxies.filter((p) => p.kind === component.name);
      if (proxies.length === 0) continue;
      put(
        component.name,
        proxies.length,
        proxies.reduce((n, p) => n + p.cpuUsedUs, 0) / durationUs,
        proxies.reduce((n, p) => n + memory(p, s), 0),
      );
    } else {
      const f = component.footprint?.(s);
      if (f) put(component.name, f.instances, f.cores, f.bytes);
    }
  }
  return out;
}
