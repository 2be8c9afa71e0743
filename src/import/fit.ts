/**
 * Fitting a service time to what telemetry shows, into the forms a scenario takes (README
 * "Distributions"): constant, exponential (by its mean) or lognormal (by median and p99).
 * - From samples (traces): lognormal by maximum likelihood and by median/p99, exponential by its
 *   mean, constant when nearly so; the one with the smallest
 *   Kolmogorov–Smirnov distance to the samples wins; the distance is reported.
 * - From moments (metrics): lognormal by mean and variance (σ² = ln(1 + v/m²), μ = ln m − σ²/2).
 * - A histogram (Istio's buckets): a lognormal whose mean is the histogram's (sum/count) and whose σ
 *   minimises the squared CDF error at the bucket bounds, for its variance.
 */
import { Z_99 } from '../kernel/distributions.js';
import { quantileSorted } from './stats.js';

export type FittedForm =
  | { distribution: 'constant'; valueMs: number }
  | { distribution: 'exponential'; meanMs: number }
  | { distribution: 'lognormal'; medianMs: number; p99Ms: number };

export interface FittedDistribution {
  form: FittedForm;
  /** How it was fitted, for the scenario comment and the stderr report. */
  note: string;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

const cdfOf =
  (f: FittedForm) =>
  (x: number): number => {
    switch (f.distribution) {
      case 'constant':
        return x >= f.valueMs ? 1 : 0;
      case 'exponential':
        return x <= 0 ? 0 : 1 - Math.exp(-x / f.meanMs);
      case 'lognormal': {
        if (x <= 0) return 0;
        const mu = Math.log(f.medianMs);
        const sigma = Math.max(1e-9, (Math.log(f.p99Ms) - mu) / Z_99);
        return normalCdf((Math.log(x) - mu) / sigma);
      }
    }
  };

/** Kolmogorov–Smirnov distance between sorted samples and a CDF. */
export function ksDistance(sorted: readonly number[], cdf: (x: number) => number): number {
  let d = 0;
  const n = sorted.length;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  });
  return d;
}

export const fmtMs = (ms: number): string => `${Number(ms.toPrecision(3))}ms`;

export function describeForm(f: FittedForm): string {
  switch (f.distribution) {
    case 'constant':
      return `constant ${fmtMs(f.valueMs)}`;
    case 'exponential':
      return `exponential mean ${fmtMs(f.meanMs)}`;
    case 'lognormal':
      return `lognormal median ${fmtMs(f.medianMs)} p99 ${fmtMs(f.p99Ms)}`;
  }
}

/** Smallest time a fitted service time may have (a scenario's durations must be positive). */
const FLOOR_MS = 0.001;

/** The best of constant / exponential / lognormal for samples in ms (at least one), by KS distance. */
export function fitSamples(samples: readonly number[]): FittedDistribution {
  const sorted = samples.map((x) => Math.max(FLOOR_MS, x)).sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const med = quantileSorted(sorted, 0.5);
  const p99 = Math.max(med, quantileSorted(sorted, 0.99));
  // Nearly no spread (p1 and p99 within 2% of the median): a constant, which KS cannot score.
  if (p99 <= med * 1.02 && quantileSorted(sorted, 0.01) >= med * 0.98)
    return {
      form: { distribution: 'constant', valueMs: med },
      note: `constant ${fmtMs(med)}: ${n} self-time samples with p1 and p99 within 2% of the median`,
    };
  // Lognormal by maximum likelihood (the mean and sd of ln x), and by the sample's median and p99.
  const logs = sorted.map(Math.log);
  const mu = logs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, n - 1));
  const candidates: { form: FittedForm; how: string }[] = [
    {
      form: { distribution: 'lognormal', medianMs: Math.exp(mu), p99Ms: Math.exp(mu + Z_99 * sd) },
      how: 'lognormal by maximum likelihood',
    },
    { form: { distribution: 'lognormal', medianMs: med, p99Ms: p99 }, how: 'lognormal by median and p99' },
    { form: { distribution: 'exponential', meanMs: mean }, how: 'exponential by mean' },
  ];
  const scored = candidates.map((c) => ({ ...c, ks: ksDistance(sorted, cdfOf(c.form)) })).sort((a, b) => a.ks - b.ks);
  const best = scored[0]!;
  const others = scored
    .slice(1)
    .map((s) => `${s.how} ${s.ks.toFixed(3)}`)
    .join(', ');
  return {
    form: best.form,
    note: `${describeForm(best.form)}, ${best.how} over ${n} self-time samples (sample median ${fmtMs(med)}, p99 ${fmtMs(p99)}, mean ${fmtMs(mean)}); KS distance ${best.ks.toFixed(3)}${others ? ` (vs ${others})` : ''}`,
  };
}

