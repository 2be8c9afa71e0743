/**
 * The proxy metrics of the non-Istio meshes, under their own names and labels, on the same
 * scrape grid and neutral model (MetricFamily) as Istio's metrics:
 *
 * - Linkerd (linkerd2-proxy, https://linkerd.io/2.18/reference/proxy-metrics/; buckets from
 *   linkerd/metrics/src/latency.rs): `request_total`, `response_total` and `response_latency_ms`
 *   by `direction` (outbound at the client proxy, inbound at the server proxy), `authority`
 *   (outbound only), `tls`, `status_code`, `classification`, `dst_*` labels, plus the labels a
 *   scrape adds (`namespace`, `pod`, `deployment`, `job="linkerd-proxy"`).
 * - Cilium / Hubble (cilium/cilium pkg/hubble/metrics/{flow,drop,http}): `hubble_flows_processed_total`
 *   and `hubble_drop_total` for every flow, and the `http` handler's `hubble_http_requests_total`,
 *   `hubble_http_responses_total`, `hubble_http_request_duration_seconds` only for traffic the node
 *   Envoy saw (an L7 policy applies), since L7 flows are Envoy access-log events.
 */
import type { Scenario } from '../config/model.js';
import type { PodRt } from '../world/entities.js';
import { decideCilium, type CiliumPolicy } from '../policy/cilium/network-policy.js';
import {
  compareLabels,
  DEFAULT_SCRAPE_INTERVAL_US,
  isPod,
  type HistogramValue,
  type Labels,
  type MetricFamily,
  type MetricPoint,
} from './istio-metrics.js';
import type { CallRecord, RunObserver, ServedRecord } from './observer.js';

export const LINKERD_LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000,
];
/** Prometheus client defaults, which Hubble's duration histograms use (seconds). */
export const PROMETHEUS_DEFAULT_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Labels;
  value: number;
  counts?: Float64Array;
  sum: number;
  points: MetricPoint[];
}

/** Families of counters and histograms, snapshotted lazily on a scrape grid (no simulator events). */
class ScrapedFamilies {
  private readonly families = new Map<string, { def: Omit<MetricFamily, 'series'>; series: Map<string, Series> }>();
  private nextUs: number;
  private lastUs = 0;
  private lastEndUs = 0;
  readonly scrapeTimesUs: number[] = [];

  constructor(private readonly intervalUs = DEFAULT_SCRAPE_INTERVAL_US) {
    this.nextUs = intervalUs;
  }

  define(def: Omit<MetricFamily, 'series'>): void {
    this.families.set(def.name, { def, series: new Map() });
  }

  advance(endUs: number): void {
    while (endUs > this.nextUs) {
      this.snapshot(this.nextUs);
      this.nextUs += this.intervalUs;
    }
    this.lastEndUs = Math.max(this.lastEndUs, endUs);
  }

  private series(name: string, labels: Labels): Series {
    const f = this.families.get(name) as { def: Omit<MetricFamily, 'series'>; series: Map<string, Series> };
    const key = labels.map((l) => l[1]).join('\u0000');
    let s = f.series.get(key);
    if (!s) {
      const buckets = f.def.buckets;
      s = { labels, value: 0, sum: 0, points: [], ...(buckets ? { counts: new Float64Array(buckets.length + 1) } : {}) };
      // A new series starts from 0 at the previous scrape, so rate() sees its first increments.
      s.points.push(
        buckets
          ? { tUs: this.lastUs, hist: { counts: new Float64Array(buckets.length + 1), count: 0, sum: 0 } }
          : { tUs: this.lastUs, value: 0 },
      );
      f.series.set(key, s);
    }
    return s;
  }

  inc(name: string, labels: Labels): void {
    this.series(name, labels).value++;
  }

  observe(name: string, labels: Labels, v: number): void {
    const s = this.series(name, labels);
    const buckets = this.families.get(name)?.def.buckets as readonly number[];
    let i = 0;
    while (i < buckets.length && v > buckets[i]!) i++;
    (s.counts as Float64Array)[i]!++;
    s.value++;
    s.sum += v;
  }

  private snapshot(tUs: number): void {
    for (const f of this.families.values())
      for (const s of f.series.values()) {
        const hist: HistogramValue | undefined = s.counts
          ? { counts: Float64Array.from(s.counts), count: s.value, sum: Math.round(s.sum * 1e6) / 1e6 }
          : undefined;
        s.points.push(hist ? { tUs, hist } : { tUs, value: s.value });
      }
    this.scrapeTimesUs.push(tUs);
    this.lastUs = tUs;
  }

