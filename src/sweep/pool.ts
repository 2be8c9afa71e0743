/**
 * The worker threads that run a sweep's points beside the main thread, and the queue they share.
 * This module imports nothing heavy (the simulator loads in the workers themselves, worker.ts →
 * point.ts), so the command line can start the workers before it loads anything else
 * (`startWorkersEarly`, cli/prestart.ts): each start loads the whole simulator, ~0.2 s of CPU,
 * and on a 2-core machine a worker that starts loading only when the main thread is ready to run
 * points finishes its share that much later.
 *
 * The queue is a counter in shared memory each thread claims the next point from (Atomics.add),
 * so unequal points (a sidecar point can cost several times a none point) keep every thread busy
 * and no thread waits for a message to get work.
 */
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../config/diagnostics.js';
import type { PointJob, PointResult } from './point.js';

/**
 * A worker thread's entry point beside this code: sweep/worker.ts among the compiled modules, and
 * beside the command line's bundle (cli.cjs, whose import.meta.url is its own) the CommonJS
 * worker.cjs scripts/bundle.mjs writes, which runs the worker's own bundle (point.cjs, cli/launch.ts
 * POINT_BUNDLE) and starts without Node's ES module loader (~10 ms sooner: on 8 equal points a
 * worker that starts late is what the whole sweep waits for).
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.cjs') ? './worker.cjs' : './worker.js', import.meta.url);

/**
 * A sweep worker thread's young generation (`resourceLimits.maxYoungGenerationSizeMb`): a 1 MB
 * semi-space from the thread's start, as --semi-space-growth-factor=1 (cli/v8-flags.ts) keeps the
 * main thread's, without a flag that would make the thread compile Node's modules from source. V8
 * counts a young generation as two semi-spaces and a new large-object space of one semi-space's
 * size (deps/v8/src/heap/heap.cc, Heap::SemiSpaceSizeFromYoungGenerationSize), so 3 MB is a 1 MB
 * semi-space. Without it a worker's grew to 4 MB while it loaded the simulator. A resource limit
 * is the isolate's own setting, not a flag: Node's code cache and the bundle's fit
 * (test/cli/bundle.test.ts).
 */
const WORKER_YOUNG_GENERATION_MB = 3;

/** The shared queue: the jobs, and counters[NEXT] (the next job to claim), counters[DONE] (jobs finished). */
export interface PointQueue {
  jobs: PointJob[];
  counters: Int32Array;
}
export const NEXT = 0;
export const DONE = 1;
/** A claim index past any queue (a sweep has at most 1,000 seeds × the --set values). */
const STOPPED = 2 ** 30;

export type PointFailure = { index: number; input: Diagnostic[] } | { index: number; fail: string };
export type PointMessage = { ok: PointResult } | PointFailure;

/** No thread claims another point (the ones running finish). */
export const stopQueue = (counters: Int32Array) => Atomics.store(counters, NEXT, STOPPED);

/** Told when worker threads begin (+n) or finish (-1) starting: loading Node's modules and the simulator. */
let threadStartWatcher: ((change: number) => void) | undefined;

/**
 * Has `watcher` told of every pool's threads starting. The command line holds some V8 flags back
 * meanwhile (cli/v8-flags.ts, V8_FLAGS_AFTER_START: under them a thread would compile Node's own
 * modules without their code cache).
 */
export function watchThreadStarts(watcher: (change: number) => void): void {
  threadStartWatcher = watcher;
}

/** Called after each finished point (for a progress bar): points done so far, and the events they simulated. */
export type PointProgress = (done: number, total: number, events: number) => void;

/**
 * The threads that run a batch of points: for more than one worker, `workers` worker threads and
 * the main thread only hands out and collects; for one, none (the main thread runs every point).
 * Threads are reused for batch after batch (a capacity search runs one batch per value it tries;
 * starting threads anew each time would load the simulator each time). Started before the jobs
 * are known, they load the simulator and wait for a batch in one message. Between batches they
 * are unref'd, so a command that fails, or ends without `close`, exits without waiting for them.
 *
 * Why not the main thread as one of the workers: its isolate was made before the process set
 * --no-concurrent-recompilation (v8-flags.ts), so TurboFan compiles its code on a background
 * thread, and with a point on every core that thread takes its CPU from the points; a worker
 * thread's isolate compiles on its own thread. 8 equal M/M/4 points on 2 workers: 2.84 -> 2.72 s
 * (medians of 5, interleaved; 1 worker unchanged), for ~0.07 s more start-up (one more thread
 * loads the simulator).
 */
export class PointWorkers {
  readonly counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private readonly alive = new Set<Worker>();
  private batch?: Batch;
  /** Failures of workers that died between batches: the next batch reports them. */
  private readonly lost: PointFailure[] = [];

