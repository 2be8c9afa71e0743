/** results.json (README.md "results.json"), built from a finished simulation. Key order is fixed: output is byte-stable. */
import type { SimulationState } from '../sim/simulate.js';
import { runWarnings } from '../sim/warnings.js';
import type { LatencySummary } from '../record/latency.js';
import type { RequestsJson } from '../record/requests.js';
import type { TimelineEvent } from '../record/timeline.js';
import { LIFECYCLE_EVENT_TYPES } from '../k8s/events.js';
import type { CanaryRun } from '../sim/canary.js';
import type { ComponentUsage, ConfigScoping } from '../telemetry/resources.js';
import { emptyClusterStats, type ClusterStats } from '../dataplane/envoy-cluster.js';
import { DEFAULT_NODE_PRICES } from '../k8s/placement.js';
import { MESHSIM_VERSION } from './version.js';

export { MESHSIM_VERSION };

export interface ServiceJson {
  requests: RequestsJson;
  latency_ms: LatencySummary;
  retries: number;
  /** Share of the service time that is CPU work (services[].cpuShare). */
  cpu_share: number;
  pods: Record<string, { node: string; requests: number }>;
  /**
   * Replicas (the Deployments' spec.replicas, summed over versions): at t=0, at the end, the most;
   * for a service an HPA scales, `timeline` has them at every HPA sync with the Ready pods.
   */
  replicas: { initial: number; final: number; max: number; timeline?: { t_s: number; replicas: number; ready: number }[] };
}

/** One HorizontalPodAutoscaler over the run: every sync's current and desired replicas and metrics against targets. */
export interface HpaJson {
  target: string;
  service: string;
  min_replicas: number;
  max_replicas: number;
  /** At every 15 s sync: status.currentReplicas, status.desiredReplicas, Ready pods, each metric (current and target, % for Utilization). */
  samples: {
    t_s: number;
    current: number;
    desired: number;
    ready: number;
    metrics: { name: string; current: number | null; target: number }[];
  }[];
}

/** The nodes: how many, how many run workload pods, pods that fit nowhere, and what the nodes cost. */
export interface ClusterResultJson {
  nodes: number;
  nodes_used: number;
  pods_pending: number;
  /** Nodes the t=0 pods' requests need, by first-fit-decreasing bin packing on the node shape. */
  nodes_needed: number;
  placement: 'hash' | 'requests';
  /** Sum of the requests of every pod (apps, sidecars, DaemonSets, control plane) against allocatable. */
  requests: { cpu_cores: number; memory_mib: number };
  allocatable: { cpu_cores: number; memory_mib: number };
  /** Every node's allocatable vCPU and memory at node prices, whatever the pods use. */
  node_monthly_cost_usd: number;
  pending: { pod: string; reason: string }[];
  /** With `cluster.autoscale`: the cluster autoscaler over the run (node counts at the end and above are the nodes alive then; cost over each node's lifetime). */
  autoscale?: AutoscaleJson;
}

export interface AutoscaleJson {
  min: number;
  max: number;
  provisioning_delay_s: number;
  nodes_initial: number;
  nodes_max: number;
  /** Node-hours over [0, duration]. */
  node_hours: number;
  /** Every 10 s scan: nodes, their cores, CPU used (averaged over the interval), cores requested, nodes whose CPU demand exceeded their cores. */
  timeline: {
    t_s: number;
    nodes: number;
    cpu_cores: number;
    cpu_used_cores: number;
    cpu_requested_cores: number;
    saturated_nodes: string[];
  }[];
}

export interface EdgeJson {
  source: string;
  destination: string;
  requests: number;
  by_code: Record<string, number>;
  by_flag: Record<string, number>;
  by_version: Record<string, number>;
  mtls: boolean;
  /** Calls answered by a pod in another zone than the caller's. */
  cross_zone: number;
  latency_ms: LatencySummary;
}

/** Traffic between zones and what the transfer costs (profile prices.crossZoneGbUsd). */
export interface CrossZoneJson {
  /** Requests pods answered (every attempt) for a caller in another zone, and their share of all. */
  requests: number;
  share: number;
  /** Request + response bytes of those requests, in GB (2^30 bytes). */
  gb: number;
  usd_per_gb: number;
  /** The transfer's price over the simulated run, and over a month at the same rate. */
  usd: number;
  monthly_usd: number;
}

export interface OutlierEventJson {
  t_s: number;
  service: string;
  pod: string;
  action: 'eject' | 'uneject';
  type: string;
  num_ejections: number;
  proxy: string;
  cluster: string;
}

export interface UnfinishedJson {
  source: string;
  destination: string;
  requests: number;
  oldest_start_s: number;
  /** Pods that dropped those calls (unreachable: no answer ever came). */
  dropped_by: string[];
}

