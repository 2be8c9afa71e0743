/**
 * Latency statistics with bounded memory: an HDR histogram in integer microseconds with 3
 * significant digits (≤0.1% relative error on percentiles), plus an exact mean and max.
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One hour in microseconds: longer latencies are clamped (a run this long is not a latency). */
const HIGHEST_US = 3_600_000_000;

export class LatencyStats {
  count = 0;
  private sumUs = 0;
  private maxUs = 0;
  private readonly hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  record(us: number): void {
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    this.hist.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(us))));
  }

  /** Value at percentile p (0-100), in microseconds. */
  percentileUs(p: number): number {
    return this.count ? this.hist.getValueAtPercentile(p) : 0;
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
      if (this.hist.getValueAtPercentile(mid) <= us) lo = mid;
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
