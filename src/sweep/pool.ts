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

/** Called after each finished point (for a progress bar): points done so far. */
export type PointProgress = (done: number, total: number) => void;

/**
 * `workers - 1` worker threads. Started before the jobs are known, they load the simulator and
 * wait for the jobs in one message; until then they are unref'd, so a command that fails before
 * it has jobs (a bad flag, a bad scenario) exits without waiting for them.
 */
export class PointWorkers {
  readonly counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  readonly results: PointResult[] = [];
  readonly failures: PointFailure[] = [];
  private progress?: PointProgress;
  private total = 0;
  private readonly threads: Worker[] = [];
  private readonly exits: Promise<void>[] = [];

  /** Starts `workers - 1` worker threads (none for 1). */
  constructor(readonly workers: number) {
    for (let i = 1; i < workers; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: this.counters });
      worker.on('message', (m: PointMessage) => this.received(m));
      worker.on('error', (e) => {
        this.failures.push({ index: Infinity, fail: e.stack ?? e.message });
        stopQueue(this.counters);
      });
      this.exits.push(new Promise<void>((resolve) => worker.on('exit', () => resolve())));
      worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
      this.threads.push(worker);
    }
  }

  /** Hands `jobs` to every worker; they claim points from the queue until it is empty, then exit. */
  dispatch(jobs: PointJob[], progress?: PointProgress): void {
    this.progress = progress;
    this.total = jobs.length;
    for (const w of this.threads) {
      w.ref();
      w.postMessage(jobs);
    }
  }

  /** A result or failure from any thread (the main thread reports here too). */
  received(m: PointMessage): void {
    if ('ok' in m) {
      this.results.push(m.ok);
      this.progress?.(Atomics.load(this.counters, DONE), this.total);
    } else this.failures.push(m);
  }

  /** Resolves when every worker has exited. */
  async exited(): Promise<void> {
    await Promise.all(this.exits);
  }

  /** Ends the workers (of a pool that will not run, or has run). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

let early: PointWorkers | undefined;

/** Starts a sweep's workers now, before the command loads its code; `takeWorkers` hands them over. */
export function startWorkersEarly(workers: number): void {
  early = new PointWorkers(workers);
}

/** Ends the workers started early that no command took (it failed before it had jobs). */
export async function closeEarlyWorkers(): Promise<void> {
  const pool = early;
  early = undefined;
  await pool?.close();
}

/** The workers started early, when they are as many as wanted; otherwise a new pool. */
export function takeWorkers(workers: number): PointWorkers {
  const pool = early;
  early = undefined;
  if (pool?.workers === workers) return pool;
  void pool?.close();
  return new PointWorkers(workers);
}