  finish(horizonUs: number): void {
    const endUs = Math.max(horizonUs, this.lastEndUs);
    while (this.nextUs <= endUs) {
      this.snapshot(this.nextUs);
      this.nextUs += this.intervalUs;
    }
    if (this.lastUs < endUs || this.scrapeTimesUs.length === 0) this.snapshot(endUs);
  }

  all(): MetricFamily[] {
    return [...this.families.values()].map(({ def, series }) => ({
      ...def,
      series: [...series.values()].sort((a, b) => compareLabels(a.labels, b.labels)).map((s) => ({ labels: s.labels, points: s.points })),
    }));
  }
}

export interface MetricsSource extends RunObserver {
  finish(horizonUs: number): void;
  families(): MetricFamily[];
  readonly scrapeTimesUs: readonly number[];
}

const deployment = (p: PodRt) => `${p.service.model.name}-${p.version.name}`;

export class LinkerdMetricsObserver implements MetricsSource {
  private readonly f = new ScrapedFamilies();
  private finished = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly countFromUs: number,
  ) {
    this.f.define({ name: 'request', type: 'counter', help: 'Total count of HTTP requests (linkerd2-proxy, simulated).' });
    this.f.define({ name: 'response', type: 'counter', help: 'Total count of HTTP responses (linkerd2-proxy, simulated).' });
    this.f.define({
      name: 'response_latency_ms',
      type: 'histogram',
      help: "Elapsed times between a request's headers being received and its response stream completing (linkerd2-proxy, simulated).",
      buckets: LINKERD_LATENCY_BUCKETS_MS,
    });
  }

  get scrapeTimesUs(): readonly number[] {
    return this.f.scrapeTimesUs;
  }

  private record(
    direction: 'outbound' | 'inbound',
    proxyPod: { namespace: string; name: string; deployment: string },
    r: { status: number; mtls: boolean; service: string; ns: string; authority: string; dst?: PodRt },
    ms: number,
  ): void {
    const scrape: [string, string][] = [
      ['deployment', proxyPod.deployment],
      ['job', 'linkerd-proxy'],
      ['namespace', proxyPod.namespace],
      ['pod', proxyPod.name],
    ];
    const base: [string, string][] = [
      ['direction', direction],
      ...(direction === 'outbound' ? ([['authority', r.authority]] as [string, string][]) : []),
      ['tls', r.mtls ? 'true' : 'no_identity'],
      ...(direction === 'outbound'
        ? ([
            ['dst_namespace', r.ns],
            ['dst_service', r.service],
            ...(r.dst ? ([['dst_deployment', deployment(r.dst)]] as [string, string][]) : []),
          ] as [string, string][])
        : []),
    ];
    const failure = r.status === 0 || r.status >= 500;
    this.f.inc('request', [...base, ...scrape]);
    const withStatus: [string, string][] = [...base, ['status_code', String(r.status)], ...scrape];
    this.f.inc('response', [...base, ['status_code', String(r.status)], ['classification', failure ? 'failure' : 'success'], ...scrape]);
    this.f.observe('response_latency_ms', withStatus, ms);
  }

  /** Outbound: every call of a meshed caller, as its proxy saw it (after its retries). */
  onCall(r: CallRecord): void {
    this.f.advance(r.endUs);
    const c = r.call.caller;
    if (r.call.rootStartUs < this.countFromUs || !c.inMesh) return;
    const svc = r.call.service.model;
    const who = isPod(c)
      ? { namespace: c.namespace, name: c.name, deployment: deployment(c) }
      : { namespace: c.namespace, name: c.name, deployment: c.edgeName };
    this.record(
      'outbound',
      who,
      {
        status: r.status,
        mtls: r.mtls,
        service: svc.name,
        ns: svc.namespace,
        authority: `${svc.fqdn}:${svc.port}`,
        ...(r.pod ? { dst: r.pod } : {}),
      },
      (r.endUs - r.call.startUs) / 1000,
    );
  }

  /** Inbound: every request a meshed pod's proxy passed to its app (retries included). */
  onServed(r: ServedRecord): void {
    this.f.advance(r.endUs);
    if (r.call.rootStartUs < this.countFromUs || !r.pod.inMesh) return;
    const svc = r.call.service.model;
    this.record(
      'inbound',
      { namespace: r.pod.namespace, name: r.pod.name, deployment: deployment(r.pod) },
      { status: r.status, mtls: r.mtls, service: svc.name, ns: svc.namespace, authority: '' },
      (r.endUs - r.arrivedUs) / 1000,
    );
  }

  finish(horizonUs: number): void {
    if (this.finished) return;
    this.finished = true;
    this.f.finish(horizonUs);
  }

  families(): MetricFamily[] {
    return this.f.all();
  }
}

