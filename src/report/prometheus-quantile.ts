/**
 * What Grafana shows for a percentile of Istio's duration histogram: PromQL's
 * histogram_quantile over Envoy's default buckets (0.5, 1, 5, 10, 25, … ms). Prometheus finds the
 * bucket where the rank q·N falls and interpolates linearly inside it, so with buckets this coarse
 * the answer can be far from the exact percentile (prometheus/prometheus promql/quantile.go,
 * bucketQuantile; https://prometheus.io/docs/practices/histograms/#errors-of-quantile-estimation).
 */
import type { LatencyStats } from '../record/latency.js';
import { ENVOY_BUCKETS } from '../telemetry/istio-metrics.js';
import { histogramQuantile } from '../telemetry/histogram-quantile.js';

export { histogramQuantile };

/** p50, p90 and p99 (ms) as histogram_quantile reads them from Istio's buckets of these latencies. */
export function istioBucketPercentiles(latency: LatencyStats): { p50: number; p90: number; p99: number } {
  const total = latency.count;
  const cumulative = ENVOY_BUCKETS.map((ms) => latency.fractionAtOrBelowUs(ms * 1000) * total);
  const at = (q: number) => Math.round(histogramQuantile(q, ENVOY_BUCKETS, cumulative, total) * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}