  /** Starts `workers` worker threads (none for 1). */
  constructor(readonly workers: number) {
    const threads = workers > 1 ? workers : 0;
    threadStartWatcher?.(threads);
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_ENTRY, {
        workerData: this.counters,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      let starting = true;
      const started = () => {
        if (starting) threadStartWatcher?.(-1);
        starting = false;
      };
      worker.on('message', (m: PointMessage | Drained | Loaded) => {
        if ('loaded' in m) started();
        else if ('drained' in m) this.drained(worker);
        else this.received(m);
      });
      worker.on('error', (e) => {
        started();
        stopQueue(this.counters);
        const failure = { index: Infinity, fail: e.stack ?? e.message };
        if (this.batch) this.batch.failures.push(failure);
        else this.lost.push(failure);
      });
      worker.on('exit', () => {
        started();
        if (this.alive.delete(worker)) this.drained(worker);
      });
      worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
      this.alive.add(worker);
    }
  }

  /** Whether the caller's thread runs the points itself: no worker thread (one worker, or every thread gone). */
  get runsOnCaller(): boolean {
    return this.alive.size === 0;
  }

  /**
   * Hands `jobs` to every worker; they claim points from the queue (`counters`, reset here) until
   * it is empty. Without workers the caller's thread claims them (runQueue, reporting to
   * `received`); either way it then awaits `outcome`.
   *
   * With `last`, no batch follows: each worker's thread ends once it finds the queue empty, so
   * freeing its heap (unmapping V8's pages, ~20 ms a thread on the 2-core benchmark VMs, where
   * every unmapping interrupts the other cores) overlaps the other workers' last points and the
   * caller's writing instead of following them in `close`.
   */
  dispatch(jobs: PointJob[], progress?: PointProgress, last = false): void {
    if (this.batch) throw new Error('PointWorkers: a batch is already running');
    if (this.ended) throw new Error('PointWorkers: the last batch has run');
    this.ended = last;
    Atomics.store(this.counters, NEXT, 0);
    Atomics.store(this.counters, DONE, 0);
    this.batch = { results: [], failures: this.lost.splice(0), progress, total: jobs.length, events: 0, waiting: new Set(this.alive) };
    for (const w of this.alive) {
      w.ref();
      w.postMessage({ jobs, last } satisfies BatchMessage);
    }
  }

  /** Whether the last batch was dispatched (its workers end after it). */
  private ended = false;

  /** What every thread reported for the batch, once every worker has drained its queue. */
  outcome(): Promise<{ results: PointResult[]; failures: PointFailure[] }> {
    const b = this.batch;
    if (!b) throw new Error('PointWorkers: no batch is running');
    return new Promise((resolve) => {
      b.resolve = resolve;
      this.settleIfDrained();
    });
  }

  /** A result or failure from any thread (the main thread reports here too). */
  received(m: PointMessage): void {
    const b = this.batch;
    if (!b) return;
    if ('ok' in m) {
      b.results.push(m.ok);
      b.events += m.ok.simulated_events;
      b.progress?.(Atomics.load(this.counters, DONE), b.total, b.events);
    } else b.failures.push(m);
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    const threads = [...this.alive];
    this.alive.clear();
    await Promise.all(threads.map((w) => w.terminate()));
  }

  private drained(worker: Worker): void {
    worker.unref();
    this.batch?.waiting.delete(worker);
    this.settleIfDrained();
  }

  /** The batch is over once the caller awaits its outcome (its own share is done) and no worker still works on it. */
  private settleIfDrained(): void {
    const b = this.batch;
    if (!b?.resolve || b.waiting.size > 0) return;
    this.batch = undefined;
    b.resolve({ results: b.results, failures: b.failures });
  }
}

/** What a worker is sent for each batch: the jobs, and whether it is the pool's last. */
export interface BatchMessage {
  jobs: PointJob[];
  last: boolean;
}

/** A worker's word that it found the queue empty (it waits for the next batch, or ends after the last). */
export interface Drained {
  drained: true;
}

/** A worker's word that it has loaded the simulator (its first message). */
export interface Loaded {
  loaded: true;
}

interface Batch {
  results: PointResult[];
  failures: PointFailure[];
  progress?: PointProgress;
  total: number;
  /** Events simulated by the points finished so far. */
  events: number;
  /** Workers that have not drained the queue yet. */
  waiting: Set<Worker>;
  /** Set once the caller's thread has done its share and awaits the outcome. */
  resolve?: (r: { results: PointResult[]; failures: PointFailure[] }) => void;
}

let early: PointWorkers | undefined;

/** Starts a sweep's workers now, before the command loads its code; `takeWorkers` hands them over. */
export function startWorkersEarly(workers: number): void {
  early = new PointWorkers(workers);
}

/**
 * Ends the workers started early that no command took (it failed before it had jobs). Not
 * awaited: they are unref'd, so the process exits without waiting for them to stop loading.
 */
export function closeEarlyWorkers(): void {
  const pool = early;
  early = undefined;
  void pool?.close();
}

/** The workers started early, when they are as many as wanted; otherwise a new pool. */
export function takeWorkers(workers: number): PointWorkers {
  const pool = early;
  early = undefined;
  if (pool?.workers === workers) return pool;
  void pool?.close();
  return new PointWorkers(workers);
}
