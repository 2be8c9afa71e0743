/**
 * Locality-aware load balancing as Istio configures it and Envoy runs it.
 *
 * Istio (istio/istio pilot/pkg/networking/core/loadbalancer/loadbalancer.go, called from
 * pilot/pkg/xds/endpoints/endpoint_builder.go): the DestinationRule's `localityLbSetting`, else the
 * mesh's (`enabled: true` by default), rewrites each client proxy's endpoint assignment:
 * - `distribute`: the first entry whose `from` matches the client's locality gives each listed
 *   locality its weight; endpoints in localities it does not list are removed (applyLocalityWeights);
 * - otherwise, ONLY when the cluster has outlierDetection ("Failover needs outlier detection,
 *   otherwise Envoy will never drop down to a lower priority"), priorities by locality match
 *   (applyLocalityFailover, util.LbPriority): same region/zone/subzone 0, same region/zone 1, same
 *   region 2, other 3, and 4 for other regions a `failover {from: <client region>, to}` does not
 *   name; `failoverPriority` labels split priorities first (applyFailoverPriorities), the locality
 *   priority is then composed as `previous × 5 + locality`. Priorities are compacted to 0..N.
 *
 * Envoy (source/common/upstream/load_balancer_impl.cc recalculatePerPriorityState,
 * recalculatePerPriorityPanic, recalculateLoadInTotalPanic, choosePriority): each priority's health
 * is min(100, 140 × healthy / hosts) (overprovisioning factor 1.4); load goes to the highest
 * priorities first, spilling to the next as health drops; below 100 % total health a priority with
 * fewer healthy hosts than the panic threshold uses all its hosts; all priorities in panic share
 * the load by host count. With locality weights (LocalityWeightedLbConfig, set by Istio for
 * `distribute` or an explicit `failover`/`failoverPriority`), a locality is picked with weight ×
 * min(1, 1.4 × healthy share) (source/common/upstream/upstream_impl.cc effectiveLocalityWeight),
 * then a host within it.
 *
 * Not Envoy's zone-aware routing: `zone_aware_lb_config` needs the local cluster (the callers' own
 * endpoints, `local_cluster_name`), which Istio does not configure; Istio expresses locality only
 * through priorities and locality weights, as here.
 */
import type { LocalityLbSetting } from '../config/istio/networking-schemas.js';

/** Envoy's default overprovisioning factor, in percent (1.4). */
export const OVERPROVISIONING_FACTOR = 140;

export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

/** Labels Istio adds to every endpoint and proxy (istio/api label: topology labels). */
export const TOPOLOGY_REGION = 'topology.kubernetes.io/region';
export const TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
export const TOPOLOGY_SUBZONE = 'topology.istio.io/subzone';

export const localityLabel = (l: Locality) => [l.region, l.zone, l.subzone].filter((x, i) => x !== '' || i === 0).join('/');

/** util.LocalityMatch: a rule `region/zone/subzone`, each part `*` or omitted to match anything below. */
export function localityMatches(l: Locality, rule: string): boolean {
  const [region = '', zone = '', subzone = ''] = splitLocality(rule);
  return (
    (region === '*' || l.region === region) &&
    (zone === '*' || zone === '' || l.zone === zone) &&
    (subzone === '*' || subzone === '' || l.subzone === subzone)
  );
}

function splitLocality(s: string): string[] {
  const items = s.split('/');
  return items.length <= 3 ? items : [items[0]!, items[1]!, items.slice(2).join('/')];
}

/** util.LbPriority: 0 same region/zone/subzone, 1 same region/zone, 2 same region, 3 other. */
export function lbPriority(client: Locality, ep: Locality): number {
  if (client.region !== ep.region) return 3;
  if (client.zone !== ep.zone) return 2;
  return client.subzone === ep.subzone ? 0 : 1;
}

/** One locality's endpoints within a priority, with its load-balancing weight. */
export interface LocalityGroup<H> {
  locality: string;
  weight: number;
  hosts: H[];
}

