/** Samplers for the service-time and think-time distributions. All values in the caller's unit. */
import type { Uniform } from './random.js';

/** z such that P(Z <= z) = 0.99 for a standard normal; turns a lognormal's p99 into its sigma. */
export const Z_99 = 2.3263478740408408;

export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'exponential'; mean: number }
  | { kind: 'lognormal'; median: number; p99: number }
  | { kind: 'uniform'; min: number; max: number };

/**
 * Draws from one distribution. An object with a method, not a closure: each world (a sweep
 * thread's next point, a capacity search's next run) makes its own samplers, and a closure is a
 * new function each time, so TurboFan code that had inlined the first world's sampler (the pod's
 * serveNow) deoptimised on the second's ("wrong call target", `node --trace-deopt`) and was
 * compiled again. A class's method is one function in every world.
 */
export interface Sampler {
  sample(u: Uniform): number;
}

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

class ConstantSampler implements Sampler {
  constructor(private readonly value: number) {}
  sample(): number {
    return this.value;
  }
}

class ExponentialSampler implements Sampler {
  constructor(private readonly mean: number) {}
  sample(u: Uniform): number {
    return exponential(u, this.mean);
  }
}

class LognormalSampler implements Sampler {
  private readonly mu: number;
  private readonly sigma: number;
  constructor(median: number, p99: number) {
    this.mu = Math.log(median);
    this.sigma = (Math.log(p99) - this.mu) / Z_99;
  }
  sample(u: Uniform): number {
    return Math.exp(this.mu + this.sigma * standardNormal(u));
  }
}

class UniformSampler implements Sampler {
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {}
  sample(u: Uniform): number {
    return this.min + (this.max - this.min) * u();
  }
}

export function samplerFor(d: Distribution): Sampler {
  switch (d.kind) {
    case 'constant':
      return new ConstantSampler(d.value);
    case 'exponential':
      return new ExponentialSampler(d.mean);
    case 'lognormal':
      return new LognormalSampler(d.median, d.p99);
    case 'uniform':
      return new UniformSampler(d.min, d.max);
  }
}
