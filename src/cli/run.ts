/** `meshsim run`: one simulation, its files, and the summary. */
import { join } from 'node:path';
import { DEFAULT_EPOCH, parseEpoch } from '../report/openmetrics.js';
import { ALL_OUTPUTS, outputFileNames, parseOutputs, type OutputName } from '../report/output-set.js';
import { OutputSet } from '../report/file-sink.js';
import { runObservers, writeRunFiles, type ReportBuilder } from '../report/outputs.js';
import { buildResults } from '../report/results.js';
import { stableJson } from '../report/write.js';
import { simulate } from '../sim/simulate.js';
import {
  checkOverrides,
  checkWork,
  EXIT,
  flagProblem,
  loadChecked,
  parseBudget,
  parseOverrides,
  printModeWarnings,
  printRunWarnings,
  printWarnings,
  reportFailure,
  runOutcome,
} from './common.js';
import { runWarnings } from '../sim/warnings.js';
import type { Loaded } from '../analysis/load.js';
import { lockOutDir } from '../report/output-dir.js';
import type { Budget } from '../sim/budget.js';
import { progressBar, progressWanted } from './progress.js';
import { checkSlo } from './slo.js';
import { formatLoadCommands, formatSummary } from './summary.js';
import { loadChartLibraries } from '../report/html/chart-libraries.js';

/** `--outputs LIST`; every output when absent. */
export function outputsFlag(opts: Record<string, string | boolean | undefined>): ReadonlySet<OutputName> {
  if (typeof opts.outputs !== 'string') return ALL_OUTPUTS;
  const parsed = parseOutputs(opts.outputs);
  if (typeof parsed === 'string') throw flagProblem('--outputs', parsed);
  return parsed;
}

export async function runCommand(file: string, opts: Record<string, string | boolean | undefined>): Promise<number> {
  try {
    const overrides = parseOverrides(opts);
    const outputs = outputsFlag(opts);
    const epochIso = typeof opts.epoch === 'string' ? opts.epoch : DEFAULT_EPOCH;
    const epochMs = parseEpoch(epochIso);
    if (epochMs === undefined) throw flagProblem('--epoch', `expected an ISO 8601 instant such as ${DEFAULT_EPOCH}, got "${epochIso}"`);
    const budget = parseBudget(opts);
    const loaded = loadChecked(file, opts);
    const { scenario, warnings } = loaded;
    checkOverrides(overrides, scenario);
    printWarnings(warnings);
    const mode = overrides.mode ?? scenario.mesh.mode;
    printModeWarnings(scenario, mode);
    const out =
      typeof opts.out === 'string' ? opts.out : join('reports', mode === scenario.mesh.mode ? scenario.name : `${scenario.name}-${mode}`);
    // Refused before anything runs: a run over its work budget, a bad --out, a concurrent run into it.
    checkWork(loaded, budget, mode, overrides.durationUs ?? scenario.durationUs);
    const unlock = lockOutDir(out);
    try {
      return await runLocked(loaded, opts, { overrides, outputs, budget, epochIso, epochMs, mode, out });
    } finally {
      unlock();
    }
  } catch (e) {
    return reportFailure(e);
  }
}

interface RunSetup {
  overrides: ReturnType<typeof parseOverrides>;
  outputs: ReadonlySet<OutputName>;
  budget: Budget;
  epochIso: string;
  epochMs: number;
  mode: string;
  out: string;
}

async function runLocked(loaded: Loaded, opts: Record<string, string | boolean | undefined>, setup: RunSetup): Promise<number> {
  const { overrides, outputs, budget, epochIso, epochMs, mode, out } = setup;
  const { scenario } = loaded;
  const wallStart = process.hrtime.bigint();
  const observers = runObservers(scenario, { mode, seed: overrides.seed, durationUs: overrides.durationUs, outputs });
  const durationUs = overrides.durationUs ?? scenario.durationUs;
  const bar = await progressBar({ label: 'run', total: durationUs / 1e6, unit: 's', quiet: opts.quiet === true });
  let state;
  try {
    state = simulate(scenario, {
      mode,
      seed: overrides.seed,
      durationUs: overrides.durationUs,
      observers: observers.list,
      progress: progressWanted(opts.quiet === true) ? bar.simulation() : undefined,
      budget,
    });
  } finally {
    bar.stop();
  }
  printRunWarnings(runWarnings(state));
  const results = buildResults(state);
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  // Vega and the report code load only when report.html is wanted.
  let report: ReportBuilder | undefined;
  if (outputs.has('report')) {
    await loadChartLibraries();
    report = (await import('../report/html/report.js')).buildReportHtml;
  }
  // Streamed to temporary files, renamed into place together once all are complete.
  const set = new OutputSet(out);
  let files: string[];
  try {
    writeRunFiles(
      { text: (name, content) => set.text(name, content), stream: (name) => set.file(name).write },
      state,
      results,
      observers,
      { iso: epochIso, ms: epochMs },
      report,
      outputs,
    );
    files = set.commit();
  } catch (e) {
    set.abort();
    throw e;
  }
  const slo = checkSlo(scenario.slo, results);
  if (opts.json) process.stdout.write(stableJson(results));
  else if (!opts.quiet)
    process.stdout.write(`${formatSummary(results, wallMs, files, slo)}\n${formatLoadCommands(out, epochIso, outputFileNames(outputs))}\n`);
  // A budget-stopped run wrote what it had (marked partial) and still fails with exit 2.
  return runOutcome(loaded, state, out) ?? (slo.some((c) => !c.ok) ? EXIT.slo : EXIT.ok);
}
