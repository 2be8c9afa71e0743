/**
 * Slow start (DestinationRule `loadBalancer.warmup` / `warmupDurationSecs`, Envoy's
 * slow_start_config): an endpoint that joined the cluster less than `window` ago gets its load
 * balancing weight scaled by max(minWeightPercent, timeFactor^(1/aggression)), timeFactor =
 * max(age, 1 ms) / window, so new pods ramp up instead of taking a full share at once. Envoy
 * source/common/upstream/load_balancer_impl.cc EdfLoadBalancerBase::applySlowStartFactor, docs
 * intro/arch_overview/upstream/load_balancing/slow_start.rst; only ROUND_ROBIN and LEAST_REQUEST
 * support it. Istio maps `warmup {duration, minimumPercent (default 10), aggression (default 1.0)}`
 * and the older `warmupDurationSecs` onto it (pilot/pkg/networking/core/cluster_traffic_policy.go
 * applySimpleDefaultLoadBalancer / setSlowStartConfig).
 */
import type { LoadBalancerSettings } from '../config/istio/networking-schemas.js';

export interface SlowStartConfig {
  windowUs: number;
  /** Fraction (0–1) of the full weight a new endpoint starts from. */
  minWeight: number;
  aggression: number;
}

/** The slow-start config of a cluster's load balancer settings, or undefined (off, or an LB without it). */
export function slowStartOf(lb: LoadBalancerSettings | undefined): SlowStartConfig | undefined {
  if (!lb || lb.consistentHash) return undefined;
  const simple = lb.simple ?? 'LEAST_REQUEST';
  if (simple !== 'ROUND_ROBIN' && simple !== 'LEAST_REQUEST' && simple !== 'LEAST_CONN' && simple !== 'UNSPECIFIED') return undefined;
  const windowUs = lb.warmup?.duration ?? lb.warmupDurationSecs;
  if (windowUs === undefined || windowUs <= 0) return undefined;
  return { windowUs, minWeight: (lb.warmup?.minimumPercent ?? 10) / 100, aggression: lb.warmup?.aggression ?? 1 };
}

/** The weight factor of an endpoint `ageUs` old: 1 once out of the window. */
export function slowStartFactor(ageUs: number, c: SlowStartConfig): number {
  if (ageUs >= c.windowUs) return 1;
  const time = Math.max(1000, ageUs) / c.windowUs;
  const ramp = c.aggression === 1 ? time : Math.pow(time, 1 / c.aggression);
  return Math.max(c.minWeight, ramp);
}

/**
 * Envoy's EDF scheduler (source/common/upstream/edf_scheduler.h): each host waits until a deadline
 * 1/weight after the last pick; the earliest deadline is picked and re-added with its weight as it
 * is then (pickAndAdd). Ties go to the host listed first.
 */
export class EdfPicker<H extends object> {
  private now = 0;
  private readonly deadline = new Map<H, number>();

  pick(hosts: readonly H[], weight: (h: H) => number): H {
    let best = hosts[0]!;
    let bestAt = Infinity;
    for (const h of hosts) {
      let d = this.deadline.get(h);
      if (d === undefined) this.deadline.set(h, (d = this.now + 1 / weight(h)));
      if (d < bestAt) {
        bestAt = d;
        best = h;
      }
    }
    this.now = bestAt;
    this.deadline.set(best, this.now + 1 / weight(best));
    return best;
  }

  /** Forgets hosts that left the cluster. */
  retain(hosts: readonly H[]): void {
    for (const h of [...this.deadline.keys()]) if (!hosts.includes(h)) this.deadline.delete(h);
  }
}
