/**
 * Runs a sweep's points, in this thread or spread over worker threads, and puts the results in
 * point order: the output is the same whatever the number of workers or the sharding.
 */
import { InputError } from '../config/diagnostics.js';
import { MESHSIM_VERSION } from '../report/results.js';
import type { Axis } from './grid.js';
import { runPoint, type PointJob, type PointResult } from './point.js';
import { DONE, NEXT, PointWorkers, stopQueue, type PointMessage, type PointProgress, type PointQueue } from './pool.js';

export type { PointProgress } from './pool.js';

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

/**
 * Runs `jobs` on the pool's worker threads, or on this thread for one worker (a worker count: a
 * pool started now), claiming from one shared queue (pool.ts; why this thread runs none beside
 * workers: PointWorkers). Results are sorted by point index, so the output does not depend on
 * the worker count or on which thread ran what; when points fail, the failure of the lowest
 * index is reported (every point before it was claimed, so it ran). Workers import only the
 * simulator and results.json code (sweep/worker.ts → point.ts), never the report renderer.
 * `last`: the caller's pool runs no batch after this one (PointWorkers.dispatch).
 */
export async function runPoints(
  jobs: PointJob[],
  workers: number | PointWorkers,
  progress?: PointProgress,
  opts: { last?: boolean } = {},
): Promise<PointResult[]> {
  const pool = typeof workers === 'number' ? new PointWorkers(Math.min(workers, jobs.length)) : workers;
  try {
    // A pool made here runs this batch alone; a caller's says whether another batch follows.
    pool.dispatch(jobs, progress, pool !== workers || opts.last === true);
    if (pool.runsOnCaller) runQueue({ jobs, counters: pool.counters }, (m) => pool.received(m));
    const { results, failures } = await pool.outcome();
    const first = failures.sort((a, b) => a.index - b.index)[0];
    if (first && 'input' in first) throw new InputError(first.input);
    if (first) throw new Error(`a sweep worker failed: ${first.fail}`);
    return results.sort((a, b) => a.index - b.index);
  } finally {
    if (pool !== workers) await pool.close();
  }
}

// No garbage collection is forced between points. A finished point's world is garbage at once, and
// a full GC then (as the sweep once forced) found no object of the run's hidden classes
// and no closure of its world alive: V8 dropped them, deoptimised every function whose optimised
// code embedded them, and each next point ran unoptimised until TurboFan had compiled it all
// again, ~800 optimisations in 8 M/M/4 points where one run makes ~140 (`node --trace-opt`),
// compiled on a background thread that a busy 2-core sweep has no spare core for. Left to V8,
// the old world is collected during the next point, whose objects keep those classes alive:
// 8 points on one thread ran with no full GC at all and 152 ms of scavenges, against 8 forced
// full GCs (61 ms) and 184 ms, 5.1 s instead of 5.5 s (README "Performance").

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
