/**
 * PromQL's histogram_quantile: Prometheus finds the bucket where the rank q·N falls and
 * interpolates linearly inside it (prometheus/prometheus promql/quantile.go, bucketQuantile).
 */

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
