/**
 * The V8 settings every `meshsim` process runs under. launch.ts applies V8_FLAGS first, before
 * any other code loads, so the code cache is made and used under the same flags (V8 checks them);
 * V8_FLAGS_AFTER_START follow once the process and its worker threads have started. bench/ sets
 * the same in its child processes so simulate() is measured as `meshsim` runs it.
 *
 * Imports only Node built-ins: bin/meshsim.js loads this (through launch.ts) before anything else.
 */
import { setFlagsFromString } from 'node:v8';

export const V8_FLAGS: readonly string[] = [
  // V8 compiles optimised code on its background threads, which is free where a core is idle and
  // is not in a sweep that runs a point on every core: there, each worker thread's compiles (a few
  // tenths of a second of CPU as it warms up) took time from the points. V8 reads this flag when it
  // makes a thread's isolate (the compile dispatcher exists only if it was set then:
  // deps/v8/src/execution/isolate.h, Isolate::concurrent_recompilation_enabled), so it holds for
  // sweep worker threads and not for the main thread, made already: a worker compiles on its own
  // thread. 8 equal M/M/4 points on 2 workers: 2.83 -> 2.66 s; on 1, unchanged.
  '--no-concurrent-recompilation',
  // A scavenge runs on up to 5 threads (V8 counts Node's 4 platform workers plus this one:
  // deps/v8/src/heap/scavenger.cc, ScavengerCollector::NumberOfScavengeTasks), while a simulation's
  // young generation holds almost nothing live when it is collected: starting and joining the
  // helper tasks is most of such a pause, more so with 2 cores. Serially, the 1M-request M/M/4
  // run's ~120 scavenges took 15 ms instead of 35 ms.
  '--no-parallel-scavenge',
  // Not set: a larger TurboFan inlining budget (--max-inlined-bytecode-size-cumulative=4000, V8's
  // default 920; deps/v8/src/compiler/js-inlining-heuristic.cc, JSInliningHeuristic::Finalize).
  // Long runs gain: three-tier sidecar 43.4k -> 38.0k instructions per request
  // (bench/instructions.js), the 1M-request M/M/4 CLI run 0.74 -> 0.69 s, a sweep point ~12%.
  // Short runs, the usual scenario, lose more: compiling the larger graphs takes longer than a
  // short run saves (compare and capacity compile again for each new world). `run` of
  // three-tier-capacity (30 s simulated, ~30k requests) took 0.33 -> 0.43 s, `compare` of it
  // 1.0 -> 1.25 s, its capacity search 3.4 -> 4.5 s (medians, interleaved).
];

/**
 * Set once the process has started, and only while no worker thread is starting
 * (`applyV8FlagsAfterStart`, `threadsStarting`).
 *
 * V8 checks a code cache against a hash of the flags it runs under (deps/v8/src/flags/flags.cc,
 * FlagList::Hash; deps/v8/src/snapshot/code-serializer.cc, SerializedCodeData::SanityCheck), and
 * Node's own modules start from a code cache built into the binary: a thread that starts under
 * either flag below compiles them from source (NODE_DEBUG_NATIVE=CODE_CACHE; the flags of
 * V8_FLAGS leave the hash alone). Under --heap-growing-percent=100 a worker thread compiled 105 of
 * them and a bare worker thread took 84 ms to start instead of 60 (medians of 12); under
 * --semi-space-growth-factor=1 a 2-worker sweep compiled 35, ~9 ms of each worker's start. The
 * main thread has loaded its modules when it sets flags, and the bundle's own code cache is made
 * under V8_FLAGS alone (scripts/code-cache.mjs), so it fits every thread.
 */
export const V8_FLAGS_AFTER_START: readonly string[] = [
  // V8 lets the old generation grow to up to 4x what survived the last full GC when GC time is
  // low, which a simulation's steady stream of short-lived objects triggers: a run whose live heap
  // is ~25 MB peaked near 330 MB of RSS. Growth by at most 2x keeps it under 200 MB at no
  // measurable CPU cost (README "Performance"). Read at every full GC (deps/v8/src/heap/
  // heap-controller.cc, MemoryController::GrowingFactor), so setting it after start holds: a
  // command's start makes no full GC.
  '--heap-growing-percent=100',
  // The young generation stays at the 1 MB semi-space V8 starts with. V8 doubles it whenever more
  // than its size has survived scavenges since it last grew (deps/v8/src/heap/heap.cc,
  // CheckNewSpaceExpansionCriteria; new-spaces.cc, SemiSpaceNewSpace::Grow multiplies by this
  // flag), which a command's start-up (modules, schemas, the scenario) always does: it reached
  // 4-8 MB, by how much happened to survive the start. A simulation's objects die within a few
  // requests, so the scavenges of a small young generation copy almost nothing, and its memory is
  // reused while still in cache instead of spreading over fresh pages. Alternating fresh
  // processes (medians): 1M-request M/M/4 run 727 -> 701 ms (~640 scavenges instead of ~120),
  // three-tier run writing every file 1.39 -> 1.35 s and peak RSS 133 -> 108 MB, a 2-worker sweep
  // 2.51 -> 2.40 s; 1,000-pod sidecar cluster peak RSS 183-193 -> 136 MiB.
  // Read whenever V8 would grow the young generation, so set after the start it still holds for
  // the main thread: its start before prestart() (launch.ts, the command line's bundle compiled
  // from its cache, its modules' lazy wrappers) grows nothing, a `run`'s young generation is
  // 1 MB at its end either way (--trace-gc-verbose), and its wall and peak RSS are unchanged.
  // Sweep worker threads get the same 1 MB from their start without a flag (sweep/pool.ts,
  // WORKER_YOUNG_GENERATION_MB). Set at launch, as it was, it made Node compile ~35 of its own
  // modules from source in a sweep's start (its code cache is checked against the flag hash).
  '--semi-space-growth-factor=1',
];
/** The same flags at V8's defaults (a flag at its default is out of the hash). */
const V8_FLAGS_AFTER_START_UNSET: readonly string[] = ['--heap-growing-percent=0', '--semi-space-growth-factor=2'];

/** Sets V8_FLAGS on this process (its threads share them). Call before any other code loads. */
export function applyV8Flags(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}

let afterStartWanted = false;
let afterStartSet = false;
let threadsStartingNow = 0;

/**
 * Sets V8_FLAGS_AFTER_START on this process, now or, while worker threads are starting, once they
 * have started. bin/meshsim.js's start (cli/prestart.ts) calls this; a process that never does
 * (tests, the library API) keeps V8's defaults.
 */
export function applyV8FlagsAfterStart(): void {
  afterStartWanted = true;
  syncFlagsAfterStart();
}

/**
 * Counts worker threads that begin (`change` > 0) or finish (< 0) starting: Node's modules and
 * the bundle compiled from their caches (sweep/pool.ts). While any is, V8_FLAGS_AFTER_START are
 * at their defaults.
 */
export function threadsStarting(change: number): void {
  threadsStartingNow += change;
  syncFlagsAfterStart();
}

/** Whether V8_FLAGS_AFTER_START are set now. */
export function v8FlagsAfterStartSet(): boolean {
  return afterStartSet;
}

function syncFlagsAfterStart(): void {
  const set = afterStartWanted && threadsStartingNow <= 0;
  if (set === afterStartSet) return;
  for (const flag of set ? V8_FLAGS_AFTER_START : V8_FLAGS_AFTER_START_UNSET) setFlagsFromString(flag);
  afterStartSet = set;
}
