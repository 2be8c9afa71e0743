/** results.json (CONTRACT.md §3), built from a finished simulation. Key order is fixed: output is byte-stable. */
import type { SimulationState } from '../sim/simulate.js';
import type { LatencySummary } from '../telemetry/latency.js';
import type { RequestsJson } from '../telemetry/requests.js';
import type { TimelineEvent } from '../telemetry/timeline.js';
import type { ComponentUsage } from '../telemetry/resources.js';

export const MESHSIM_VERSION = '0.1.0';

export interface ServiceJson { requests: RequestsJson; latency_ms: LatencySummary; retries: number; pods: Record<string, { node: string; requests: number }> }

export interface EdgeJson {
  source: string;
  destination: string;
  requests: number;
  by_code: Record<string, number>;
  by_flag: Record<string, number>;
  by_version: Record<string, number>;
  mtls: boolean;
  latency_ms: LatencySummary;
}

export interface ResultsJson {
  meshsim: string;
  scenario: string;
  description: string;
  seed: number;
  mode: string;
  profile: string;
  simulated: { duration_s: number; warmup_s: number; events: number };
  requests: RequestsJson;
  latency_ms: LatencySummary;
  services: Record<string, ServiceJson>;
  edges: EdgeJson[];
  outlier: { events: TimelineEvent[] };
  connections: { opened: number; mtls_handshakes: number };
  resources: { by_component: Record<string, ComponentUsage>; total: ComponentUsage };
}

export function buildResults(s: SimulationState): ResultsJson {
  const services: Record<string, ServiceJson> = {};
  for (const svc of s.cluster.serviceList) {
    const pods: ServiceJson['pods'] = {};
    for (const p of svc.pods) pods[p.name] = { node: p.node.model.name, requests: p.served };
    services[svc.model.key] = { requests: svc.stats.toJson(), latency_ms: svc.stats.latency.summaryMs(), retries: svc.retries, pods };
  }
  const edges: EdgeJson[] = s.edges.sorted().map((e) => {
    const r = e.requests.toJson();
    const by_version: Record<string, number> = {};
    for (const v of [...e.byVersion.keys()].sort()) by_version[v] = e.byVersion.get(v) as number;
    return {
      source: e.source, destination: e.destination, requests: r.total, by_code: r.by_code, by_flag: r.by_flag,
      by_version, mtls: r.total > 0 && e.mtlsCalls === r.total, latency_ms: e.requests.latency.summaryMs(),
    };
  });
  const byComponent = s.resources;
  const total = Object.values(byComponent).reduce<ComponentUsage>((t, c) => ({
    instances: t.instances + c.instances,
    cpu_cores: Math.round((t.cpu_cores + c.cpu_cores) * 1e6) / 1e6,
    memory_mib: Math.round((t.memory_mib + c.memory_mib) * 1e3) / 1e3,
    monthly_cost_usd: Math.round((t.monthly_cost_usd + c.monthly_cost_usd) * 100) / 100,
  }), { instances: 0, cpu_cores: 0, memory_mib: 0, monthly_cost_usd: 0 });
  return {
    meshsim: MESHSIM_VERSION,
    scenario: s.scenario.name,
    description: s.scenario.description,
    seed: s.seed,
    mode: s.mode,
    profile: s.profile.name,
    simulated: { duration_s: s.durationUs / 1e6, warmup_s: s.scenario.warmupUs / 1e6, events: s.sim.processed },
    requests: s.endUser.toJson(),
    latency_ms: s.endUser.latency.summaryMs(),
    services,
    edges,
    outlier: { events: s.timeline.events.filter((e) => e.type === 'outlier_eject' || e.type === 'outlier_uneject') },
    connections: { opened: s.plane.handshakes.total, mtls_handshakes: s.plane.handshakes.mtls },
    resources: { by_component: byComponent, total },
  };
}
