/**
 * Locality-aware host selection for one Envoy cluster (policy/locality.ts has the rules): which
 * endpoints a client proxy's priorities hold, given where the proxy and the endpoints run, and at
 * each attempt which hosts the cluster's load balancer may pick from.
 */
import type { Uniform } from '../kernel/random.js';
import type { TrafficPolicy } from '../config/istio/networking-schemas.js';
import type { NodeRt, PodRt } from '../world/entities.js';
import {
  choosePriority,
  effectiveLocalityWeight,
  localityPlan,
  priorityLoad,
  TOPOLOGY_REGION,
  TOPOLOGY_ZONE,
  type Locality,
  type LocalityPlan,
} from '../policy/locality.js';
import type { OutlierDetector } from '../policy/outlier.js';

/** Envoy's default healthy_panic_threshold (50 %) when Istio sets none (no outlierDetection). */
const ENVOY_DEFAULT_PANIC_THRESHOLD = 50;

/** A node's locality (subzones are not modelled: every node has subzone ""). */
export const nodeLocality = (n: NodeRt): Locality => ({ region: n.model.region, zone: n.model.zone, subzone: '' });

/** Istio adds the node's topology labels to every endpoint and proxy (failoverPriority matches them). */
export const topologyLabels = (n: NodeRt): Record<string, string> => ({ [TOPOLOGY_REGION]: n.model.region, [TOPOLOGY_ZONE]: n.model.zone });

const hostLabels = new WeakMap<PodRt, Record<string, string>>();
function labelsOf(p: PodRt): Record<string, string> {
  let l = hostLabels.get(p);
  if (!l) hostLabels.set(p, (l = { ...p.version.labels, ...topologyLabels(p.node) }));
  return l;
}

/** The client proxy's endpoint assignment for a cluster; undefined when locality changes nothing. */
export function clusterLocalityPlan(
  client: { node: NodeRt; labels?: Readonly<Record<string, string>> },
  hosts: readonly PodRt[],
  policy: TrafficPolicy,
  meshEnabled: boolean,
): LocalityPlan<PodRt> | undefined {
  const plan = localityPlan({
    client: { locality: nodeLocality(client.node), labels: { ...client.labels, ...topologyLabels(client.node) } },
    hosts,
    localityOf: (p) => nodeLocality(p.node),
    labelsOf,
    setting: policy.loadBalancer?.localityLbSetting,
    meshEnabled,
    outlierDetection: policy.outlierDetection !== undefined,
  });
  // One unweighted priority is plain load balancing over every host.
  if (plan && plan.levels.length === 1 && !plan.weighted) return undefined;
  return plan;
}

/**
 * The hosts the load balancer may pick from for one attempt: a priority drawn by Envoy's priority
 * load, then (with locality weights) a locality drawn by effective weight; its healthy hosts, or
 * every host of the priority when it is in panic. Empty: no healthy upstream (503 UH).
 */
export function localityHosts(plan: LocalityPlan<PodRt>, outlier: OutlierDetector<PodRt> | undefined, u: Uniform): readonly PodRt[] {
  const ejected = (h: PodRt) => outlier?.isEjected(h) ?? false;
  const healthyIn = (hosts: readonly PodRt[]) => hosts.reduce((n, h) => (ejected(h) ? n : n + 1), 0);
  const levels = plan.levels.map((groups) => {
    const total = groups.reduce((n, g) => n + g.hosts.length, 0);
    return { total, healthy: groups.reduce((n, g) => n + healthyIn(g.hosts), 0) };
  });
  const threshold = outlier?.config.healthyPanicThreshold ?? ENVOY_DEFAULT_PANIC_THRESHOLD;
  const { load, panic } = priorityLoad(levels, threshold);
  const p = levels.length > 1 ? choosePriority(load, u()) : 0;
  const groups = plan.levels[p] ?? [];
  if (panic[p]) return groups.flatMap((g) => g.hosts);
  if (plan.weighted && groups.length > 1) {
    const weights = groups.map((g) => effectiveLocalityWeight(g.weight, healthyIn(g.hosts), g.hosts.length));
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum > 0) {
      let x = u() * sum;
      for (let i = 0; i < groups.length; i++) {
        if ((x -= weights[i]!) < 0 || i === groups.length - 1) {
          const hosts = groups[i]!.hosts.filter((h) => !ejected(h));
          if (hosts.length > 0) return hosts;
          break;
        }
      }
    }
  }
  return groups.flatMap((g) => g.hosts).filter((h) => !ejected(h));
}
