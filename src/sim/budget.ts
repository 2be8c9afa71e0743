/**
 * Work budgets: an estimate of a run's work before it starts (refused when over budget), and the
 * limits a run stops at when it runs away (an overload whose queues grow without end, a retry
 * storm). Flag names: --max-requests, --max-events, --max-in-flight.
 *
 * The estimate is arrivals × calls per end-user request, where each call counts its expected
 * attempts: 1 + retries × the failure probability of its target (a declared failure rate or an
 * error/crash/unreachable fault), and a retried call repeats the target's own calls. Envoy retries
 * count with Istio's default of 2 attempts, or the largest `retries.attempts` of the
 * VirtualServices (https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry).
 */
import type { Distribution } from '../kernel/distributions.js';
import type { MeshMode, RateSegment, Scenario, ServiceModel, WorkloadModel } from '../config/model.js';

export interface Budget {
  /** Application-level calls (every hop and every app retry) in the whole run. */
  maxRequests: number;
  /** Simulator events in the whole run. */
  maxEvents: number;
  /** Calls started and not yet answered (queued ones included) at any moment. */
  maxInFlight: number;
}

/**
 * Far above every shipped scenario (the largest makes ~1.4 M events), and a run this size takes well
 * under a minute. 100,000 calls in flight again (it was lowered to 20,000 while a connection-pool
 * lookup scanned every connection and made an overload quadratic; pool operations are O(log n) now:
 * an overload of 7,000 req/s against 1,600 req/s of capacity reaches 100,000 in flight in ~9 s).
 */
export const DEFAULT_BUDGET: Budget = { maxRequests: 1_000_000, maxEvents: 5_000_000, maxInFlight: 100_000 };

export interface WorkEstimate {
  /** End-user requests. */
  arrivals: number;
  /** Calls (hops) per end-user request, expected attempts included. */
  callsPerRequest: number;
  /** arrivals × callsPerRequest. */
  requests: number;
  events: number;
}

/**
 * Simulator events per call, by mode (measured on bench/scenarios/three-tier-sidecar.yaml: 3.3
 * without proxies, 7.5 through sidecars, 6.6 in ambient, 7.3-8.2 in the other modes; proxy leg
 * ends nobody waits for are no events, see dataplane/proxy.ts).
 */
const EVENTS_PER_CALL: Partial<Record<MeshMode | string, number>> = { none: 4, sidecar: 8, ambient: 7 };
const DEFAULT_EVENTS_PER_CALL = 9;
/** Istio's default HTTP retry policy: 2 attempts (https://istio.io/latest/docs/concepts/traffic-management/#retries). */
const ISTIO_DEFAULT_RETRIES = 2;

export function estimateWork(scenario: Scenario, o: { mode: string; durationUs: number }): WorkEstimate {
  const byKey = new Map([...scenario.services, ...scenario.externals].map((s) => [s.key, s]));
  const failure = failureProbabilities(scenario);
  const envoyRetries = o.mode === 'none' ? 0 : maxVsRetries(scenario);
  const memo = new Map<string, number>();
  const treeOf = (s: ServiceModel, depth: number): number => {
    const known = memo.get(s.key);
    if (known !== undefined) return known;
    if (depth > scenario.services.length) return 1; // a cycle (refused by the loader anyway)
    let total = 1;
    for (const c of s.calls) {
      const t = byKey.get(c.service);
      if (!t) continue;
      const p = failure.get(t.key) ?? 0;
      const attempts = 1 + (c.retries + envoyRetries) * p;
      total += attempts * treeOf(t, depth + 1);
    }
    memo.set(s.key, total);
    return total;
  };
  let arrivals = 0;
  let requests = 0;
  for (const w of scenario.workloads) {
    const target = byKey.get(w.target);
    const n = arrivalsOf(w, o.durationUs, target);
    arrivals += n;
    if (target) {
      const p = failure.get(target.key) ?? 0;
      requests += n * (1 + envoyRetries * p) * treeOf(target, 0);
    }
  }
  const perCall = EVENTS_PER_CALL[o.mode] ?? DEFAULT_EVENTS_PER_CALL;
  return { arrivals, callsPerRequest: arrivals > 0 ? requests / arrivals : 0, requests, events: requests * perCall };
}

