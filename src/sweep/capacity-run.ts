/**
 * Runs a capacity search on a scenario file: each candidate value is K whole runs (one per seed,
 * on worker threads), checked against the SLO; per mode when several are asked for.
 */
import { YamlSource } from '../config/yaml-source.js';
import { MESHSIM_VERSION } from '../report/results.js';
import {
  checkPoint,
  combineSeeds,
  pathsOf,
  searchCapacity,
  varyName,
  varyTarget,
  type CapacitySearch,
  type CapacitySlo,
  type Vary,
} from './capacity.js';
import { PointWorkers } from './pool.js';
import { runPoints } from './sweep.js';

export interface CapacityJson {
  meshsim: string;
  scenario: string;
  vary: string;
  slo: string;
  seeds: number[];
  /** One search (no --modes): its mode, answer, bracket and points. */
  mode?: string;
  answer?: number | null;
  bracket?: [number, number] | null;
  points?: CapacitySearch['points'];
  /** With --modes: one search per mode. */
  modes?: Record<string, CapacitySearch>;
}

export interface CapacityRequest {
  file: string;
  text: string;
  scenario: string;
  vary: Vary;
  slo: CapacitySlo;
  sloText: string;
  seeds: number[];
  modes?: string[];
  /** Threads to run each value's seeds on: a count, or a pool started already (its owner closes it). */
  workers: number | PointWorkers;
  durationUs?: number;
  relTolerance?: number;
  /** Told of each point as it finishes (for progress lines). */
  onPoint?: (mode: string | undefined, value: number, passed: boolean) => void;
}

/** Makes sure the mappings the search assigns into exist (spec.mesh, spec.cluster), so every variant can be set. */
function withParents(file: string, text: string): string {
  const src = new YamlSource(file, text);
  for (const key of ['mesh', 'cluster']) if (!src.doc.hasIn(['spec', key])) src.doc.setIn(['spec', key], src.doc.createNode({}));
  return src.doc.toString();
}

export async function runCapacity(req: CapacityRequest): Promise<CapacityJson> {
  const doc = new YamlSource(req.file, req.text).doc.toJS() as Record<string, unknown>;
  const target = varyTarget(req.vary, doc);
  if (typeof target === 'string') throw new Error(target);
  const text = withParents(req.file, req.text);
  // One pool for the whole search: every value tried runs its seeds on the same threads.
  const pool = typeof req.workers === 'number' ? new PointWorkers(Math.min(req.workers, req.seeds.length)) : req.workers;
  try {
    return await searchAll(req, target, text, pool);
  } finally {
    if (pool !== req.workers) await pool.close();
  }
}

async function searchAll(
  req: CapacityRequest,
  target: Exclude<ReturnType<typeof varyTarget>, string>,
  text: string,
  pool: PointWorkers,
): Promise<CapacityJson> {
  let index = 0;
  const search = (mode: string | undefined): Promise<CapacitySearch> =>
    searchCapacity({
      goal: target.goal,
      start: target.start,
      integer: target.integer,
      lowest: target.lowest,
      highest: target.highest,
      relTolerance: req.relTolerance,
      evaluate: async (value) => {
        const params: Record<string, unknown> = { ...target.assignments(value), ...(mode ? { 'spec.mesh.mode': mode } : {}) };
        const paths = pathsOf(params);
        const results = await runPoints(
          req.seeds.map((seed) => ({ file: req.file, text, paths, point: { index: index++, params, seed }, durationUs: req.durationUs })),
          pool,
        );
        const seeds = results.map((r) => {
          const unfinished = (r.requests as { unfinished?: number }).unfinished ?? 0;
          const failed = checkPoint(req.slo, r, unfinished);
          return {
            seed: r.seed,
            passed: failed.length === 0,
            requests: r.requests.total,
            unfinished,
            error_rate: r.requests.error_rate,
            latency_ms: r.latency_ms,
            failed,
          };
        });
        const point = combineSeeds(value, seeds);
        req.onPoint?.(mode, value, point.passed);
        return point;
      },
    });
  const head = { meshsim: MESHSIM_VERSION, scenario: req.scenario, vary: varyName(req.vary), slo: req.sloText, seeds: req.seeds };
  if (!req.modes) return { ...head, ...(await search(undefined)) };
  const modes: Record<string, CapacitySearch> = {};
  for (const m of req.modes) modes[m] = await search(m);
  return { ...head, modes };
}
