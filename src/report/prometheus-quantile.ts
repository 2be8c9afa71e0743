/**
 * What Grafana shows for a percentile of Istio's duration histogram: PromQL's
 * histogram_quantile over Envoy's default buckets (0.5, 1, 5, 10, 25, … ms). Prometheus finds the
 * bucket where the rank q·N falls and interpolates linearly inside it, so with buckets this coarse
 * the answer can be far from the exact percentile (prometheus/prometheus promql/quantile.go,
 * bucketQuantile; https://prometheus.io/docs/practices/histograms/#errors-of-quantile-estimation).
 */
import type { LatencyStats } from '../record/latency.js';
import { ENVOY_BUCKETS } from '../telemetry/istio-metrics.js';

/** histogram_quantile(q) over cumulative counts at the upper bounds `le` (ms), +Inf implied after them. */
export function histogramQuantile(q: number, le: readonly number[], cumulative: readonly number[], total: number): number {
  if (total === 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < le.length; i++) {
    const bound = le[i]!;
    const count = cumulative[i]!;
    if (count >= rank) {
      // Prometheus interpolates from 0 in the first bucket (lower bound 0 for positive bounds).
      return count === prevCount ? bound : prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  // The rank is in the +Inf bucket: Prometheus returns the largest finite bound.
  return prevBound;
}

/** p50, p90 and p99 (ms) as histogram_quantile reads them from Istio's buckets of these latencies. */
export function istioBucketPercentiles(latency: LatencyStats): { p50: number; p90: number; p99: number } {
  const total = latency.count;
  const cumulative = ENVOY_BUCKETS.map((ms) => latency.fractionAtOrBelowUs(ms * 1000) * total);
  const at = (q: number) => Math.round(histogramQuantile(q, ENVOY_BUCKETS, cumulative, total) * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}
