/** Samplers for the service-time and think-time distributions. All values in the caller's unit. */
import type { Uniform } from './random.js';

/** z such that P(Z <= z) = 0.99 for a standard normal; turns a lognormal's p99 into its sigma. */
export const Z_99 = 2.3263478740408408;

export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'lognormal'; median: number; p99: number }
  | { kind: 'uniform'; min: number; max: number };

export type Sampler = (u: Uniform) => number;

export function exponential(u: Uniform, mean: number): number {
  // 1 - u is in (0, 1], so the log is finite.
  return -mean * Math.log(1 - u());
}

/** One standard normal draw by Box-Muller; consumes exactly two uniforms so streams stay aligned. */
export function standardNormal(u: Uniform): number {
  const u1 = 1 - u();
  const u2 = u();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function samplerFor(d: Distribution): Sampler {
  switch (d.kind) {
    case 'constant': {
      const v = d.value;
      return () => v;
    }
    case 'exponential': {
      const m = d.mean;
      return (u) => exponential(u, m);
    }
    case 'lognormal': {
      const mu = Math.log(d.median);
      const sigma = (Math.log(d.p99) - mu) / Z_99;
      return (u) => Math.exp(mu + sigma * standardNormal(u));
    }
    case 'uniform': {
      const { min, max } = d;
      return (u) => min + (max - min) * u();
    }
  }
}
