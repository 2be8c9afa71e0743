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
 * Runs `jobs` on `workers` threads: the main thread and `workers - 1` worker threads. They share
 * one queue, a counter in shared memory each thread claims the next point from (Atomics.add), so
 * unequal points (a sidecar point can cost several times a none point) keep every thread busy and
 * no thread waits for a message to get work. The main thread runs points too: it has the loader in
 * memory already, and one worker fewer to start (each start loads the whole simulator, ~0.4 s of
 * CPU) is what a 2-core machine notices. Results are sorted by point index, so the output does not
 * depend on the worker count or on which thread ran what; when points fail, the failure of the
 * lowest index is reported (every point before it was claimed, so it ran). Workers import only the
 * simulator and results.json code (sweep/worker.ts → point.ts), never the report renderer.
 */
export async function runPoints(jobs: PointJob[], workers: number, progress?: PointProgress): Promise<PointResult[]> {
  if (workers <= 1 || jobs.length <= 1) {
    return jobs.map((job, i) => {
      const r = runPoint(job);
      progress?.(i + 1, jobs.length);
      return r;
    });
  }
  const queue: PointQueue = { jobs, counters: new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) };
  const results: PointResult[] = [];
  const failures: PointFailure[] = [];
  const exited = Array.from(
    { length: Math.min(workers, jobs.length) - 1 },
    () =>
      new Promise<void>((resolve) => {
        const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: queue });
        worker.on('message', (m: PointMessage) => {
          if ('ok' in m) {
            results.push(m.ok);
            progress?.(Atomics.load(queue.counters, DONE), jobs.length);
          } else failures.push(m);
        });
        worker.on('error', (e) => {
          failures.push({ index: Infinity, fail: e.stack ?? e.message });
          stopQueue(queue);
        });
        worker.on('exit', () => resolve());
      }),
  );
  runQueue(queue, (m) => {
    if ('ok' in m) {
      results.push(m.ok);
      progress?.(Atomics.load(queue.counters, DONE), jobs.length);
    } else failures.push(m);
  });
  await Promise.all(exited);
  const first = failures.sort((a, b) => a.index - b.index)[0];
  if (first && 'input' in first) throw new InputError(first.input);
  if (first) throw new Error(`a sweep worker failed: ${first.fail}`);
  return results.sort((a, b) => a.index - b.index);
}

/** The shared queue: the jobs, and counters[NEXT] (the next job to claim), counters[DONE] (jobs finished). */
export interface PointQueue {
  jobs: PointJob[];
  counters: Int32Array;
}
const NEXT = 0;
const DONE = 1;

type PointFailure = { index: number; input: Diagnostic[] } | { index: number; fail: string };
export type PointMessage = { ok: PointResult } | PointFailure;

/** No thread claims another point (the ones running finish). */
const stopQueue = (q: PointQueue) => Atomics.store(q.counters, NEXT, q.jobs.length);

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
      stopQueue(q);
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
