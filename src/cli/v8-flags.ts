/**
 * The V8 settings every `meshsim` process runs under. launch.ts applies them first, before any
 * other code loads, so the code cache is made and used under the same flags (V8 checks them);
 * bench/ sets the same in its child processes so simulate() is measured as `meshsim` runs it.
 *
 * Imports only Node built-ins: bin/meshsim.js loads this (through launch.ts) before anything else.
 */
import { setFlagsFromString } from 'node:v8';

export const V8_FLAGS: readonly string[] = [
  // V8 lets the old generation grow to up to 4x what survived the last full GC when GC time is
  // low, which a simulation's steady stream of short-lived objects triggers: a run whose live heap
  // is ~25 MB peaked near 330 MB of RSS. Growth by at most 2x keeps it under 200 MB at no
  // measurable CPU cost (README "Performance"). Read at every full GC, so setting it first holds.
  '--heap-growing-percent=100',
  // V8 compiles optimised code on its background threads, which is free where a core is idle and
  // is not in a sweep that runs a point on every core: there, each worker thread's compiles (a few
  // tenths of a second of CPU as it warms up) took time from the points. V8 reads this flag when it
  // makes a thread's isolate (the compile dispatcher exists only if it was set then:
  // deps/v8/src/execution/isolate.h, Isolate::concurrent_recompilation_enabled), so it holds for
  // sweep worker threads and not for the main thread, made already: a worker compiles on its own
  // thread. 8 equal M/M/4 points on 2 workers: 2.83 -> 2.66 s; on 1, unchanged.
  '--no-concurrent-recompilation',
  // TurboFan inlines callees into an optimised function until their bytecode adds up to this
  // budget (V8's default 920: deps/v8/src/compiler/js-inlining-heuristic.cc,
  // JSInliningHeuristic::Finalize, reads max_inlined_bytecode_size_cumulative). A request's path
  // is many small functions across modules (proxy leg, router, pool, node CPU, kernel); at the
  // default the hot handlers stop inlining part-way and call the rest. Counted with
  // bench/instructions.js: three-tier sidecar 43.4k -> 38.0k instructions per simulated request
  // (1840: 40.1k; 8000: no better than 4000). Timed: M/M/4 whole CLI 0.74 -> 0.69 s; each sweep
  // point ~12% faster (README "Performance").
  '--max-inlined-bytecode-size-cumulative=4000',
];

/** Sets V8_FLAGS on this process (its threads share them). Call before any other code loads. */
export function applyV8Flags(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