export interface ClusterJson extends ClusterStats {
  proxies: number;
  outlier_detection?: Record<string, number>;
}

export interface ResultsJson {
  meshsim: string;
  scenario: string;
  description: string;
  seed: number;
  mode: string;
  profile: string;
  simulated: { duration_s: number; warmup_s: number; events: number };
  /** Present when a work budget (--max-requests, --max-events, --max-in-flight) stopped the run early. */
  partial?: { reason: string; stopped_at_s: number };
  /** `unfinished`: end-user requests still in flight when the run stopped (not in `total`). */
  requests: RequestsJson & { unfinished: number };
  /** Where the unfinished requests wait: their innermost open call, by edge. */
  unfinished: UnfinishedJson[];
  latency_ms: LatencySummary;
  services: Record<string, ServiceJson>;
  edges: EdgeJson[];
  outlier: { events: OutlierEventJson[] };
  /** Kubernetes lifecycle events (pods, endpoints, restarts, nodes, istiod), as in events.jsonl; absent when there are none. */
  events?: TimelineEvent[];
  /** Envoy cluster stats summed over the client proxies that use each cluster. */
  clusters: Record<string, ClusterJson>;
  connections: { opened: number; mtls_handshakes: number };
  resources: {
    by_component: Record<string, ComponentUsage>;
    total: ComponentUsage;
    cross_zone: CrossZoneJson;
    sidecar_scoping?: ConfigScoping;
  };
  /** Run-time warnings for the mode that ran (sim/warnings.ts), as printed on stderr without position. */
  warnings: string[];
  cluster: ClusterResultJson;
  /** HorizontalPodAutoscalers by name; absent when the scenario has none. */
  hpa?: Record<string, HpaJson>;
  /** Flagger Canaries (sidecar mode): final phase and every analysis interval; absent without one. */
  canaries?: CanaryRun[];
  /** Ingress gateway Deployments that carried workloads from outside the cluster; absent when there are none. */
  gateways?: GatewayJson[];
}

export interface GatewayJson {
  deployment: string;
  namespace: string;
  replicas: number;
  /** Requests that reached the gateway, the downstream connections opened to it and their TLS handshakes. */
  requests: number;
  connections: number;
  tls_handshakes: number;
  /** Requests the gateway answered itself (no route 404 NR, redirects, direct responses, unknown backends). */
  local_replies: number;
}

export function buildResults(s: SimulationState): ResultsJson {
  const services: Record<string, ServiceJson> = {};
  for (const svc of s.cluster.serviceList) {
    const pods: ServiceJson['pods'] = {};
    for (const p of svc.pods) pods[p.name] = { node: p.node.model.name, requests: p.served };
    const declared = svc.model.versions.reduce((n, v) => n + v.replicas, 0);
    const trace = s.replicas?.get(svc.model.key);
    services[svc.model.key] = {
      requests: svc.stats.toJson(),
      latency_ms: svc.stats.latency.summaryMs(),
      retries: svc.retries,
      cpu_share: svc.model.cpuShare,
      pods,
      replicas: trace
        ? {
            initial: declared,
            final: trace.final,
            max: Math.max(declared, trace.max),
            timeline: trace.timeline.map((x) => ({ t_s: x.tS, replicas: x.replicas, ready: x.ready })),
          }
        : { initial: declared, final: declared, max: declared },
    };
  }
  const edges: EdgeJson[] = s.edges.sorted().map((e) => {
    const r = e.requests.toJson();
    const by_version: Record<string, number> = {};
    for (const v of [...e.byVersion.keys()].sort()) by_version[v] = e.byVersion.get(v) as number;
    return {
      source: e.source,
      destination: e.destination,
      requests: r.total,
      by_code: r.by_code,
      by_flag: r.by_flag,
      by_version,
      mtls: e.networkCalls > 0 && e.mtlsCalls === e.networkCalls,
      cross_zone: e.crossZoneCalls,
      latency_ms: e.requests.latency.summaryMs(),
    };
  });
  const byComponent = s.resources;
  const total = Object.values(byComponent).reduce<ComponentUsage>(
    (t, c) => ({
      instances: t.instances + c.instances,
      cpu_cores: Math.round((t.cpu_cores + c.cpu_cores) * 1e6) / 1e6,
      memory_mib: Math.round((t.memory_mib + c.memory_mib) * 1e3) / 1e3,
      monthly_cost_usd: Math.round((t.monthly_cost_usd + c.monthly_cost_usd) * 100) / 100,
    }),
    { instances: 0, cpu_cores: 0, memory_mib: 0, monthly_cost_usd: 0 },
  );
  return {
    meshsim: MESHSIM_VERSION,
    scenario: s.scenario.name,
    description: s.scenario.description,
    seed: s.seed,
    mode: s.mode,
    profile: s.profile.name,
    simulated: {
      duration_s: s.durationUs / 1e6,
      warmup_s: s.scenario.warmupUs / 1e6,
      events: s.sim.processed,
    },
    // A run a work budget stopped: its results cover [0, stopped_at_s] only.
    ...(s.partial ? { partial: { reason: s.partial.reason, stopped_at_s: s.partial.atUs / 1e6 } } : {}),
    requests: withUnfinished(s.endUser.toJson(), s.unfinished),
    unfinished: s.stuck.map((u) => ({
      source: u.source,
      destination: u.destination,
      requests: u.requests,
      oldest_start_s: u.oldestStartS,
      dropped_by: u.droppedBy,
    })),
    latency_ms: s.endUser.latency.summaryMs(),
    services,
    edges,
    outlier: { events: s.timeline.events.filter((e) => e.type === 'outlier_eject' || e.type === 'outlier_uneject').map(outlierEvent) },
    ...lifecycleEvents(s.timeline.events),
    clusters: clusterStats(s),
    connections: { opened: s.plane.handshakes.total, mtls_handshakes: s.plane.handshakes.mtls },
    resources: { by_component: byComponent, total, cross_zone: crossZoneResult(s), ...(s.scoping ? { sidecar_scoping: s.scoping } : {}) },
    warnings: runWarnings(s).map((w) => w.message),
    cluster: clusterResult(s),
    ...(s.hpas?.length ? { hpa: hpaResults(s) } : {}),
    ...(s.canaries?.length ? { canaries: s.canaries } : {}),
    ...(s.gateways.length
      ? {
          gateways: s.gateways.map((g) => ({
            deployment: g.deployment,
            namespace: g.namespace,
            replicas: g.replicas,
            requests: g.requests,
            connections: g.connections,
            tls_handshakes: g.tlsHandshakes,
            local_replies: g.localReplies,
          })),
        }
      : {}),
  };
}

