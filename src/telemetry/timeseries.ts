/**
 * Time series of a run for the HTML report: fixed-width buckets of simulated time (at most ~600
 * over the run), each with the end-user requests that finished in it by status class, code and
 * Envoy response flag, their latency percentiles (from a small log-bucket histogram), and the
 * calls per source→destination edge with their errors.
 *
 * Every call is counted, warmup included (the report shades the warmup window). A call belongs to
 * the bucket in which it STARTED (an end-user request: when it was sent), so requests still in
 * flight at the horizon, which the simulation follows to their end, stay on the time axis.
 */
import { PoolOccupancy, type PoolSeriesJson } from '../record/pool-occupancy.js';
import { succeeded } from '../record/requests.js';
import type { Caller, PodRt, ServiceRt } from '../world/entities.js';
import type { CallRecord, RunObserver, ServedRecord } from './observer.js';
import { crossesZones } from '../dataplane/network.js';

/** Bucket widths the observer picks from (µs): round numbers a reader can take in at a glance. */
const NICE_WIDTHS_US = [
  1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 10e6, 15e6, 30e6, 60e6, 120e6, 300e6, 600e6, 900e6, 1800e6, 3600e6, 7200e6,
  21600e6, 43200e6, 86400e6,
];

/** Buckets aimed at over a run, and the most ever used. */
export const TARGET_BUCKETS = 200;
export const MAX_BUCKETS = 600;

/**
 * Latency percentiles are taken over windows of whole buckets holding about this many end-user
 * requests on average (so a p99 rests on a few requests, not one), keeping at least
 * MIN_LATENCY_WINDOWS windows over the run.
 */
export const LATENCY_WINDOW_SAMPLES = 300;
export const MIN_LATENCY_WINDOWS = 40;

/** The smallest round width giving at most TARGET_BUCKETS buckets (never more than MAX_BUCKETS). */
export function bucketWidthUs(durationUs: number): number {
  for (const w of NICE_WIDTHS_US) if (durationUs / w <= TARGET_BUCKETS) return w;
  let w = NICE_WIDTHS_US[NICE_WIDTHS_US.length - 1]!;
  while (durationUs / w > MAX_BUCKETS) w *= 2;
  return w;
}

/**
 * Log-bucket latency histogram: 16 buckets per doubling (≈4.4% wide, so percentiles are within
 * ≈2.2% of the truth), sparse, in microseconds.
 */
export class LogHistogram {
  static readonly PER_DOUBLING = 16;
  private readonly counts = new Map<number, number>();
  count = 0;

  record(us: number): void {
    const i = us <= 1 ? 0 : Math.ceil(Math.log2(us) * LogHistogram.PER_DOUBLING);
    this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    this.count++;
  }

  add(other: LogHistogram): void {
    for (const [k, n] of other.counts) this.counts.set(k, (this.counts.get(k) ?? 0) + n);
    this.count += other.count;
  }

  /** Value at percentile p (0-100), µs: the geometric middle of the bucket holding it. */
  percentileUs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.counts.get(k) as number;
      if (seen >= rank) return k === 0 ? 1 : 2 ** ((k - 0.5) / LogHistogram.PER_DOUBLING);
    }
    return 2 ** ((keys[keys.length - 1]! - 0.5) / LogHistogram.PER_DOUBLING);
  }
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'reset';
export const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'reset'];

export const statusClass = (status: number): StatusClass =>
  status === 0 || status < 100 ? 'reset' : status < 300 ? '2xx' : status < 400 ? '3xx' : status < 500 ? '4xx' : '5xx';

interface Bucket {
  requests: number;
  errors: number;
  byClass: Map<StatusClass, number>;
  /** By status code (a number: no string per request; written as text by toJson). */
  byCode: Map<number, number>;
  byFlag: Map<string, number>;
  latency: LogHistogram;
  /** Latency of the successful end-user requests only (fast failures left out). */
  okLatency: LogHistogram;
}

interface EdgeSeries {
  source: string;
  destination: string;
  requests: Float64Array;
  errors: Float64Array;
  /** Calls answered by a pod in another zone than the caller's; allocated at the first one. */
  crossZone?: Float64Array;
  latency: LogHistogram[];
  versions: Map<string, Float64Array>;
}

