/**
 * An empty array that V8 already treats as an array of objects, of the widest fast kind.
 *
 * V8 gives each array an elements kind, which only ever widens: `[]` starts as packed small
 * integers (PACKED_SMI_ELEMENTS), becomes PACKED_ELEMENTS at its first object and HOLEY_ELEMENTS
 * at its first hole, and the literal's allocation site makes later arrays from that literal start
 * as wide as any of them became. Optimised code checks the exact array map it has seen: code
 * optimised on one run's arrays (a sweep's first point) was thrown away at the next run's
 * arrays, born narrower or wider ("wrong map", "not a Smi" in `node --trace-deopt`), and every hot
 * handler that inlined the access compiled again. Arrays born HOLEY_ELEMENTS keep one map from
 * first use to the last run. Same contents and order; only how V8 stores them differs.
 */
export function objectArray<T>(): T[] {
  const a: unknown[] = new Array(1); // HOLEY_SMI_ELEMENTS
  a[0] = undefined; // not a small integer: HOLEY_ELEMENTS, the widest fast kind
  a.length = 0;
  return a as T[];
}
