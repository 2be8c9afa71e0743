/**
 * LatencyStats (src/record/latency.ts) counts by HdrHistogram index itself and hands the counts
 * to hdr-histogram-js only when asked for a percentile: the index must be the library's, so the
 * percentiles are exactly those of recording every value into the histogram directly.
 */
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { hdrCountsIndex, LatencyStats } from '../../src/record/latency.js';
import { prng } from '../kernel/prng.js';

const library = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

describe('LatencyStats counts by HdrHistogram index', () => {
  it("computes the library's counts index for every bucket edge and for random values up to one hour", () => {
    const h = library() as hdr.Histogram & { countsArrayIndex(v: number): number };
    const values = [1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 3_600_000_000];
    for (let k = 1; k < 32; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    const r = prng(7);
    for (let i = 0; i < 20000; i++) values.push(1 + Math.floor(Math.exp(r() * Math.log(3_600_000_000))));
    for (const v of values.filter((x) => x <= 3_600_000_000)) expect(hdrCountsIndex(v), `value ${v}`).toBe(h.countsArrayIndex(v));
  });

  it('gives the same percentiles as recording every value into hdr-histogram-js', () => {
    const stats = new LatencyStats();
    const direct = library();
    const r = prng(11);
    for (let i = 0; i < 50000; i++) {
      const us = -Math.log(1 - r()) * 3000 + (i % 97 === 0 ? 2e6 : 0);
      stats.record(us);
      direct.recordValue(Math.min(3_600_000_000, Math.max(1, Math.round(us))));
      if (i === 1000) expect(stats.percentileUs(50)).toBe(direct.getValueAtPercentile(50)); // a read mid-way, then more records
    }
    for (const p of [0, 1, 50, 90, 99, 99.9, 100]) expect(stats.percentileUs(p), `p${p}`).toBe(direct.getValueAtPercentile(p));
  });
});
