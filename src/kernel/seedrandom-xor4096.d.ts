// seedrandom ships no types for its single-generator modules; @types/seedrandom covers the index.
declare module 'seedrandom/lib/xor4096.js' {
  /** seedrandom's xor4096 generator; with `{ state: true }` its `state()` gives the xorgens state. */
  function xor4096(seed: string, options: { state: true }): { (): number; state(): { X: number[]; i: number; w: number } };
  export default xor4096;
}