/** One time bucket as the report reads it; times in simulated seconds, latency in ms. */
export interface BucketJson {
  t_s: number;
  end_s: number;
  requests: number;
  rps: number;
  errors: number;
  by_class: Record<string, number>;
  by_code: Record<string, number>;
  by_flag: Record<string, number>;
}

/** A window of whole buckets (see LATENCY_WINDOW_SAMPLES): end-user latency percentiles in ms. */
export interface WindowJson {
  t_s: number;
  end_s: number;
  requests: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number } | null;
  /** The same over successful requests only (k6's expected_response:true), so fast failures do not pull it down. */
  ok_latency_ms?: { p50: number; p90: number; p99: number; max: number } | null;
}

/** Calls a pod answered, per window (calls/s): the per-pod view of ejections and crashes. */
export interface PodWindowsJson {
  service: string;
  pod: string;
  rps: number[];
}

/** One edge per window: calls per second, failed calls, p99 of the calls (ms). */
export interface EdgeWindowsJson {
  source: string;
  destination: string;
  requests: number;
  rps: number[];
  errors: number[];
  p99_ms: (number | null)[];
  /** Calls per second per destination version (present when more than one version answered): the canary view. */
  by_version_rps?: Record<string, number[]>;
  /** Share (0–1) of the window's calls a pod in another zone answered; present when any call crossed zones. */
  cross_zone_share?: number[];
}

/** Requests a service's pods answered per window (calls/s, by when the end-user request started), every attempt counted: retries included. */
export interface ServiceAttemptsJson {
  service: string;
  rps: number[];
}

