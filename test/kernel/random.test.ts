import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { RandomStreams } from '../../src/kernel/random.js';

describe('RandomStreams', () => {
  it("draws exactly seedrandom's xor4096 numbers for (seed, name)", () => {
    for (const [seed, name] of [
      [1, 'arrivals/users'],
      [42, 'service-time/payment'],
      [7, 'lb/frontend'],
    ] as const) {
      const ours = new RandomStreams(seed).stream(name);
      const theirs = seedrandom.xor4096(`${seed}/${name}`);
      for (let k = 0; k < 50_000; k++) expect(ours()).toBe(theirs());
    }
  });

  it('gives each name its own stream, and the same stream object for the same name', () => {
    const r = new RandomStreams(3);
    const a = r.stream('a');
    expect(r.stream('a')).toBe(a);
    expect(new RandomStreams(3).stream('b')()).not.toBe(new RandomStreams(3).stream('a')());
  });
});
