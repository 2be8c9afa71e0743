/**
 * Named random streams. Each stream is derived from (seed, name) alone, so adding a service or a
 * workload never shifts the numbers another one draws, and every mesh mode draws the same
 * arrivals and service times (common random numbers).
 */
import seedrandom from 'seedrandom';

export type Uniform = () => number;

export class RandomStreams {
  private readonly streams = new Map<string, Uniform>();
  constructor(readonly seed: number) {}

  /** The stream called `name`, e.g. `arrivals/users` or `service-time/payment`. */
  stream(name: string): Uniform {
    let s = this.streams.get(name);
    if (!s) {
      const prng = seedrandom.xor4096(`${this.seed}/${name}`);
      s = () => prng();
      this.streams.set(name, s);
    }
    return s;
  }
}
