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
 * Runs `jobs` on up to `workers` worker threads from a shared queue: each worker is handed the
 * next point as soon as it finishes one, so unequal points (a sidecar point can cost several
 * times a none point) keep every worker busy. Results are sorted by point index, so the output
 * does not depend on the worker count or on which worker ran what. Workers import only the
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
  const n = Math.min(workers, jobs.length);
  const results: PointResult[] = [];
  let next = 0;
  let inputError: Diagnostic[] | undefined;
  let failure: string | undefined;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const worker = new Worker(new URL('./worker.js', import.meta.url));
          const feed = () => {
            if (next < jobs.length && !inputError && !failure) worker.postMessage(jobs[next++]);
            else void worker.terminate();
          };
          worker.on('message', (m: { ok?: PointResult; input?: Diagnostic[]; fail?: string }) => {
            if (m.ok) {
              results.push(m.ok);
              progress?.(results.length, jobs.length);
            }
            if (m.input) inputError ??= m.input;
            if (m.fail) failure ??= m.fail;
            feed();
          });
          worker.on('error', (e) => {
            failure ??= e.stack ?? e.message;
          });
          worker.on('exit', () => resolve());
          feed();
        }),
    ),
  );
  if (inputError) throw new InputError(inputError);
  if (failure) throw new Error(`a sweep worker failed: ${failure}`);
  return results.sort((a, b) => a.index - b.index);
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
