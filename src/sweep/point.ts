/**
 * One grid point: the scenario with the point's values set, run once, summarised. Pure apart from
 * reading the scenario (and its istioFiles); used in-process and by sweep workers alike.
 */
import { InputError } from '../config/diagnostics.js';
import { loadScenarioSource } from '../analysis/load.js';
import { YamlSource, type PathSegment } from '../config/yaml-source.js';
import { buildResults } from '../report/results.js';
import { simulate } from '../sim/simulate.js';
import type { GridPoint } from './grid.js';

export interface PointResult {
  index: number;
  params: Record<string, unknown>;
  seed: number;
  mode: string;
  requests: { total: number; failed: number; error_rate: number };
  latency_ms: { mean: number; p50: number; p90: number; p99: number; p999: number };
  resources: { cpu_cores: number; memory_mib: number; monthly_cost_usd: number; mesh_cpu_cores: number; mesh_memory_mib: number };
  simulated_events: number;
}

export interface PointJob {
  file: string;
  text: string;
  paths: Record<string, PathSegment[]>;
  point: GridPoint;
  durationUs?: number;
}

/**
 * The scenario text a point's --set values make, parsed, with the values that made it: kept for the
 * thread's next point. Points are numbered seeds fastest (grid.ts), so a thread's next point
 * usually differs by its seed alone, and its source is the same: parsing it again, twice (the
 * file, then the text with the values set), made the yaml library's parser hot enough in a
 * thread's third and fourth points for TurboFan to compile it on the thread, ~30 ms of each sweep
 * worker's share of 8 M/M/4 points (`node --trace-opt`). The loader only reads a YamlSource.
 */
let lastSource: { file: string; text: string; params: string; src: YamlSource } | undefined;

/** The point's scenario as YAML with positions: the file's text with the point's --set values in it. */
function pointSource(job: PointJob): YamlSource {
  const params = JSON.stringify(job.point.params);
  const last = lastSource;
  if (last && last.file === job.file && last.text === job.text && last.params === params) return last.src;
  const src = new YamlSource(job.file, job.text);
  for (const [path, value] of Object.entries(job.point.params)) {
    const segments = job.paths[path]!;
    if (!src.doc.hasIn(segments.slice(0, -1))) {
      throw new InputError([
        {
          file: job.file,
          line: 1,
          col: 1,
          severity: 'error',
          message: `--set ${path}: the scenario has no ${segments.slice(0, -1).join('.')} to set it in`,
        },
      ]);
    }
    src.doc.setIn(segments, value);
  }
  const withValues = new YamlSource(job.file, src.doc.toString());
  lastSource = { file: job.file, text: job.text, params, src: withValues };
  return withValues;
}

export function runPoint(job: PointJob): PointResult {
  const src = pointSource(job);
  let loaded;
  try {
    loaded = loadScenarioSource(src);
  } catch (e) {
    if (e instanceof InputError) {
      const with_ = Object.entries(job.point.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ');
      throw new InputError(e.diagnostics.map((d) => ({ ...d, line: 1, col: 1, message: `with --set ${with_}: ${d.message}` })));
    }
    throw e;
  }
  const r = buildResults(simulate(loaded.scenario, { seed: job.point.seed, durationUs: job.durationUs }));
  const mesh = Object.entries(r.resources.by_component).filter(([k]) => k !== 'app');
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    index: job.point.index,
    params: job.point.params,
    seed: job.point.seed,
    mode: r.mode,
    requests: {
      total: r.requests.total,
      failed: r.requests.failed,
      error_rate: r.requests.total ? round(r.requests.failed / r.requests.total, 6) : 0,
    },
    latency_ms: { mean: r.latency_ms.mean, p50: r.latency_ms.p50, p90: r.latency_ms.p90, p99: r.latency_ms.p99, p999: r.latency_ms.p999 },
    resources: {
      cpu_cores: r.resources.total.cpu_cores,
      memory_mib: r.resources.total.memory_mib,
      monthly_cost_usd: r.resources.total.monthly_cost_usd,
      mesh_cpu_cores: round(
        mesh.reduce((n, [, c]) => n + c.cpu_cores, 0),
        6,
      ),
      mesh_memory_mib: round(
        mesh.reduce((n, [, c]) => n + c.memory_mib, 0),
        3,
      ),
    },
    simulated_events: r.simulated.events,
  };
}
