/**
 * The retry-amplification view: attempts each service answered per end-user request, over time.
 * Retries at one hop multiply the load of every hop below it — (attempts + 1)^depth when each hop
 * retries a failing leaf — and this is where a report shows it. Envoy counts each retry as its own
 * upstream request (`upstream_rq_retry`, https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats),
 * so the attempts are what the pods answered, retries included.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResultsJson } from '../results.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import { base, FULL_WIDTH, timeAxis, vl, warmupLayers } from './charts.js';
import { CATEGORICAL } from './theme.js';

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export interface RetryAmplification {
  spec: TopLevelSpec;
  /** Per service: attempts per end-user request over the measured window, and the highest window's. */
  totals: { service: string; perRequest: number; peak: number }[];
}

/** Attempts per end-user request at each hop, or undefined when nothing retried (the ratio is then the call graph's fan-out). */
export function retryAmplification(ts: TimeSeriesJson, r: ResultsJson): RetryAmplification | undefined {
  const attempts = ts.attempts ?? [];
  const retried = Object.values(r.services).some((s) => s.retries > 0);
  if (!retried || attempts.length === 0 || r.requests.total === 0) return undefined;
  // End-user requests per second in each window (by when they were sent).
  const userRps = ts.windows.map((w) => w.requests / Math.max(1e-9, w.end_s - w.t_s));
  const rows: object[] = [];
  const totals: RetryAmplification['totals'] = [];
  for (const a of attempts) {
    let peak = 0;
    ts.windows.forEach((w, i) => {
      const users = userRps[i] ?? 0;
      if (users <= 0) return;
      const ratio = (a.rps[i] ?? 0) / users;
      if (w.t_s >= ts.warmup_s) peak = Math.max(peak, ratio);
      rows.push({ service: a.service, t: w.t_s, amplification: round(ratio) });
    });
    const served = r.services[a.service]?.requests.total ?? 0;
    totals.push({ service: a.service, perRequest: round(served / r.requests.total, 2), peak: round(peak, 1) });
  }
  const services = attempts.map((a) => a.service);
  // Powers of 3 as ticks: Istio's default of 2 retries makes 3 tries per hop, so 3, 9, 27 are the
  // levels a storm steps through (istio/api networking/v1alpha3/virtual_service.proto, HTTPRetry).
  const top = Math.max(1, ...totals.map((t) => t.peak));
  const ticks = [0, 1, 3, 9, 27, 81, 243, 729, 2187].filter((v) => v <= top * 1.5 || v <= 3);
  const spec = vl({
    ...base(FULL_WIDTH, 230),
    layer: [
      ...warmupLayers(ts),
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: timeAxis(ts.duration_s),
          y: {
            field: 'amplification',
            type: 'quantitative',
            title: 'attempts per end-user request',
            scale: { type: 'symlog' },
            axis: { values: ticks },
          },
          color: {
            field: 'service',
            type: 'nominal',
            title: 'service',
            scale: { domain: services, range: services.map((_, i) => CATEGORICAL[i % CATEGORICAL.length]!) },
          },
          tooltip: [
            { field: 'service', type: 'nominal' },
            { field: 't', type: 'quantitative', title: 'from (s)' },
            { field: 'amplification', type: 'quantitative', title: 'attempts per request', format: '.2f' },
          ],
        },
      },
    ],
  });
  return { spec, totals };
}