export interface TimeSeriesJson {
  bucket_s: number;
  duration_s: number;
  warmup_s: number;
  /** Fine buckets: end-user requests by code and flag. */
  buckets: BucketJson[];
  /** Width of the coarser windows (s): latency and edges. */
  window_s: number;
  windows: WindowJson[];
  edges: EdgeWindowsJson[];
  pods?: PodWindowsJson[];
  /** Attempts each service answered: against end-user requests, the retry amplification at each hop. */
  attempts?: ServiceAttemptsJson[];
  /** Envoy connection-pool occupancy per destination cluster, per fine bucket (sidecar/waypoint clusters that were used). */
  pools?: PoolSeriesJson[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export class TimeSeriesObserver implements RunObserver {
  readonly widthUs: number;
  readonly count: number;
  private readonly buckets: Bucket[];
  private readonly edges = new Map<string, EdgeSeries>();
  /** The edge a (caller, service) pair counts into, by object references: no key string per call. */
  private readonly edgeCache = new Map<Caller, Map<ServiceRt, EdgeSeries>>();
  /** Calls each pod answered, per bucket, by pod reference. */
  private readonly pods = new Map<PodRt, Float64Array>();
  /** Attempts each service's pods answered, per bucket (retries included), by service reference. */
  private readonly attempts = new Map<ServiceRt, Float64Array>();

  /** The data plane records its Envoy pools' occupancy here, in the same buckets. */
  readonly poolOccupancy: PoolOccupancy;

  constructor(
    readonly durationUs: number,
    readonly warmupUs = 0,
  ) {
    this.widthUs = bucketWidthUs(durationUs);
    this.count = Math.max(1, Math.ceil(durationUs / this.widthUs));
    this.poolOccupancy = new PoolOccupancy(this.widthUs, this.count);
    this.buckets = Array.from({ length: this.count }, () => ({
      requests: 0,
      errors: 0,
      byClass: new Map(),
      byCode: new Map(),
      byFlag: new Map(),
      latency: new LogHistogram(),
      okLatency: new LogHistogram(),
    }));
  }

  private index(tUs: number): number {
    return Math.min(this.count - 1, Math.max(0, Math.floor(tUs / this.widthUs)));
  }

  onServed(r: ServedRecord): void {
    const service = r.pod.service;
    let counts = this.attempts.get(service);
    if (!counts) this.attempts.set(service, (counts = new Float64Array(this.count)));
    // By when the end-user request started, as end-user requests are counted: the ratio is then exact per window.
    counts[this.index(r.call.rootStartUs)]!++;
  }

  onCall(r: CallRecord): void {
    const i = this.index(r.call.startUs);
    const failed = !succeeded(r.status);
    const latencyUs = r.endUs - r.call.startUs;
    const e = this.edgeOf(r.call.caller, r.call.service);
    // i = this.index(t) is in [0, this.count), the length of every per-bucket array.
    e.requests[i]!++;
    if (failed) e.errors[i]!++;
    (e.latency[i] ??= new LogHistogram()).record(latencyUs);
    if (r.pod) {
      if (crossesZones(r.call.caller.node, r.pod)) (e.crossZone ??= new Float64Array(this.count))[i]!++;
      let perPod = this.pods.get(r.pod);
      if (!perPod) this.pods.set(r.pod, (perPod = new Float64Array(this.count)));
      perPod[i]!++;
      const v = r.pod.version.name;
      let counts = e.versions.get(v);
      if (!counts) e.versions.set(v, (counts = new Float64Array(this.count)));
      counts[i]!++;
    }

    if (r.call.parent !== undefined) return;
    // An end-user request: a workload client's call.
    const b = this.buckets[i]!;
    b.requests++;
    if (failed) b.errors++;
    const cls = statusClass(r.status);
    b.byClass.set(cls, (b.byClass.get(cls) ?? 0) + 1);
    b.byCode.set(r.status, (b.byCode.get(r.status) ?? 0) + 1);
    if (r.flags !== '' && r.flags !== '-') for (const f of r.flags.split(',')) b.byFlag.set(f, (b.byFlag.get(f) ?? 0) + 1);
    b.latency.record(latencyUs);
    if (!failed) b.okLatency.record(latencyUs);
  }

  /** Callers of one service (its pods) share one edge, named `edgeName → service key`. */
  private edgeOf(caller: Caller, service: ServiceRt): EdgeSeries {
    let byService = this.edgeCache.get(caller);
    if (!byService) this.edgeCache.set(caller, (byService = new Map()));
    let e = byService.get(service);
    if (e) return e;
    const key = `${caller.edgeName}\u0000${service.model.key}`;
    e = this.edges.get(key);
    if (!e) {
      e = {
        source: caller.edgeName,
        destination: service.model.key,
        requests: new Float64Array(this.count),
        errors: new Float64Array(this.count),
        latency: [],
        versions: new Map(),
      };
      this.edges.set(key, e);
    }
    byService.set(service, e);
    return e;
  }

  toJson(): TimeSeriesJson {
    const widthS = this.widthUs / 1e6;
    const sortedObj = (m: Map<string, number>) =>
      Object.fromEntries([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    const buckets: BucketJson[] = this.buckets.map((b, i) => {
      const start = (i * this.widthUs) / 1e6;
      const end = Math.min(this.durationUs, (i + 1) * this.widthUs) / 1e6;
      const span = Math.max(1e-9, end - start);
      return {
        t_s: round(start, 6),
        end_s: round(end, 6),
        requests: b.requests,
        rps: round(b.requests / span, 3),
        errors: b.errors,
        by_class: Object.fromEntries(STATUS_CLASSES.filter((c) => b.byClass.has(c)).map((c) => [c, b.byClass.get(c) as number])),
        by_code: sortedObj(new Map([...b.byCode].map(([code, n]) => [String(code), n]))),
        by_flag: sortedObj(b.byFlag),
      };
    });
    const total = this.buckets.reduce((n, b) => n + b.latency.count, 0);
    const perBucket = total / this.count;
    const k = Math.max(
      1,
      Math.min(Math.ceil(LATENCY_WINDOW_SAMPLES / Math.max(1e-9, perBucket)), Math.floor(this.count / MIN_LATENCY_WINDOWS)),
    );
    const windows: WindowJson[] = [];
    const groups: [number, number][] = [];
    for (let i = 0; i < this.count; i += k) {
      const end = Math.min(this.count, i + k);
      groups.push([i, end]);
      const h = new LogHistogram();
      const ok = new LogHistogram();
      for (let j = i; j < end; j++) {
        h.add(this.buckets[j]!.latency);
        ok.add(this.buckets[j]!.okLatency);
      }
      windows.push({
        t_s: round((i * this.widthUs) / 1e6, 6),
        end_s: round(Math.min(this.durationUs, end * this.widthUs) / 1e6, 6),
        requests: h.count,
        latency_ms:
          h.count === 0
            ? null
            : {
                p50: round(h.percentileUs(50) / 1000, 3),
                p90: round(h.percentileUs(90) / 1000, 3),
                p99: round(h.percentileUs(99) / 1000, 3),
                max: round(h.percentileUs(100) / 1000, 3),
              },
        ok_latency_ms: percentilesMs(ok),
      });
    }
    const edges = [...this.edges.values()]
      .sort((a, b) => (a.source === b.source ? cmp(a.destination, b.destination) : cmp(a.source, b.source)))
      .map((e) => {
        const calls: number[] = [];
        const errors: number[] = [];
        const p99: (number | null)[] = [];
        groups.forEach(([i, end], w) => {
          let n = 0;
          let x = 0;
          const h = new LogHistogram();
          for (let j = i; j < end; j++) {
            n += e.requests[j]!;
            x += e.errors[j]!;
            const l = e.latency[j];
            if (l) h.add(l);
          }
          const win = windows[w]!;
          calls.push(round(n / Math.max(1e-9, win.end_s - win.t_s), 3));
          errors.push(x);
          p99.push(h.count ? round(h.percentileUs(99) / 1000, 3) : null);
        });
        const json: EdgeWindowsJson = {
          source: e.source,
          destination: e.destination,
          requests: [...e.requests].reduce((a, b) => a + b, 0),
          rps: calls,
          errors,
          p99_ms: p99,
        };
        if (e.versions.size > 1) {
          json.by_version_rps = Object.fromEntries(
            [...e.versions.entries()]
              .sort((a, b) => cmp(a[0], b[0]))
              .map(([v, counts]) => [
                v,
                groups.map(([i, end], w) => {
                  let n = 0;
                  for (let j = i; j < end; j++) n += counts[j]!;
                  const win = windows[w]!;
                  return round(n / Math.max(1e-9, win.end_s - win.t_s), 3);
                }),
              ]),
          );
        }
        const cross = e.crossZone;
        if (cross) {
          json.cross_zone_share = groups.map(([i, end]) => {
            let n = 0;
            let x = 0;
            for (let j = i; j < end; j++) {
              n += e.requests[j]!;
              x += cross[j]!;
            }
            return n > 0 ? round(x / n, 4) : 0;
          });
        }
        return json;
      });
    const perSecond = (counts: Float64Array) =>
      groups.map(([i, end], w) => {
        let n = 0;
        for (let j = i; j < end; j++) n += counts[j]!;
        const win = windows[w]!;
        return round(n / Math.max(1e-9, win.end_s - win.t_s), 3);
      });
    const pods: PodWindowsJson[] = [...this.pods.entries()]
      .map(([pod, counts]) => ({ service: pod.service.model.key, pod: pod.name, rps: perSecond(counts) }))
      .sort((a, b) => cmp(a.service, b.service) || cmp(a.pod, b.pod));
    const attempts: ServiceAttemptsJson[] = [...this.attempts.entries()]
      .map(([service, counts]) => ({ service: service.model.key, rps: perSecond(counts) }))
      .sort((a, b) => cmp(a.service, b.service));
    const pools = this.poolOccupancy.toJson();
    return {
      bucket_s: widthS,
      duration_s: this.durationUs / 1e6,
      warmup_s: this.warmupUs / 1e6,
      buckets,
      window_s: round(k * widthS, 6),
      windows,
      edges,
      pods,
      attempts,
      ...(pools.length ? { pools } : {}),
    };
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function percentilesMs(h: LogHistogram): WindowJson['latency_ms'] {
  if (h.count === 0) return null;
  return {
    p50: round(h.percentileUs(50) / 1000, 3),
    p90: round(h.percentileUs(90) / 1000, 3),
    p99: round(h.percentileUs(99) / 1000, 3),
    max: round(h.percentileUs(100) / 1000, 3),
  };
}