/** The endpoint assignment one client proxy gets: priorities, highest first. */
export interface LocalityPlan<H> {
  levels: LocalityGroup<H>[][];
  /** Envoy's LocalityWeightedLbConfig is set: pick a locality by weight before a host. */
  weighted: boolean;
}

export interface LocalityInputs<H> {
  client: { locality: Locality; labels: Readonly<Record<string, string>> };
  hosts: readonly H[];
  localityOf: (h: H) => Locality;
  labelsOf: (h: H) => Readonly<Record<string, string>>;
  /** The DestinationRule's localityLbSetting, if any. */
  setting: LocalityLbSetting | undefined;
  /** meshConfig.localityLbSetting.enabled. */
  meshEnabled: boolean;
  /** The cluster has outlier detection (Istio's enableFailover). */
  outlierDetection: boolean;
}

/**
 * The client's endpoint assignment, or undefined when locality changes nothing (a single priority
 * of unweighted endpoints: plain load balancing over every host).
 */
export function localityPlan<H>(x: LocalityInputs<H>): LocalityPlan<H> | undefined {
  // GetLocalityLbSetting: the DestinationRule's setting wins; enabled: false turns it all off.
  if (x.setting?.enabled === false) return undefined;
  if (!x.setting && !x.meshEnabled) return undefined;
  const lb = x.setting ?? {};
  // Endpoints grouped per locality (endpoint_builder.go), each group weighted by its endpoint count.
  const groups: { locality: Locality; label: string; weight: number; priority: number; hosts: H[] }[] = [];
  for (const h of x.hosts) {
    const l = x.localityOf(h);
    const label = localityLabel(l);
    let g = groups.find((e) => e.label === label);
    if (!g) groups.push((g = { locality: l, label, weight: 0, priority: 0, hosts: [] }));
    g.hosts.push(h);
    g.weight++;
  }
  const distribute = lb.distribute ?? [];
  if (distribute.length > 0) {
    const rule = distribute.find((d) => localityMatches(x.client.locality, d.from));
    if (rule) {
      const unmatched = new Set(groups);
      for (const [to, weight] of Object.entries(rule.to)) {
        const matched = groups.filter((g) => unmatched.has(g) && localityMatches(g.locality, to));
        const total = matched.reduce((n, g) => n + g.weight, 0);
        for (const g of matched) {
          unmatched.delete(g);
          const w = (g.weight * weight) / total;
          if (w > 0) g.weight = Math.ceil(w);
        }
      }
      for (const g of unmatched) g.hosts = [];
    }
    return plan(groups, true);
  }
  if (!x.outlierDetection) return undefined;
  const failover = lb.failover ?? [];
  const priorities = lb.failoverPriority ?? [];
  let split = groups;
  if (priorities.length > 0) {
    split = groups.flatMap((g) => splitByLabels(g, priorities, x.client.labels, x.labelsOf));
    compact(split);
    if (failover.length > 0) applyFailover(split, x.client.locality, failover);
  } else applyFailover(split, x.client.locality, failover);
  return plan(split, failover.length > 0 || priorities.length > 0);
}

type Group<H> = { locality: Locality; label: string; weight: number; priority: number; hosts: H[] };

function applyFailover<H>(groups: Group<H>[], client: Locality, failover: readonly { from: string; to: string }[]): void {
  for (const g of groups) {
    let p = lbPriority(client, g.locality);
    if (p === 3) {
      const f = failover.find((e) => e.from === client.region);
      if (f && g.locality.region !== f.to) p = 4;
    }
    g.priority = g.priority * 5 + p;
  }
  compact(groups);
}