export class HubbleMetricsObserver implements MetricsSource {
  private readonly f = new ScrapedFamilies();
  private finished = false;
  private readonly policies: CiliumPolicy[];
  private readonly l7 = new Map<string, boolean>();

  constructor(
    scenario: Scenario,
    private readonly countFromUs: number,
  ) {
    this.policies = scenario.istio.mesh.ciliumNetworkPolicies.map((r) => ({
      name: r.name,
      ...(r.kind === 'CiliumNetworkPolicy' ? { namespace: r.namespace } : {}),
      rules: r.spec,
    }));
    this.f.define({ name: 'hubble_flows_processed', type: 'counter', help: 'Total number of flows processed (Hubble, simulated).' });
    this.f.define({ name: 'hubble_drop', type: 'counter', help: 'Number of drops (Hubble, simulated).' });
    this.f.define({ name: 'hubble_http_requests', type: 'counter', help: 'Count of HTTP requests (Hubble, simulated).' });
    this.f.define({ name: 'hubble_http_responses', type: 'counter', help: 'Count of HTTP responses (Hubble, simulated).' });
    this.f.define({
      name: 'hubble_http_request_duration_seconds',
      type: 'histogram',
      help: 'Quantiles of HTTP request duration in seconds (Hubble, simulated).',
      buckets: PROMETHEUS_DEFAULT_BUCKETS_S,
      unit: 'seconds',
    });
  }

  get scrapeTimesUs(): readonly number[] {
    return this.f.scrapeTimesUs;
  }

  /** Whether an L7 policy sends this caller's traffic to the pod through the node Envoy. */
  private viaEnvoy(r: CallRecord, pod: PodRt): boolean {
    const key = `${r.call.caller.name}\u0000${pod.name}`;
    let v = this.l7.get(key);
    if (v === undefined) {
      const c = r.call.caller;
      const src = { namespace: c.namespace, labels: isPod(c) ? c.version.labels : {}, inCluster: true };
      const d = decideCilium(this.policies, {
        src,
        dst: { namespace: pod.namespace, labels: pod.version.labels, inCluster: true },
        port: pod.service.model.port,
        method: r.call.req.method,
        path: r.call.req.path,
      });
      v = d.verdict === 'l7-denied' || (d.verdict === 'forwarded' && d.l7);
      this.l7.set(key, v);
    }
    return v;
  }

  onCall(r: CallRecord): void {
    this.f.advance(r.endUs);
    if (r.call.rootStartUs < this.countFromUs) return;
    if (!r.pod && r.status === 0) {
      this.f.inc('hubble_flows_processed', [
        ['protocol', 'TCP'],
        ['subtype', ''],
        ['type', 'Drop'],
        ['verdict', 'DROPPED'],
      ]);
      this.f.inc('hubble_drop', [
        ['protocol', 'TCP'],
        ['reason', 'POLICY_DENIED'],
      ]);
      return;
    }
    this.f.inc('hubble_flows_processed', [
      ['protocol', 'TCP'],
      ['subtype', 'to-endpoint'],
      ['type', 'Trace'],
      ['verdict', 'FORWARDED'],
    ]);
    if (!r.pod || !this.viaEnvoy(r, r.pod)) return;
    const method = r.call.req.method;
    this.f.inc('hubble_flows_processed', [
      ['protocol', 'HTTP'],
      ['subtype', 'HTTP'],
      ['type', 'L7'],
      ['verdict', r.status === 403 ? 'DROPPED' : 'FORWARDED'],
    ]);
    this.f.inc('hubble_http_requests', [
      ['method', method],
      ['protocol', 'HTTP/1.1'],
      ['reporter', 'server'],
    ]);
    this.f.inc('hubble_http_responses', [
      ['method', method],
      ['protocol', 'HTTP/1.1'],
      ['reporter', 'server'],
      ['status', String(r.status)],
    ]);
    this.f.observe(
      'hubble_http_request_duration_seconds',
      [
        ['method', method],
        ['reporter', 'server'],
      ],
      (r.endUs - r.call.startUs) / 1e6,
    );
  }

  finish(horizonUs: number): void {
    if (this.finished) return;
    this.finished = true;
    this.f.finish(horizonUs);
  }

  families(): MetricFamily[] {
    return this.f.all();
  }
}
