/**
 * Istio's standard HTTP metrics (https://istio.io/latest/docs/reference/config/metrics/; istio/proxy
 * source/extensions/filters/http/istio_stats/istio_stats.cc) as a RunObserver: `istio_requests_total` and the
 * `istio_request_duration_milliseconds`, `istio_request_bytes` and `istio_response_bytes`
 * histograms with Envoy's default buckets and Istio's label names.
 *
 * Every call gives a `reporter="source"` series (the client side), and a `reporter="destination"`
 * series when it reached a pod. Counters are cumulative and are snapshotted on a scrape grid
 * (default 15 s) over simulated time WITHOUT scheduling simulator events: a snapshot is taken
 * lazily when a record crosses a scrape boundary, and at the end of the run (`finish`).
 *
 * Calls serving end-user requests that started before `countFromUs` (the warmup, by default) are
 * left out, exactly as results.json leaves them out, so the totals here equal the edges there.
 * Requests still in flight at the horizon are followed to their end (simulate() drains them), so
 * the last snapshot is at the last call's end, a little after the simulated duration.
 */
import { meshMode } from '../modes/registry.js';
import type { NetworkModel, Scenario, ServiceModel } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { Caller, ClientRt, PodRt, ServiceRt } from '../world/entities.js';
import type { CallRecord, RunObserver, ServedRecord } from './observer.js';

/** Envoy's default histogram buckets (ms for durations, bytes for sizes): envoy source/common/stats/histogram_impl.cc. */
export const ENVOY_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export const DEFAULT_SCRAPE_INTERVAL_US = 15e6;

// ---- the neutral metric model the writers (report/prometheus.ts, report/openmetrics.ts) share ----

export interface HistogramValue {
  /** Non-cumulative counts per bucket of `MetricFamily.buckets`, then the +Inf bucket. */
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
}

export interface MetricPoint {
  /** Simulated time of the sample (µs). */
  tUs: number;
  value?: number;
  hist?: HistogramValue;
}

export type Labels = ReadonlyArray<readonly [string, string]>;

export interface MetricSeries {
  labels: Labels;
  /** Time-ordered samples; the last one is the end-of-run value. */
  points: MetricPoint[];
}

export interface MetricFamily {
  /** Family name: counters WITHOUT the `_total` suffix (OpenMetrics style); writers add it. */
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  unit?: string;
  buckets?: readonly number[];
  series: MetricSeries[];
}

// ---- who is who, in Istio's terms ----

export interface Identity {
  workload: string;
  namespace: string;
  app: string;
  version: string;
  principal: string;
}

export const isPod = (c: Caller): c is PodRt => (c as PodRt).version !== undefined && (c as PodRt).service !== undefined;

