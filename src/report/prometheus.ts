/**
 * metrics.prom: the end-of-run snapshot in the Prometheus text exposition format 0.0.4 (HELP and
 * TYPE lines, families and series sorted, `le` written as Envoy writes it: "0.5", "1", "3600000").
 * Also the families derived from results.json that both writers share: TCP connections opened
 * and outlier-detection ejections.
 */
import type { Scenario } from '../config/model.js';
import type { HistogramValue, Labels, MetricFamily, MetricPoint } from '../telemetry/istio-metrics.js';
import type { ResultsJson } from './results.js';

/** Label values: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP text: backslash and line feed escaped. */
export const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatLabels(labels: Labels, extra?: readonly [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** A sample value: integers as integers, other numbers in JavaScript's shortest round-trip form. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Counter families carry `_total` in the 0.0.4 format (the name Prometheus stores). */
export const exposedName = (f: MetricFamily): string => (f.type === 'counter' ? `${f.name}_total` : f.name);

export function sortFamilies(families: MetricFamily[]): MetricFamily[] {
  return [...families].sort((a, b) => (exposedName(a) < exposedName(b) ? -1 : exposedName(a) > exposedName(b) ? 1 : 0));
}

/** Writes the last point of every series. */
export function toPrometheusText(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of sortFamilies(families)) {
    const name = exposedName(f);
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${name} ${f.type}`);
    for (const s of f.series) {
      const p = s.points[s.points.length - 1];
      if (!p) continue;
      if (f.type === 'histogram') {
        const h = p.hist;
        if (!h) continue;
        for (const [le, cum] of cumulativeBuckets(h, f.buckets ?? [], String)) {
          out.push(`${name}_bucket${formatLabels(s.labels, ['le', le])} ${formatValue(cum)}`);
        }
        out.push(`${name}_sum${formatLabels(s.labels)} ${formatValue(h.sum)}`);
        out.push(`${name}_count${formatLabels(s.labels)} ${formatValue(h.count)}`);
      } else {
        out.push(`${name}${formatLabels(s.labels)} ${formatValue(p.value ?? 0)}`);
      }
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** A histogram's cumulative `le` buckets, +Inf last; `le` formats each bound as the format wants. */
export function cumulativeBuckets(h: HistogramValue, bounds: readonly number[], le: (bound: number) => string): [string, number][] {
  const out: [string, number][] = [];
  let cum = 0;
  for (let i = 0; i < bounds.length; i++) {
    cum += h.counts[i]!;
    out.push([le(bounds[i]!), cum]);
  }
  out.push(['+Inf', cum + h.counts[bounds.length]!]);
  return out;
}

// ---- families derived from results.json ----

/** An outlier event as results.json (README.md "results.json") or the timeline gives it. */
export interface OutlierEventLike {
  t_s: number;
  type?: string;
  action?: string;
  service?: string;
  pod?: string;
  cluster?: string;
}

/** results.json, or the same with timeline-shaped outlier events. */
export type DerivedInput = Omit<ResultsJson, 'outlier'> & { outlier?: { events: readonly OutlierEventLike[] } };

/** Timeline events say eject/uneject in `type`; results.json's in `action`. */
const ejects = (e: OutlierEventLike) => e.type === 'outlier_eject' || e.action === 'eject';
const unejects = (e: OutlierEventLike) => e.type === 'outlier_uneject' || e.action === 'uneject';

/** Envoy cluster stats in results.json's `clusters`, exposed as `envoy_cluster_<stat>` counters. */
const CLUSTER_COUNTERS = [
  'upstream_rq_total',
  'upstream_rq_pending_overflow',
  'upstream_cx_overflow',
  'upstream_rq_retry',
  'upstream_rq_retry_overflow',
  'upstream_rq_timeout',
  'upstream_rq_per_try_timeout',
  'upstream_cx_connect_fail',
] as const;

type ClustersLike = Record<
  string,
  Partial<Record<(typeof CLUSTER_COUNTERS)[number], number>> & { outlier_detection?: Record<string, number> }
>;

/**
 * Families built from results.json rather than from calls:
 * - `istio_tcp_connections_opened_total`: connections opened over the run, split by whether they
 *   were mTLS (mesh-wide: results.json does not attribute them to workloads). Sampled at t=0 and
 *   at the end only.
 * - `envoy_cluster_outlier_detection_ejections_enforced_total` and `_ejections_active` per Envoy
 *   cluster, from the outlier events, at every scrape time (when the run has outlier events).
 * - `envoy_cluster_<stat>` for the Envoy cluster stats in results.json (`clusters`: overflows,
 *   retries, timeouts, connect failures and the other outlier-detection stats), summed over the
 *   client proxies, sampled at t=0 and at the end.
 */
export function derivedFamilies(results: DerivedInput, scenario: Scenario, scrapeTimesUs: readonly number[]): MetricFamily[] {
  const endUs = Math.max(results.simulated.duration_s * 1e6, ...scrapeTimesUs);
  const families: MetricFamily[] = [];
  const atEnd = (value: number) => [
    { tUs: 0, value: 0 },
    { tUs: endUs, value },
  ];
  if (results.connections) {
    const opened = results.connections.opened ?? 0;
    const mtls = results.connections.mtls_handshakes ?? 0;
    const conn = (policy: string, value: number) => ({
      labels: [
        ['reporter', 'destination'],
        ['request_protocol', 'tcp'],
        ['connection_security_policy', policy],
      ] as const,
      points: atEnd(value),
    });
    families.push({
      name: 'istio_tcp_connections_opened',
      type: 'counter',
      help: 'TCP connections opened, mesh-wide (simulated; not attributed to workloads).',
      series: [conn('mutual_tls', mtls), conn('none', Math.max(0, opened - mtls))],
    });
  }

  const byKey = new Map(scenario.services.map((s) => [s.key, s]));
  const clusterOf = (e: OutlierEventLike) => {
    if (e.cluster && e.cluster !== 'undefined') return e.cluster;
    const svc = byKey.get(String(e.service ?? ''));
    return svc ? `outbound|${svc.port}||${svc.fqdn}` : `outbound|0||${String(e.service ?? '')}`;
  };
  const events = (results.outlier?.events ?? []).filter((e) => ejects(e) || unejects(e));
  const fromEvents = new Set<string>();
  if (events.length > 0) {
    const clusters = [...new Set(events.map(clusterOf))].sort();
    const times = [0, ...scrapeTimesUs.filter((t) => t > 0)];
    if (times[times.length - 1]! < endUs) times.push(endUs);
    const enforced: MetricFamily['series'] = [];
    const active: MetricFamily['series'] = [];
    for (const cluster of clusters) {
      const mine = events.filter((e) => clusterOf(e) === cluster);
      const total: MetricPoint[] = [];
      const now: MetricPoint[] = [];
      for (const t of times) {
        let n = 0;
        let ejected = 0;
        for (const e of mine) {
          if (e.t_s * 1e6 > t) break;
          if (ejects(e)) {
            n++;
            ejected++;
          } else ejected = Math.max(0, ejected - 1);
        }
        total.push({ tUs: t, value: n });
        now.push({ tUs: t, value: ejected });
      }
      enforced.push({ labels: [['cluster_name', cluster]], points: total });
      active.push({ labels: [['cluster_name', cluster]], points: now });
    }
    families.push({
      name: 'envoy_cluster_outlier_detection_ejections_enforced',
      type: 'counter',
      help: 'Hosts ejected by outlier detection (simulated; summed over the client proxies).',
      series: enforced,
    });
    families.push({
      name: 'envoy_cluster_outlier_detection_ejections_active',
      type: 'gauge',
      help: 'Hosts currently ejected by outlier detection (simulated; summed over the client proxies).',
      series: active,
    });
    fromEvents.add('ejections_enforced').add('ejections_enforced_total').add('ejections_active');
  }

  const clusters = (results as { clusters?: ClustersLike }).clusters ?? {};
  const names = Object.keys(clusters).sort();
  if (names.length > 0) {
    for (const stat of CLUSTER_COUNTERS) {
      const series = names
        .filter((c) => typeof clusters[c]?.[stat] === 'number')
        .map((c) => ({ labels: [['cluster_name', c]] as const, points: atEnd(clusters[c]?.[stat] as number) }));
      if (series.length)
        families.push({
          name: `envoy_cluster_${stat.replace(/_total$/, '')}`,
          type: 'counter',
          help: `Envoy cluster stat ${stat} (simulated; summed over the client proxies).`,
          series,
        });
    }
    const odStats = [...new Set(names.flatMap((c) => Object.keys(clusters[c]?.outlier_detection ?? {})))].sort();
    for (const stat of odStats) {
      if (fromEvents.has(stat) || !/^[a-z0-9_]+$/.test(stat)) continue;
      const gauge = stat === 'ejections_active';
      const name = `envoy_cluster_outlier_detection_${gauge ? stat : stat.replace(/_total$/, '')}`;
      const series = names
        .filter((c) => typeof clusters[c]?.outlier_detection?.[stat] === 'number')
        .map((c) => ({ labels: [['cluster_name', c]] as const, points: atEnd(clusters[c]?.outlier_detection?.[stat] as number) }));
      families.push({
        name,
        type: gauge ? 'gauge' : 'counter',
        help: `Envoy outlier detection stat ${stat} (simulated; summed over the client proxies).`,
        series,
      });
    }
  }
  return families;
}
