/**
 * An empty array that V8 already treats as an array of objects.
 *
 * V8 gives each array an elements kind, which only ever widens: `[]` starts as small integers
 * (PACKED_SMI_ELEMENTS) and becomes PACKED_ELEMENTS at its first object. Optimised code that pushed
 * objects into the arrays of one run (a sweep's first point, the first connection pool of a run)
 * checks for the PACKED_ELEMENTS array map; a fresh `[]` of the next run or pool fails the check,
 * the code is thrown away ("wrong map", "not a Smi" in `node --trace-deopt`) and every hot handler
 * that inlined the push is compiled again. The allocation-site feedback that should start later
 * `[]`s wide does not reach arrays widened in optimised code (V8's AllocationSite, updated by
 * the runtime's elements-kind transitions, not by optimised stores). One widened at birth has the
 * map the optimised code expects. Same contents and order; only how V8 stores them differs.
 */
export function objectArray<T>(): T[] {
  const a: (T | undefined)[] = [undefined]; // an element that is not a small integer: PACKED_ELEMENTS
  a.pop();
  return a as T[];
}