function hpaResults(s: SimulationState): Record<string, HpaJson> {
  const out: Record<string, HpaJson> = {};
  for (const h of s.hpas ?? [])
    out[h.hpa] = {
      target: h.target,
      service: h.service,
      min_replicas: h.minReplicas,
      max_replicas: h.maxReplicas,
      samples: h.samples.map((x) => ({
        t_s: x.tS,
        current: x.current,
        desired: x.desired,
        ready: x.ready,
        metrics: x.metrics.map((m) => ({ name: m.name, current: m.current === undefined ? null : round(m.current, 6), target: m.target })),
      })),
    };
  return out;
}

function crossZoneResult(s: SimulationState): CrossZoneJson {
  const t = s.crossZone;
  const prices = s.profile.prices;
  const gb = t.crossBytes / 1024 ** 3;
  const usd = gb * prices.crossZoneGbUsd;
  const months = s.durationUs / 1e6 / (prices.hoursPerMonth * 3600);
  return {
    requests: t.crossRequests,
    share: t.requests ? round(t.crossRequests / t.requests, 6) : 0,
    gb: round(gb, 9),
    usd_per_gb: prices.crossZoneGbUsd,
    usd: round(usd, 9),
    monthly_usd: months > 0 ? round(usd / months, 2) : 0,
  };
}

