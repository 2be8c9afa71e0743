/**
 * Latency statistics with bounded memory: an HDR histogram in integer microseconds with 3
 * significant digits (≤0.1% relative error on percentiles), plus an exact mean and max.
 */
import type * as hdr from 'hdr-histogram-js';
// The class hdr.build() returns for our options (bitBucketSize 32, no WebAssembly), imported alone:
// the package index also loads its WebAssembly build and codecs, ~25 ms of every process start.
// A static import (not require() at run time) puts it in the command line's bundle and its code
// cache (scripts/bundle.mjs): resolving, reading and compiling its CommonJS files took ~4 ms of
// every command.
import Int32HistogramExports from 'hdr-histogram-js/dist/Int32Histogram.js';

type Int32HistogramClass = typeof Int32HistogramExports.default;
// A CommonJS file's default import is its module.exports under Node and esbuild ({ default: the
// class }), and the class itself under vitest (which follows the file's __esModule flag).
const Int32Histogram: Int32HistogramClass =
  (Int32HistogramExports as { default?: Int32HistogramClass }).default ?? (Int32HistogramExports as unknown as Int32HistogramClass);

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** JsHistogram's own steps of recording (hdr-histogram-js dist/JsHistogram.js), which flushed() takes one by one. */
interface HistogramInternals extends hdr.Histogram {
  valueFromIndex(index: number): number;
  addToCountAtIndex(index: number, value: number): void;
  updateMinAndMax(value: number): void;
  addToTotalCount(value: number): void;
}

/** One hour in microseconds: longer latencies are clamped (a run this long is not a latency). */
const HIGHEST_US = 3_600_000_000;

/**
 * The histogram's bucket layout (HdrHistogram, 3 significant digits, unit 1 µs): sub-buckets of
 * 2^11 values, half of them (2^10) new in each power-of-two bucket. With it a value's counts index
 * is two integer operations; hdr-histogram-js's JsHistogram derives the same index with log2 and
 * pow on every record, the larger part of recording's cost on the hot path.
 */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const FLUSH_EVERY = 2 ** 31;

/**
 * HdrHistogram's counts index of an integer value in [1, 2^32) (AbstractHistogram.countsArrayIndex):
 * bucket = floor(log2 v) − 10 (0 for small values), sub-bucket = v >> bucket, index =
 * (bucket + 1)·2^10 + sub-bucket − 2^10. Exported for the test that pins it to the library's.
 */
export function hdrCountsIndex(v: number): number {
  const bucket = Math.max(31 - Math.clz32(v) - SUB_BUCKET_HALF_COUNT_MAGNITUDE, 0);
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (v >>> bucket) - SUB_BUCKET_HALF_COUNT;
}

/** Counts indices 0 … that of HIGHEST_US. */
const FRESH_LENGTH = hdrCountsIndex(HIGHEST_US) + 1;

export class LatencyStats {
  count = 0;
  private sumUs = 0;
  private maxUs = 0;
  // Both arrays (~90 KB each) are made on first use: a cluster has a LatencyStats per service and
  // per edge, and many never see a request.
  /** What hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 }) makes. */
  private hist?: hdr.Histogram;

  /** Counts recorded since the histogram was last brought up to date, by counts index. */
  private fresh?: Uint32Array;
  private freshCount = 0;

  record(us: number): void {
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    (this.fresh ?? this.freshCounts())[hdrCountsIndex(Math.min(HIGHEST_US, Math.max(1, Math.round(us))))]!++;
    if (++this.freshCount === FLUSH_EVERY) this.flushed(); // keep every fresh count below 2^32
  }

  /** The fresh counts array, made at the first record (apart from record, which V8 inlines). */
  private freshCounts(): Uint32Array {
    return (this.fresh = new Uint32Array(FRESH_LENGTH));
  }

  /**
   * The histogram with the fresh counts added. Its counts array has the fresh array's layout (the
   * same index for the same value), so each count goes to its index as it is, and the total, the
   * min and the max are updated once: what recordValueWithCount(valueFromIndex(i), n) per index
   * does (JsHistogram.recordCountAtValue), without deriving each index back from its value.
   */
  private flushed(): hdr.Histogram {
    this.hist ??= Object.assign(new Int32Histogram(1, HIGHEST_US, 3), { autoResize: true });
    const fresh = this.fresh;
    if (fresh && this.freshCount > 0) {
      const h = this.hist as HistogramInternals;
      let first = -1;
      let last = -1;
      let total = 0;
      for (let i = 0; i < fresh.length; i++) {
        const n = fresh[i]!;
        if (n > 0) {
          h.addToCountAtIndex(i, n);
          total += n;
          if (first < 0) first = i;
          last = i;
          fresh[i] = 0;
        }
      }
      h.updateMinAndMax(h.valueFromIndex(first));
      h.updateMinAndMax(h.valueFromIndex(last));
      h.addToTotalCount(total);
      this.freshCount = 0;
    }
    return this.hist;
  }

  /** Value at percentile p (0-100), in microseconds. */
  percentileUs(p: number): number {
    return this.count ? this.flushed().getValueAtPercentile(p) : 0;
  }

  /** Share (0-1) of recorded values at or below `us`, from the histogram (within its 0.1% precision). */
  fractionAtOrBelowUs(us: number): number {
    if (this.count === 0) return 0;
    if (this.maxUs <= us) return 1;
    // The histogram answers value-at-percentile; the share is the largest percentile whose value
    // is still ≤ us, found by bisection.
    let lo = 0;
    let hi = 100;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (this.flushed().getValueAtPercentile(mid) <= us) lo = mid;
      else hi = mid;
    }
    return lo / 100;
  }

  meanUs(): number {
    return this.count ? this.sumUs / this.count : 0;
  }

  /** Summary in milliseconds, rounded to the microsecond so output is stable and readable. */
  summaryMs(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      mean: Math.round(this.meanUs() * 1000) / 1e6,
      p50: ms(this.percentileUs(50)),
      p90: ms(this.percentileUs(90)),
      p99: ms(this.percentileUs(99)),
      p999: ms(this.percentileUs(99.9)),
      max: Math.round(this.maxUs * 1000) / 1e6,
    };
  }
}
