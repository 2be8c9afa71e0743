/**
 * The V8 settings every `meshsim` process runs under. cli/launch.ts applies them first, before any
 * other code loads, so the code cache is made and used under the same flags (V8 checks them);
 * bench/ sets the same in its child processes so simulate() is measured as `meshsim` runs it.
 *
 * Imports only Node built-ins: bin/meshsim.js loads this (through launch.ts) before anything else.
 */
import { setFlagsFromString } from 'node:v8';

/** Bytes of callees' bytecode TurboFan inlines into one optimised function: V8's default, and the simulation's. */
const DEFAULT_INLINING_BUDGET = 920;
const SIMULATION_INLINING_BUDGET = 4000;

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
  // TurboFan's inlining budget. A request's path through the data plane is a chain of small
  // methods (router, connection pool, proxy legs, node CPU, observers), each event's handler
  // calling a dozen of them. With V8's default an optimised function stops inlining once 920 bytes
  // of its callees' bytecode are in (each candidate counted 1.2x, for the small functions it may
  // expose), and every call left is a real call with its argument checks
  // (deps/v8/src/compiler/js-inlining-heuristic.cc, JSInliningHeuristic::Finalize; the absolute
  // cap, --max-inlined-bytecode-size-absolute=4600, stays). 4,000 makes each handler nearly one
  // piece of machine code: three-tier sidecar simulate() +14% (README "Performance"). Twice that
  // gained ~5% more but doubled the compile time of an M/M/4 run (~0.2 -> ~0.45 s of CPU), which a
  // sweep worker pays on its own thread (above), and a 2-worker sweep lost more than it gained.
  // Which calls are inlined changes how fast the code runs, never what it computes.
  `--max-inlined-bytecode-size-cumulative=${SIMULATION_INLINING_BUDGET}`,
];

/** Sets V8_FLAGS on this process (its threads share them). Call before any other code loads. */
export function applyV8Flags(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}

/**
 * Back to V8's own inlining budget for the code that runs once, after the simulation: Vega drawing
 * a report's charts, whose larger machine code under the simulation's budget raised a 1M-request
 * run's peak RSS (README "Performance"). V8 reads the flag each time it optimises a function, so
 * code optimised already keeps its inlining.
 */
export function useDefaultInlining(): void {
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${DEFAULT_INLINING_BUDGET}`);
}