export const spiffe = (namespace: string, serviceAccount: string): string => `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;

/** A pod is `<service>-<version>` (its Deployment); a workload client is its workload's name. */
export function identityOf(c: Caller): Identity {
  if (isPod(c)) {
    const svc = c.service.model;
    return {
      // A gateway's Deployment is its name (istio-egressgateway), with no version label.
      workload: svc.envoyOnly ? svc.name : `${svc.name}-${c.version.name}`,
      namespace: c.namespace,
      app: svc.name,
      version: c.version.name,
      principal: spiffe(c.namespace, c.serviceAccount),
    };
  }
  const w = (c as ClientRt).model;
  return {
    workload: w?.name ?? c.edgeName,
    namespace: c.namespace,
    app: w?.name ?? c.edgeName,
    version: 'unknown',
    principal: spiffe(c.namespace, c.serviceAccount),
  };
}

/**
 * The service whose cluster a call went to: the one the app called, or the gateway a route sent
 * it to (Istio's destination_service comes from the upstream cluster's metadata, istio/proxy
 * extensions/common/metadata_object.cc), e.g. istio-egressgateway.istio-system.svc.cluster.local.
 */
export const destinationServiceOf = (call: AppCall, pod: PodRt | undefined): ServiceModel =>
  pod?.service.model.envoyOnly ? pod.service.model : call.service.model;

/**
 * The port of the cluster a call went to: for an external host, the one a gateway's route names
 * (edition.cnn.com:443), else the service's (dataplane/envoy-router.ts picks clusters the same way).
 */
export const upstreamPortOf = (call: AppCall, svc: ServiceModel): number =>
  svc === call.service.model && svc.external ? (call.route?.destinations[0]?.port ?? svc.port) : svc.port;

/** Name of the application a caller is (the service for pods, the workload for clients). */
export const appName = (c: Caller): string => (isPod(c) ? c.service.model.name : ((c as ClientRt).model?.name ?? c.edgeName));

/**
 * Approximate server-side window of a call that reached `pod`: the client-side window less one
 * network crossing each way (the observer does not see when the request reached the pod).
 */
export function serverWindowUs(r: CallRecord, net: NetworkModel): { startUs: number; endUs: number } {
  const start = r.call.startUs;
  if (!r.pod) return { startUs: start, endUs: r.endUs };
  const a = r.call.caller.node;
  const b = r.pod.node;
  const oneWay = a === b ? net.sameNodeUs : a.model.zone === b.model.zone ? net.sameZoneUs : net.crossZoneUs;
  const total = r.endUs - start;
  const hop = Math.min(oneWay, total / 4);
  return { startUs: start + hop, endUs: r.endUs - hop };
}

/** Protocol label: Istio reports gRPC as `grpc`, every other HTTP flavour as `http`. */
const protocolOf = (call: AppCall): string => (call.service.model.protocol === 'grpc' ? 'grpc' : 'http');

// ---- the observer ----

/** Label names in the order they are written (Istio's order; the writers sort series, not labels). */
export const ISTIO_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_cluster',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
] as const;

const NB = ENVOY_BUCKETS.length + 1;

/** Who reports a series: a client sidecar, a server sidecar, or (ambient) a waypoint (the `reporter` label, istio_stats.cc). */
type Reporter = 'source' | 'destination' | 'waypoint';
const REPORTER_INDEX: Record<Reporter, number> = { source: 0, destination: 1, waypoint: 2 };

class Hist {
  readonly counts = new Float64Array(NB);
  count = 0;
  sum = 0;
  observe(v: number): void {
    let i = 0;
    while (i < ENVOY_BUCKETS.length && v > ENVOY_BUCKETS[i]!) i++;
    this.counts[i]!++; // i <= ENVOY_BUCKETS.length < NB
    this.count++;
    this.sum += v;
  }
  freeze(sumDigits: number): HistogramValue {
    const p = 10 ** sumDigits;
    return { counts: Float64Array.from(this.counts), count: this.count, sum: Math.round(this.sum * p) / p };
  }
}

interface SeriesState {
  labels: Labels;
  requests: number;
  duration: Hist;
  reqBytes: Hist;
  respBytes: Hist;
  dirty: boolean;
  points: { tUs: number; requests: number; duration: HistogramValue; reqBytes: HistogramValue; respBytes: HistogramValue }[];
}

export interface IstioMetricsOptions {
  scrapeIntervalUs?: number;
  /** Calls that start before this are not counted (default: the scenario's warmup). */
  countFromUs?: number;
  /** Mesh mode: with `none` there is no proxy and no workload identity (principals are unknown). */
  mode?: string;
}

const EMPTY_HIST: HistogramValue = { counts: new Float64Array(NB), count: 0, sum: 0 };

export class IstioMetricsObserver implements RunObserver {
  private readonly series = new Map<string, SeriesState>();
  private readonly intervalUs: number;
  private readonly countFromUs: number;
  private readonly meshed: boolean;
  /** HTTP metrics come only from waypoints (reporter="waypoint"), as in ambient, where ztunnel reports TCP only. */
  private readonly onlyWaypointsReport: boolean;
  private nextScrapeUs: number;
  private lastSnapshotUs = 0;
  private lastEndUs = 0;
  private finished = false;
  /** Times of every snapshot taken (µs), in order. */
  readonly scrapeTimesUs: number[] = [];

  constructor(
    private readonly scenario: Scenario,
    opts: IstioMetricsOptions = {},
  ) {
    this.intervalUs = opts.scrapeIntervalUs ?? DEFAULT_SCRAPE_INTERVAL_US;
    this.countFromUs = opts.countFromUs ?? scenario.warmupUs;
    this.meshed = (opts.mode ?? scenario.mesh.mode) !== 'none';
    this.onlyWaypointsReport = meshMode(opts.mode ?? scenario.mesh.mode).clientReporter === 'waypoint';
    this.nextScrapeUs = this.intervalUs;
  }

  /**
   * The series a (reporter, caller, pod, service, status, flags, mTLS) combination updates, cached
   * by object references and numbers (caller → pod → service → status·reporter·mTLS → flags), so
   * the hot path builds no strings, label arrays or keys once a combination has been seen.
   */
  private readonly seriesCache = new Map<Caller, Map<PodRt | undefined, Map<ServiceRt, Map<number, Map<string, SeriesState>>>>>();

  private advance(endUs: number): void {
    while (endUs > this.nextScrapeUs) {
      this.snapshot(this.nextScrapeUs);
      this.nextScrapeUs += this.intervalUs;
    }
    if (endUs > this.lastEndUs) this.lastEndUs = endUs;
  }

  /** The client side (reporter="source"): every application call, after the client proxy's retries. */
  onCall(r: CallRecord): void {
    this.advance(r.endUs);
    if (r.call.rootStartUs < this.countFromUs) return;
    const call = r.call;
    // In ambient mode only a waypoint sees HTTP: calls through one are reported by it, others not at all.
    if (this.onlyWaypointsReport && !(call.service.waypoint && call.caller.inMesh)) return;
    // Istio's catch-all clusters name the destination service (istio/proxy extensions/common/context.cc:
    // the cluster name for BlackHoleCluster / PassthroughCluster); kept apart from ordinary calls by the flags key.
    const flagsKey = r.cluster ? `${r.flags}\u0000${r.cluster}` : r.flags;
    const s = this.cached(this.onlyWaypointsReport ? 'waypoint' : 'source', call, r.pod, r.status, flagsKey, r.mtls);
    this.observe(s, (r.endUs - call.startUs) / 1000, call.req.requestSize, r.status === 0 ? 0 : call.req.responseSize);
  }

  /** The server side (reporter="destination"): every request a pod answered, each retry included. */
  onServed(r: ServedRecord): void {
    this.advance(r.endUs);
    if (r.call.rootStartUs < this.countFromUs || this.onlyWaypointsReport) return;
    const call = r.call;
    const s = this.cached('destination', call, r.pod, r.status, '', r.mtls);
    this.observe(s, (r.endUs - r.arrivedUs) / 1000, call.req.requestSize, r.status === 0 ? 0 : call.req.responseSize);
  }

  private cached(reporter: Reporter, call: AppCall, pod: PodRt | undefined, status: number, flags: string, mtls: boolean): SeriesState {
    let byPod = this.seriesCache.get(call.caller);
    if (!byPod) this.seriesCache.set(call.caller, (byPod = new Map()));
    let byService = byPod.get(pod);
    if (!byService) byPod.set(pod, (byService = new Map()));
    let byCode = byService.get(call.service);
    if (!byCode) byService.set(call.service, (byCode = new Map()));
    const code = status * 8 + REPORTER_INDEX[reporter] * 2 + (mtls ? 1 : 0);
    let byFlags = byCode.get(code);
    if (!byFlags) byCode.set(code, (byFlags = new Map()));
    let s = byFlags.get(flags);
    if (!s) byFlags.set(flags, (s = this.seriesFor(reporter, call, pod, status, flags, mtls)));
    return s;
  }

  private seriesFor(
    reporter: Reporter,
    call: AppCall,
    pod: PodRt | undefined,
    status: number,
    flagsKey: string,
    mtls: boolean,
  ): SeriesState {
    const [flags, catchAll] = flagsKey.split('\u0000') as [string, string | undefined];
    const src = identityOf(call.caller);
    const svc = destinationServiceOf(call, pod);
    // An external host has no peer metadata: its workload labels are unknown.
    const dst = pod && !pod.service.model.external ? identityOf(pod) : undefined;
    const srcMeshed = this.meshed && call.caller.inMesh;
    const dstMeshed = this.meshed && pod !== undefined && pod.inMesh;
    // A waypoint reports like a client-side proxy that also terminates the caller's mTLS.
    const source = reporter !== 'destination';
    return this.seriesState([
      reporter,
      src.workload,
      src.namespace,
      source ? (srcMeshed ? src.principal : 'unknown') : mtls ? src.principal : 'unknown',
      src.app,
      src.version,
      src.app,
      src.version === 'unknown' ? 'latest' : src.version,
      'Kubernetes',
      dst?.workload ?? 'unknown',
      dst?.namespace ?? 'unknown',
      source ? (mtls && dst ? dst.principal : 'unknown') : dstMeshed && dst ? dst.principal : 'unknown',
      dst?.app ?? 'unknown',
      dst?.version ?? 'unknown',
      svc.fqdn,
      catchAll ?? svc.name,
      catchAll ? 'unknown' : svc.namespace,
      dst?.app ?? 'unknown',
      dst === undefined || dst.version === 'unknown' ? 'latest' : dst.version,
      'Kubernetes',
      protocolOf(call),
      String(status),
      // The server side sees no client-side flag; Istio's connection_security_policy is only known there.
      source ? (flags === '' ? '-' : flags) : '-',
      reporter === 'source' ? 'unknown' : mtls ? 'mutual_tls' : 'none',
    ]);
  }

  private observe(s: SeriesState, durMs: number, reqBytes: number, respBytes: number): void {
    s.requests++;
    s.duration.observe(durMs);
    s.reqBytes.observe(reqBytes);
    s.respBytes.observe(respBytes);
    s.dirty = true;
  }

  private seriesState(values: string[]): SeriesState {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: ISTIO_LABELS.map((n, i) => [n, values[i]!] as const),
        requests: 0,
        duration: new Hist(),
        reqBytes: new Hist(),
        respBytes: new Hist(),
        dirty: true,
        // A new series starts from 0 at the previous scrape, so rate() and increase() see its first requests.
        points: [{ tUs: this.lastSnapshotUs, requests: 0, duration: EMPTY_HIST, reqBytes: EMPTY_HIST, respBytes: EMPTY_HIST }],
      };
      this.series.set(key, s);
    }
    return s;
  }

  private snapshot(tUs: number): void {
    for (const s of this.series.values()) {
      const last = s.points[s.points.length - 1];
      if (!s.dirty && last) {
        s.points.push({ ...last, tUs });
        continue;
      }
      s.points.push({
        tUs,
        requests: s.requests,
        duration: s.duration.freeze(3),
        reqBytes: s.reqBytes.freeze(0),
        respBytes: s.respBytes.freeze(0),
      });
      s.dirty = false;
    }
    this.scrapeTimesUs.push(tUs);
    this.lastSnapshotUs = tUs;
  }

  /** The end of the run: the scrapes up to `endUs` (or the last call's end, if later), and a last one there. */
  finish(horizonUs: number): void {
    if (this.finished) return;
    this.finished = true;
    const endUs = Math.max(horizonUs, this.lastEndUs);
    while (this.nextScrapeUs <= endUs) {
      this.snapshot(this.nextScrapeUs);
      this.nextScrapeUs += this.intervalUs;
    }
    if (this.lastSnapshotUs < endUs || this.scrapeTimesUs.length === 0) this.snapshot(endUs);
  }

  /** The four Istio families, series sorted by their labels (call `finish` first). */
  families(): MetricFamily[] {
    if (!this.finished) throw new Error('IstioMetricsObserver.families() before finish()');
    const states = [...this.series.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    const fam = (
      name: string,
      type: MetricFamily['type'],
      help: string,
      pick: (p: SeriesState['points'][number]) => MetricPoint,
      unit?: string,
    ): MetricFamily => ({
      name,
      type,
      help,
      unit,
      buckets: type === 'histogram' ? ENVOY_BUCKETS : undefined,
      series: states.map((s) => ({ labels: s.labels, points: s.points.map(pick) })),
    });
    return [
      fam(
        'istio_request_bytes',
        'histogram',
        'Sizes of HTTP request bodies, as reported by the Istio proxies (simulated).',
        (p) => ({ tUs: p.tUs, hist: p.reqBytes }),
        'bytes',
      ),
      fam(
        'istio_request_duration_milliseconds',
        'histogram',
        'Durations of HTTP requests in milliseconds, as reported by the Istio proxies (simulated).',
        (p) => ({ tUs: p.tUs, hist: p.duration }),
        'milliseconds',
      ),
      fam('istio_requests', 'counter', 'HTTP requests, as reported by the Istio proxies (simulated).', (p) => ({
        tUs: p.tUs,
        value: p.requests,
      })),
      fam(
        'istio_response_bytes',
        'histogram',
        'Sizes of HTTP response bodies, as reported by the Istio proxies (simulated).',
        (p) => ({ tUs: p.tUs, hist: p.respBytes }),
        'bytes',
      ),
    ];
  }
}

/** Orders label sets by their values in label order (all series of a family share the names). */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
    if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  }
  return a.length - b.length;
}
