/**
 * histogram_quantile as PromQL computes it (prometheus/prometheus promql/quantile.go,
 * bucketQuantile): find the bucket where rank q·N falls, interpolate linearly inside it, the first
 * bucket from 0, and the largest finite bound when the rank is in the +Inf bucket.
 */
import { describe, expect, it } from 'vitest';
import { LatencyStats } from '../../src/record/latency.js';
import { histogramQuantile, istioBucketPercentiles } from '../../src/report/prometheus-quantile.js';

describe('histogram_quantile', () => {
  const le = [1, 2, 4];
  it('interpolates linearly inside the bucket where the rank falls', () => {
    expect(histogramQuantile(0.5, le, [10, 20, 40], 40)).toBe(2);
    expect(histogramQuantile(0.75, le, [10, 20, 40], 40)).toBe(3);
    expect(histogramQuantile(0.99, le, [10, 20, 40], 40)).toBeCloseTo(3.96, 10);
  });
  it('starts the first bucket at 0', () => {
    expect(histogramQuantile(0.1, le, [10, 20, 40], 40)).toBeCloseTo(0.4, 10);
  });
  it('returns the largest finite bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.9, le, [10, 20, 30], 40)).toBe(4);
  });
});

describe("percentiles from Istio's buckets", () => {
  it('match the exact ones where latency is uniform inside a bucket, and differ where it is not', () => {
    const uniform = new LatencyStats();
    for (let i = 1; i <= 1000; i++) uniform.record(i * 100); // 0.1 … 100 ms
    expect(istioBucketPercentiles(uniform).p90).toBeCloseTo(90, 0);
    const skewed = new LatencyStats();
    for (let i = 0; i < 1000; i++) skewed.record(i < 990 ? 11_000 : 200_000); // 11 ms, 1% at 200 ms
    // Exact p50 is 11 ms; the 10–25 ms bucket interpolates it to about 17.6 ms.
    expect(istioBucketPercentiles(skewed).p50).toBeGreaterThan(17);
    expect(istioBucketPercentiles(skewed).p50).toBeLessThan(18);
  });
});