/** applyFailoverPriorityPerLocality: the first label (of n) whose value differs gives priority n − index. */
function splitByLabels<H>(
  g: Group<H>,
  priorities: readonly string[],
  proxyLabels: Readonly<Record<string, string>>,
  labelsOf: (h: H) => Readonly<Record<string, string>>,
): Group<H>[] {
  const byPriority = new Map<number, H[]>();
  for (const h of g.hosts) {
    let p = 0;
    for (const [j, entry] of priorities.entries()) {
      const [name = '', override] = entry.split('=');
      const want = override ?? proxyLabels[name];
      if (want !== labelsOf(h)[name]) {
        p = priorities.length - j;
        break;
      }
    }
    let list = byPriority.get(p);
    if (!list) byPriority.set(p, (list = []));
    list.push(h);
  }
  return [...byPriority.entries()].sort((a, b) => a[0] - b[0]).map(([p, hosts]) => ({ ...g, priority: p, weight: hosts.length, hosts }));
}

/** Priorities renumbered 0..N in order, without gaps. */
function compact<H>(groups: Group<H>[]): void {
  const used = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  for (const g of groups) g.priority = used.indexOf(g.priority);
}

function plan<H>(groups: Group<H>[], weighted: boolean): LocalityPlan<H> {
  const levels: LocalityGroup<H>[][] = [];
  for (const g of groups) (levels[g.priority] ??= []).push({ locality: g.label, weight: g.weight, hosts: g.hosts });
  return { levels: levels.map((l) => l ?? []), weighted };
}

/** Per priority: healthy hosts and hosts. */
export interface LevelHealth {
  healthy: number;
  total: number;
}

/** Envoy's per-priority load (percent, summing to 100) and which priorities are in panic. */
export function priorityLoad(levels: readonly LevelHealth[], panicThreshold: number): { load: number[]; panic: boolean[] } {
  const n = levels.length;
  const load = new Array<number>(n).fill(0);
  const health = levels.map((l) => (l.total > 0 ? Math.min(100, Math.floor((OVERPROVISIONING_FACTOR * l.healthy) / l.total)) : 0));
  const totalHealth = Math.min(
    100,
    health.reduce((a, b) => a + b, 0),
  );
  if (totalHealth > 0) {
    let remaining = 100;
    let first = -1;
    for (let i = 0; i < n; i++) {
      if (first < 0 && health[i]! > 0) first = i;
      load[i] = Math.min(remaining, Math.floor((health[i]! * 100) / totalHealth));
      remaining -= load[i]!;
    }
    if (remaining > 0 && first >= 0) load[first]! += remaining;
  }
  const panic = new Array<boolean>(n).fill(false);
  if (panicThreshold === 0 && totalHealth === 0) {
    // Panic disabled and nothing healthy: P0 takes the load and finds no host (503 UH).
    if (n > 0) load[0] = 100;
    return { load, panic };
  }
  let totalPanic = n > 0;
  for (let i = 0; i < n; i++) {
    const l = levels[i]!;
    const healthyPct = l.total === 0 ? 0 : (100 * l.healthy) / l.total;
    panic[i] = totalHealth === 100 ? false : healthyPct < panicThreshold;
    totalPanic &&= panic[i]!;
  }
  if (totalPanic) {
    const hosts = levels.reduce((a, l) => a + l.total, 0);
    load.fill(0);
    if (hosts === 0) load[0] = 100;
    else {
      let remaining = 100;
      let first = -1;
      for (let i = 0; i < n; i++) {
        if (first < 0 && levels[i]!.total > 0) first = i;
        load[i] = Math.floor((100 * levels[i]!.total) / hosts);
        remaining -= load[i]!;
      }
      load[first]! += remaining;
    }
  }
  return { load, panic };
}

/** choosePriority: a draw in 1..100 against the cumulative loads. */
export function choosePriority(load: readonly number[], u: number): number {
  const hash = Math.floor(u * 100) + 1;
  let acc = 0;
  for (let i = 0; i < load.length; i++) {
    acc += load[i]!;
    if (hash <= acc) return i;
  }
  return Math.max(0, load.length - 1);
}

/** A locality's effective weight: weight × min(1, 1.4 × healthy / hosts). */
export function effectiveLocalityWeight(weight: number, healthy: number, total: number): number {
  if (total === 0) return 0;
  return weight * Math.min(1, ((OVERPROVISIONING_FACTOR / 100) * healthy) / total);
}
