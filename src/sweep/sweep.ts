/**
 * Runs a sweep's points, in this thread or spread over worker threads, and puts the results in
 * point order: the output is the same whatever the number of workers or the sharding.
 */
import { Worker } from 'node:worker_threads';
import { InputError, type Diagnostic } from '../config/diagnostics.js';
import { MESHSIM_VERSION } from '../report/results.js';
import type { Axis } from './grid.js';
import { runPoint, type PointJob, type PointResult } from './point.js';

export interface SweepJson {
  meshsim: string;
  scenario: string;
  axes: { path: string; values: unknown[] }[];
  seeds: number[];
  total_points: number;
  /** The shard this file holds (1-based), or null when it holds every point. */
  shard: { index: number; count: number } | null;
  points: PointResult[];
}

/** Called after each finished point (for a progress bar): points done so far. */
export type PointProgress = (done: number, total: number) => void;

/**
 * Runs `jobs` on `workers` threads: the main thread and `workers - 1` worker threads (see
 * PointWorkers). With one worker, or one job, everything runs in this thread.
 */
export async function runPoints(jobs: PointJob[], workers: number, progress?: PointProgress): Promise<PointResult[]> {
  return PointWorkers.start(Math.min(workers, jobs.length)).run(jobs, progress);
}

/**
 * The threads of one run of points: the main thread and `workers - 1` worker threads. They share
 * one queue, a counter in shared memory each thread claims the next point from (Atomics.add), so
 * unequal points (a sidecar point can cost several times a none point) keep every thread busy and
 * no thread waits for a message to get work. The main thread runs points too: it has the loader in
 * memory already, and one worker fewer to start is what a 2-core machine notices.
 *
 * Each worker start loads the whole simulator (~0.25 s of CPU), so a caller starts the workers as
 * soon as it knows how many it wants, before it reads the scenario and builds the jobs: they load
 * while the main thread parses, and wait for their jobs in one message. Results are sorted by point
 * index, so the output does not depend on the worker count or on which thread ran what; when points
 * fail, the failure of the lowest index is reported (every point before it was claimed, so it
 * ran). Workers import only the simulator and results.json code (sweep/worker.ts → point.ts),
 * never the report renderer.
 */
export class PointWorkers {
  private readonly counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private readonly results: PointResult[] = [];
  private readonly failures: PointFailure[] = [];
  private progress?: PointProgress;
  private total = 0;
  private constructor(
    private readonly workers: Worker[],
    private readonly exited: Promise<void>[],
  ) {}

  /** Starts `workers - 1` worker threads (none for 1); they load the simulator and wait for jobs. */
  static start(workers: number): PointWorkers {
    const threads: Worker[] = [];
    const exited: Promise<void>[] = [];
    const pool = new PointWorkers(threads, exited);
    for (let i = 1; i < workers; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: pool.counters });
      worker.on('message', (m: PointMessage) => pool.received(m));
      worker.on('error', (e) => {
        pool.failures.push({ index: Infinity, fail: e.stack ?? e.message });
        stopQueue(pool.counters);
      });
      exited.push(new Promise<void>((resolve) => worker.on('exit', () => resolve())));
      threads.push(worker);
    }
    return pool;
  }

  /** Runs `jobs` on every thread of the pool (once); resolves with the results in point order. */
  async run(jobs: PointJob[], progress?: PointProgress): Promise<PointResult[]> {
    this.progress = progress;
    this.total = jobs.length;
    for (const w of this.workers) w.postMessage(jobs);
    runQueue({ jobs, counters: this.counters }, (m) => this.received(m));
    await Promise.all(this.exited);
    const first = this.failures.sort((a, b) => a.index - b.index)[0];
    if (first && 'input' in first) throw new InputError(first.input);
    if (first) throw new Error(`a sweep worker failed: ${first.fail}`);
    return this.results.sort((a, b) => a.index - b.index);
  }

  /** Ends the workers of a pool that will not run (the caller failed before it had jobs). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private received(m: PointMessage): void {
    if ('ok' in m) {
      this.results.push(m.ok);
      this.progress?.(Atomics.load(this.counters, DONE), this.total);
    } else this.failures.push(m);
  }
}

/** The shared queue: the jobs, and counters[NEXT] (the next job to claim), counters[DONE] (jobs finished). */
export interface PointQueue {
  jobs: PointJob[];
  counters: Int32Array;
}
const NEXT = 0;
const DONE = 1;
/** A claim index past any queue (a sweep has at most 1,000 seeds × the --set values). */
const STOPPED = 2 ** 30;

type PointFailure = { index: number; input: Diagnostic[] } | { index: number; fail: string };
export type PointMessage = { ok: PointResult } | PointFailure;

/** No thread claims another point (the ones running finish). */
const stopQueue = (counters: Int32Array) => Atomics.store(counters, NEXT, STOPPED);

/** One thread's share of the queue: claims and runs points until none is left or one fails. */
export function runQueue(q: PointQueue, report: (m: PointMessage) => void): void {
  for (;;) {
    const index = Atomics.add(q.counters, NEXT, 1);
    const job = q.jobs[index];
    if (!job) return;
    try {
      const ok = runPoint(job);
      Atomics.add(q.counters, DONE, 1);
      report({ ok });
    } catch (e) {
      stopQueue(q.counters);
      report(
        e instanceof InputError
          ? { index, input: e.diagnostics }
          : { index, fail: e instanceof Error ? (e.stack ?? e.message) : String(e) },
      );
      return;
    }
  }
}

export function sweepJson(
  scenario: string,
  axes: Axis[],
  seeds: number[],
  total: number,
  shard: SweepJson['shard'],
  points: PointResult[],
): SweepJson {
  return {
    meshsim: MESHSIM_VERSION,
    scenario,
    axes: axes.map((a) => ({ path: a.path, values: a.values })),
    seeds,
    total_points: total,
    shard,
    points,
  };
}

/** Joins shard files of one sweep; every point must come once (or identically twice). */
export function mergeSweeps(parts: { file: string; sweep: SweepJson }[]): SweepJson {
  const first = parts[0];
  if (!first)
    throw new InputError([{ file: 'meshsim', line: 1, col: 1, severity: 'error', message: 'merge: give at least one directory' }]);
  const grid = (s: SweepJson) => JSON.stringify([s.scenario, s.axes, s.seeds, s.total_points]);
  const byIndex = new Map<number, PointResult>();
  for (const { file, sweep } of parts) {
    if (grid(sweep) !== grid(first.sweep)) {
      throw new InputError([
        {
          file,
          line: 1,
          col: 1,
          severity: 'error',
          message: `merge: ${file} is from another sweep (scenario, --set axes, seeds or size differ from ${first.file})`,
        },
      ]);
    }
    for (const p of sweep.points) {
      const seen = byIndex.get(p.index);
      if (seen && JSON.stringify(seen) !== JSON.stringify(p)) {
        throw new InputError([{ file, line: 1, col: 1, severity: 'error', message: `merge: point ${p.index} differs between shards` }]);
      }
      byIndex.set(p.index, p);
    }
  }
  const points = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const complete = points.length === first.sweep.total_points;
  return { ...first.sweep, shard: complete ? null : first.sweep.shard, points };
}
