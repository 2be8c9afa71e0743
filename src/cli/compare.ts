/** `meshsim compare`: the same scenario and seed once per mode, side by side. */
import { MESH_COMPONENTS } from '../modes/registry.js';
import { join } from 'node:path';
import { buildResults, type ResultsJson } from '../report/results.js';
import { stableJson, writeAll } from '../report/write.js';
import { simulate } from '../sim/simulate.js';
import type { MeshMode } from '../config/model.js';
import type { RunObserver } from '../telemetry/observer.js';
import { TimeSeriesObserver, type TimeSeriesJson } from '../telemetry/timeseries.js';
import { InputError } from '../config/diagnostics.js';
import { lockOutDir } from '../report/output-dir.js';
import {
  checkOverrides,
  checkWork,
  EXIT,
  loadChecked,
  parseBudget,
  parseModes,
  parseOverrides,
  printModeWarnings,
  printRunWarnings,
  printWarnings,
  reportFailure,
  runOutcome,
} from './common.js';
import { runWarnings } from '../sim/warnings.js';
import { progressBar, progressWanted } from './progress.js';
import { loadChartLibraries } from '../report/html/chart-libraries.js';

export interface ComparisonJson {
  modes: Record<string, ResultsJson>;
}

/** `observe` gives the observers of each mode's run (for the time series in comparison.html). */
export async function compareScenario(
  file: string,
  modesList: string,
  opts: Record<string, string | boolean | undefined>,
  observe?: (mode: MeshMode, durationUs: number, warmupUs: number) => RunObserver[],
): Promise<ComparisonJson> {
  const modes = parseModes(modesList);
  const overrides = parseOverrides(opts);
  const budget = parseBudget(opts);
  const loaded = loadChecked(file, opts);
  const { scenario, warnings } = loaded;
  checkOverrides(overrides, scenario);
  printWarnings(warnings);
  const out: ComparisonJson = { modes: {} };
  const durationUs = overrides.durationUs ?? scenario.durationUs;
  for (const mode of modes) checkWork(loaded, budget, mode, durationUs);
  // One bar over every mode's simulated seconds.
  const quiet = opts.quiet === true;
  const bar = await progressBar({ label: 'compare', total: (modes.length * durationUs) / 1e6, unit: 's', quiet });
  try {
    modes.forEach((mode, i) => {
      bar.relabel(`compare ${mode}`);
      printModeWarnings(scenario, mode);
      const observers = observe ? observe(mode, durationUs, Math.min(scenario.warmupUs, durationUs)) : undefined;
      const progress = progressWanted(quiet) ? bar.simulation((i * durationUs) / 1e6) : undefined;
      const state = simulate(scenario, { mode, seed: overrides.seed, durationUs: overrides.durationUs, observers, progress, budget });
      // A mode a budget stopped fails the comparison (exit 2, nothing written).
      if (runOutcome(loaded, state, undefined) !== undefined) throw new InputError([]);
      printRunWarnings(runWarnings(state), mode);
      out.modes[mode] = buildResults(state);
    });
  } finally {
    bar.stop();
  }
  return out;
}