/** The flag and the problem when the estimate is over budget, else undefined. */
export function overBudget(e: WorkEstimate, b: Budget): string | undefined {
  const n = (x: number) => fmtCount(x);
  const what = `${n(e.arrivals)} end-user requests × ${e.callsPerRequest.toFixed(1)} calls each`;
  if (!(e.requests <= b.maxRequests))
    return `the run would make about ${n(e.requests)} calls (${what}), over the budget of ${n(b.maxRequests)}; raise --max-requests or shorten the run or lower the rate`;
  if (!(e.events <= b.maxEvents))
    return `the run would take about ${n(e.events)} simulator events (${what}), over the budget of ${n(b.maxEvents)}; raise --max-events or shorten the run or lower the rate`;
  return undefined;
}

export function fmtCount(x: number): string {
  if (!Number.isFinite(x)) return 'unboundedly many';
  if (x >= 1e15) return x.toExponential(1);
  return groupThousands(Math.round(x));
}

/**
 * What `toLocaleString('en-US')` prints for an integer, without Intl: its first use loads ICU data,
 * ~20 ms of every command's start-up (the --max-* help strings are built on every start).
 */
export function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

function arrivalsOf(w: WorkloadModel, durationUs: number, target: ServiceModel | undefined): number {
  const a = w.arrivals;
  if (a.kind === 'closed') {
    const serviceUs = target ? Math.max(...target.versions.map((v) => meanOf(v.serviceTime))) : 0;
    return (a.users * durationUs) / Math.max(100, meanOf(a.thinkTime) + serviceUs);
  }
  return integrate(a.segments, durationUs) / 1e6;
}

/** ∫ rate dt over [0, horizon] (rate in req/s, time in µs → req·µs/s). */
function integrate(segments: readonly RateSegment[], horizonUs: number): number {
  let total = 0;
  let covered = 0;
  let last = 0;
  for (const s of segments) {
    const end = Math.min(s.endUs, horizonUs);
    if (end > s.startUs) {
      const at = (t: number) =>
        s.fromRate === s.toRate || !Number.isFinite(s.endUs)
          ? s.fromRate
          : s.fromRate + ((s.toRate - s.fromRate) * (t - s.startUs)) / (s.endUs - s.startUs);
      total += ((at(s.startUs) + at(end)) / 2) * (end - s.startUs);
      covered = Math.max(covered, end);
    }
    last = s.toRate;
  }
  if (covered < horizonUs) total += last * (horizonUs - covered);
  return total;
}

export function meanOf(d: Distribution): number {
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'exponential':
      return d.mean;
    case 'lognormal': {
      const sigma = Math.log(d.p99 / d.median) / 2.3263478740408408;
      return d.median * Math.exp((sigma * sigma) / 2);
    }
    case 'uniform':
      return (d.min + d.max) / 2;
  }
}

/** Probability that a request to each service fails (declared failure, or any fault that fails it). */
function failureProbabilities(scenario: Scenario): Map<string, number> {
  const p = new Map<string, number>();
  for (const s of [...scenario.services, ...scenario.externals]) p.set(s.key, Math.max(0, ...s.versions.map((v) => v.failure.rate)));
  for (const f of scenario.faults) {
    if (!f.target || !f.inject) continue;
    // Fault kinds come from the registry: any with an error rate fails that share; a crash or a
    // black hole fails everything it hits.
    const params = (f.inject.params ?? {}) as Record<string, unknown>;
    const numeric = [params.rate, params.errorRate].find((x): x is number => typeof x === 'number' && x >= 0 && x <= 1);
    const rate = f.inject.kind === 'crash' || f.inject.kind === 'unreachable' ? 1 : (numeric ?? 0);
    p.set(f.target.service, Math.max(p.get(f.target.service) ?? 0, rate));
  }
  return p;
}

function maxVsRetries(scenario: Scenario): number {
  let n = ISTIO_DEFAULT_RETRIES;
  for (const vs of scenario.istio.virtualServices) {
    for (const r of (vs.spec as { http?: { retries?: { attempts?: number } }[] }).http ?? []) {
      const a = r.retries?.attempts;
      if (typeof a === 'number' && a > n) n = a;
    }
  }
  return n;
}
