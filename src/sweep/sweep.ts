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

export async function runPoints(jobs: PointJob[], workers: number): Promise<PointResult[]> {
  if (workers <= 1 || jobs.length <= 1) return jobs.map(runPoint);
  const n = Math.min(workers, jobs.length);
  // Point i goes to worker i mod n: a fixed assignment, and results are sorted by index anyway.
  const slices = Array.from({ length: n }, (_, w) => jobs.filter((_, i) => i % n === w));
  const results: PointResult[] = [];
  let inputError: Diagnostic[] | undefined;
  let failure: string | undefined;
  await Promise.all(
    slices.map(
      (slice) =>
        new Promise<void>((resolve) => {
          const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: slice });
          worker.on('message', (m: { ok?: PointResult; input?: Diagnostic[]; fail?: string }) => {
            if (m.ok) results.push(m.ok);
            if (m.input) inputError ??= m.input;
            if (m.fail) failure ??= m.fail;
          });
          worker.on('error', (e) => {
            failure ??= e.stack ?? e.message;
          });
          worker.on('exit', () => resolve());
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