export async function compareCommand(file: string, opts: Record<string, string | boolean | undefined>): Promise<number> {
  const unlock = typeof opts.out === 'string' ? lockOutDir(opts.out) : undefined;
  try {
    const series = new Map<string, TimeSeriesObserver>();
    const comparison = await compareScenario(
      file,
      typeof opts.modes === 'string' ? opts.modes : 'none,sidecar,ambient',
      opts,
      (mode, durationUs, warmupUs) => {
        const ts = new TimeSeriesObserver(durationUs, warmupUs);
        series.set(mode, ts);
        return [ts];
      },
    );
    const first = Object.values(comparison.modes)[0]!;
    const dir = typeof opts.out === 'string' ? opts.out : join('reports', `${first.scenario}-compare`);
    const seriesJson: Record<string, TimeSeriesJson> = {};
    for (const m of Object.keys(comparison.modes)) {
      const ts = series.get(m);
      if (ts) seriesJson[m] = ts.toJson();
    }
    // The report code (and Vega) loads only now, after the simulations.
    await loadChartLibraries();
    const { buildComparisonHtml } = await import('../report/html/comparison.js');
    const files = writeAll(dir, {
      'comparison.json': stableJson(comparison),
      'comparison.html': buildComparisonHtml({ modes: comparison.modes, series: seriesJson }),
    });
    if (opts.json) process.stdout.write(stableJson(comparison));
    else if (!opts.quiet) process.stdout.write(`${formatComparison(comparison)}\n\n${files.map((f) => `  wrote ${f}`).join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  } finally {
    unlock?.();
  }
}

const COMPONENTS = ['app', ...MESH_COMPONENTS.map((c) => c.name)];

export function formatComparison(c: ComparisonJson): string {
  const modes = Object.keys(c.modes);
  const rows: string[][] = [];
  const get = (m: string) => c.modes[m]!;
  const base = c.modes.none;
  const row = (label: string, f: (r: ResultsJson) => string) => rows.push([label, ...modes.map((m) => f(get(m)))]);
  const over = (label: string, value: (r: ResultsJson) => number, unit: string, digits: number) => {
    row(label, (r) => {
      const v = value(r);
      const delta = base && r !== base ? ` (${v - value(base) >= 0 ? '+' : ''}${(v - value(base)).toFixed(digits)})` : '';
      return `${v.toFixed(digits)}${unit}${delta}`;
    });
  };
  row('requests', (r) => String(r.requests.total));
  row('error rate', (r) => `${(r.requests.total ? (100 * r.requests.failed) / r.requests.total : 0).toFixed(3)}%`);
  for (const p of ['p50', 'p90', 'p99', 'p999'] as const) over(`latency ${p}`, (r) => r.latency_ms[p], ' ms', 3);
  for (const comp of COMPONENTS) {
    if (!modes.some((m) => get(m).resources.by_component[comp])) continue;
    row(`${comp} instances`, (r) => String(r.resources.by_component[comp]?.instances ?? 0));
    row(`${comp} CPU`, (r) => `${(r.resources.by_component[comp]?.cpu_cores ?? 0).toFixed(3)} cores`);
    row(`${comp} memory`, (r) => `${(r.resources.by_component[comp]?.memory_mib ?? 0).toFixed(1)} MiB`);
  }
  over('total CPU', (r) => r.resources.total.cpu_cores, ' cores', 3);
  over('total memory', (r) => r.resources.total.memory_mib, ' MiB', 1);
  over('monthly cost', (r) => r.resources.total.monthly_cost_usd, ' $', 2);
  // What the workload needs from the cluster: pods' requests (sidecars and DaemonSets included) and nodes.
  over('requested CPU', (r) => r.cluster.requests.cpu_cores, ' cores', 2);
  over('nodes needed', (r) => r.cluster.nodes_needed, '', 0);
  over('nodes', (r) => r.cluster.nodes, '', 0);
  if (modes.some((m) => get(m).cluster.autoscale)) over('nodes max', (r) => r.cluster.autoscale?.nodes_max ?? r.cluster.nodes, '', 0);
  over('nodes used', (r) => r.cluster.nodes_used, '', 0);
  // Services an HPA scaled: replicas at the end and at most.
  const scaled = Object.keys(get(modes[0]!).services).filter((k) => modes.some((m) => get(m).services[k]?.replicas.timeline));
  for (const k of scaled) row(`${k} replicas (max)`, (r) => `${r.services[k]?.replicas.final ?? 0} (${r.services[k]?.replicas.max ?? 0})`);
  if (modes.some((m) => get(m).cluster.pods_pending > 0)) row('pods pending', (r) => String(r.cluster.pods_pending));
  over('node cost', (r) => r.cluster.node_monthly_cost_usd, ' $/month', 2);
  // Sidecar scoping: what the Sidecar resources save against every proxy holding the whole mesh.
  const scoped = modes.filter((m) => get(m).resources.sidecar_scoping);
  const scopingLines = scoped.map((m) => {
    const sc = get(m).resources.sidecar_scoping!;
    const parts = Object.entries(sc.unscoped_memory_mib).map(
      ([comp, mib]) => `${comp} ${(get(m).resources.by_component[comp]?.memory_mib ?? 0).toFixed(1)} MiB instead of ${mib.toFixed(1)}`,
    );
    return `Sidecar scoping (${m}): each sidecar holds ${sc.services_held_mean} of ${sc.services} services; ${parts.join(', ')}; saves ${sc.saved_memory_mib.toFixed(1)} MiB`;
  });
  const header = ['', ...modes];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const first = get(modes[0]!);
  return [
    `meshsim compare · ${first.scenario} · seed ${first.seed} · ${first.simulated.duration_s}s simulated · same arrivals and service times in every mode`,
    '',
    fmt(header),
    ...rows.map(fmt),
    '',
    base ? '(in brackets: the difference from mode none)' : '',
    ...scopingLines,
  ].join('\n');
}