/** `unfinished` right after `failed`, so the counts read in order. */
function withUnfinished(r: RequestsJson, unfinished: number): RequestsJson & { unfinished: number } {
  const { total, succeeded, failed, ...rest } = r;
  return { total, succeeded, failed, unfinished, ...rest };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function clusterResult(s: SimulationState): ClusterResultJson {
  const auto = s.autoscale;
  const horizonUs = s.durationUs;
  // With the cluster autoscaler, nodes come and go: count those alive at the end, cost each over its lifetime.
  const lifetimes = auto?.lifetimes ?? s.cluster.nodes.map((node) => ({ node, fromUs: 0, toUs: undefined }));
  const share = (l: { fromUs: number; toUs?: number }) =>
    horizonUs > 0 ? Math.max(0, Math.min(l.toUs ?? horizonUs, horizonUs) - Math.min(l.fromUs, horizonUs)) / horizonUs : 1;
  const nodes = lifetimes.filter((l) => l.toUs === undefined).map((l) => l.node);
  const used = new Set<string>();
  for (const svc of s.cluster.serviceList) for (const p of svc.pods) if (p.goneUs === undefined) used.add(p.node.model.name);
  const usage = s.plan.scheduler.usage();
  const requested = usage.reduce((t, n) => ({ cpu: t.cpu + n.cpu, memory: t.memory + n.memory }), { cpu: 0, memory: 0 });
  const cpu = nodes.reduce((n, x) => n + x.model.cpu, 0);
  const memory = nodes.reduce((n, x) => n + x.model.memoryBytes, 0);
  const prices = { ...DEFAULT_NODE_PRICES, ...nodePriceOverrides(s.scenario.cost) };
  const hourly = lifetimes.reduce(
    (t, l) => t + (l.node.model.cpu * prices.vcpuHourUsd + (l.node.model.memoryBytes / 1024 ** 3) * prices.gibHourUsd) * share(l),
    0,
  );
  const cost = hourly * s.profile.prices.hoursPerMonth;
  const placed = s.scenario.placement === 'requests';
  const a = s.scenario.autoscale;
  return {
    nodes: nodes.length,
    nodes_used: auto ? used.size : usedAtStart(s),
    pods_pending: placed ? s.plan.pending.length : 0,
    nodes_needed: s.plan.nodesNeeded,
    placement: s.scenario.placement,
    requests: { cpu_cores: round(requested.cpu, 6), memory_mib: round(requested.memory / 1024 ** 2, 3) },
    allocatable: { cpu_cores: round(cpu, 6), memory_mib: round(memory / 1024 ** 2, 3) },
    node_monthly_cost_usd: round(cost, 2),
    pending: placed ? s.plan.pending : [],
    ...(auto && a
      ? {
          autoscale: {
            min: a.min,
            max: a.max,
            provisioning_delay_s: a.provisioningDelayUs / 1e6,
            nodes_initial: auto.autoscaler.timeline[0]?.nodes ?? 0,
            nodes_max: Math.max(...auto.autoscaler.timeline.map((x) => x.nodes)),
            node_hours: round((lifetimes.reduce((t, l) => t + share(l), 0) * horizonUs) / 3600e6, 6),
            timeline: auto.samples.map((x) => ({
              t_s: x.tUs / 1e6,
              nodes: x.nodes,
              cpu_cores: round(x.cores, 6),
              cpu_used_cores: round(x.usedCores, 6),
              cpu_requested_cores: round(x.requestedCores, 6),
              saturated_nodes: x.saturated,
            })),
          },
        }
      : {}),
  };
}

/** Nodes running a workload pod (every pod ever built, as before autoscaling existed). */
function usedAtStart(s: SimulationState): number {
  const used = new Set<string>();
  for (const svc of s.cluster.serviceList) for (const p of svc.pods) used.add(p.node.model.name);
  return used.size;
}

function nodePriceOverrides(c: SimulationState['scenario']['cost']): Partial<typeof DEFAULT_NODE_PRICES> {
  const out: Partial<typeof DEFAULT_NODE_PRICES> = {};
  if (c?.nodeVcpuHourUsd !== undefined) out.vcpuHourUsd = c.nodeVcpuHourUsd;
  if (c?.nodeGibHourUsd !== undefined) out.gibHourUsd = c.nodeGibHourUsd;
  return out;
}

function lifecycleEvents(events: readonly TimelineEvent[]): { events?: TimelineEvent[] } {
  const lifecycle = events.filter((e) => LIFECYCLE_EVENT_TYPES.has(e.type));
  return lifecycle.length ? { events: lifecycle } : {};
}

function outlierEvent(e: TimelineEvent): OutlierEventJson {
  return {
    t_s: e.t_s,
    service: String(e.service),
    pod: String(e.pod),
    action: e.action === 'eject' ? 'eject' : 'uneject',
    type: String(e.ejection_type),
    num_ejections: Number(e.num_ejections),
    proxy: String(e.proxy),
    cluster: String(e.cluster),
  };
}

/** Clusters that saw traffic, by Envoy cluster name (outbound|port|subset|fqdn), sorted. */
function clusterStats(s: SimulationState): Record<string, ClusterJson> {
  const out: Record<string, ClusterJson> = {};
  const clusters = s.plane.envoyClusters().filter((c) => c.stats.upstream_rq_total > 0 || c.outlier);
  for (const c of [...clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.proxy.name < b.proxy.name ? -1 : 1))) {
    const j = (out[c.name] ??= { proxies: 0, ...emptyClusterStats() });
    j.proxies++;
    for (const [k, v] of Object.entries(c.stats)) (j as unknown as Record<string, number>)[k] += v;
    if (c.outlier) {
      const od = (j.outlier_detection ??= {});
      for (const [k, v] of Object.entries(c.outlier.stats())) od[k] = (od[k] ?? 0) + v;
    }
  }
  return out;
}
