// mulberry32: the one small deterministic PRNG for what is not a simulation: tests' random inputs,
// the fuzzer's mutations (test/fuzz/mutate.mjs) and the benchmarks' workloads (bench/). Simulations
// draw from named seedrandom streams (src/kernel/random.ts); nothing here may use Math.random.

/**
 * Uniform numbers in [0, 1) from a 32-bit seed.
 * @param {number} seed
 * @returns {() => number}
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