/** A lognormal with this mean and variance (ms, ms²), by moments. */
export function lognormalByMoments(meanMs: number, varianceMs2: number): FittedForm {
  const sigma2 = Math.log(1 + varianceMs2 / (meanMs * meanMs));
  const mu = Math.log(meanMs) - sigma2 / 2;
  const sigma = Math.sqrt(sigma2);
  return { distribution: 'lognormal', medianMs: Math.exp(mu), p99Ms: Math.exp(mu + Z_99 * sigma) };
}

export const lognormalMean = (f: { medianMs: number; p99Ms: number }): number => {
  const sigma = (Math.log(f.p99Ms) - Math.log(f.medianMs)) / Z_99;
  return f.medianMs * Math.exp((sigma * sigma) / 2);
};
export const lognormalVariance = (f: { medianMs: number; p99Ms: number }): number => {
  const sigma = (Math.log(f.p99Ms) - Math.log(f.medianMs)) / Z_99;
  const m = lognormalMean(f);
  return m * m * (Math.exp(sigma * sigma) - 1);
};

/** Cumulative bucket counts of a histogram: upper bounds (finite, increasing) and counts ≤ each. */
export interface Buckets {
  le: number[];
  cumulative: number[];
  count: number;
  sum: number;
}

/**
 * A lognormal matching a histogram: its mean is sum/count exactly; σ (and so μ) minimises the
 * squared difference between the lognormal's CDF and the observed share at each bucket bound.
 * Returns the fitted form and the root-mean-square CDF error.
 */
export function fitHistogram(b: Buckets): { form: FittedForm; rms: number; meanMs: number; varianceMs2: number } | undefined {
  if (b.count <= 0) return undefined;
  const meanMs = b.sum / b.count;
  if (!(meanMs > 0)) return undefined;
  const err = (sigma: number): number => {
    const mu = Math.log(meanMs) - (sigma * sigma) / 2;
    let e = 0;
    b.le.forEach((le, i) => {
      const f = le <= 0 ? 0 : normalCdf((Math.log(le) - mu) / sigma);
      e += (f - (b.cumulative[i] ?? 0) / b.count) ** 2;
    });
    return e;
  };
  // A coarse grid, then a golden-section refinement around its best point.
  let best = 0.05;
  for (let s = 0.05; s <= 3; s += 0.05) if (err(s) < err(best)) best = s;
  let lo = Math.max(0.01, best - 0.05);
  let hi = best + 0.05;
  for (let i = 0; i < 40; i++) {
    const a = lo + (hi - lo) * 0.382;
    const c = lo + (hi - lo) * 0.618;
    if (err(a) < err(c)) hi = c;
    else lo = a;
  }
  const sigma = (lo + hi) / 2;
  const mu = Math.log(meanMs) - (sigma * sigma) / 2;
  const form: FittedForm = { distribution: 'lognormal', medianMs: Math.exp(mu), p99Ms: Math.exp(mu + Z_99 * sigma) };
  return {
    form,
    rms: Math.sqrt(err(sigma) / Math.max(1, b.le.length)),
    meanMs,
    varianceMs2: meanMs * meanMs * (Math.exp(sigma * sigma) - 1),
  };
}

/** Prometheus' histogram_quantile (promql/quantile.go bucketQuantile): linear within the bucket. */
export function histogramQuantile(q: number, b: Buckets): number {
  if (b.count <= 0) return NaN;
  const rank = q * b.count;
  for (let i = 0; i < b.le.length; i++) {
    const c = b.cumulative[i] ?? 0;
    if (c >= rank) {
      const lower = i === 0 ? 0 : b.le[i - 1]!;
      const below = i === 0 ? 0 : (b.cumulative[i - 1] ?? 0);
      const inBucket = c - below;
      return inBucket > 0 ? lower + ((b.le[i]! - lower) * (rank - below)) / inBucket : lower;
    }
  }
  // In the +Inf bucket: the highest finite bound, as Prometheus answers.
  return b.le[b.le.length - 1] ?? NaN;
}
