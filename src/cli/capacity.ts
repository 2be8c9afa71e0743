/** `meshsim capacity`: the highest rate, or the fewest replicas or nodes, that meets an SLO. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../config/diagnostics.js';
import type { SloModel } from '../config/model.js';
import { formatDuration } from '../config/units.js';
import { stableJson, writeAll } from '../report/write.js';
import { loadChartLibraries } from '../report/html/chart-libraries.js';
import { runCapacity, type CapacityJson } from '../sweep/capacity-run.js';
import { parseSlo, parseVary, sloEmpty, varyTarget, type CapacitySearch, type CapacitySlo } from '../sweep/capacity.js';
import { YamlSource } from '../config/yaml-source.js';
import { progressBar, progressWanted } from './progress.js';
import { checkOverrides, EXIT, flagProblem, loadChecked, parseModes, parseOverrides, printWarnings, reportFailure } from './common.js';
import { closeEarlyWorkers, takeWorkers, type PointWorkers } from '../sweep/pool.js';

export interface CapacityOptions {
  vary?: string;
  slo?: string;
  seeds?: string;
  modes?: string;
  workers?: string;
  duration?: string;
  tolerance?: string;
  out?: string;
  quiet?: boolean;
}

/** spec.slo written back as an SLO string (the default objective). */
function sloText(s: SloModel): string {
  const parts: string[] = [];
  const lat = (k: string, us: number | undefined) => us !== undefined && parts.push(`${k}<${formatDuration(us)}`);
  lat('p50', s.p50Us);
  lat('p90', s.p90Us);
  lat('p99', s.p99Us);
  lat('p999', s.p999Us);
  if (s.successRate !== undefined) parts.push(`successRate>=${s.successRate}`);
  return parts.join(',');
}

export async function capacityCommand(file: string, opts: CapacityOptions): Promise<number> {
  let pool: PointWorkers | undefined;
  try {
    if (!opts.vary) throw flagProblem('--vary', 'give what to vary: rate, replicas:SERVICE or nodes');
    const vary = parseVary(opts.vary);
    if (typeof vary === 'string') throw flagProblem('--vary', vary);
    const k = Number(opts.seeds ?? '1');
    if (!Number.isInteger(k) || k < 1 || k > 100) throw flagProblem('--seeds', `expected a count from 1 to 100, got "${opts.seeds}"`);
    const workers = opts.workers === undefined ? Math.max(1, availableParallelism()) : Number(opts.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw flagProblem('--workers', `expected 1 to 64, got "${opts.workers}"`);
    // The threads bin/meshsim.js started before loading the command line (cli/prestart.ts), or new ones.
    pool = takeWorkers(Math.min(workers, k));
    const relTolerance = opts.tolerance === undefined ? undefined : Number(opts.tolerance);
    if (relTolerance !== undefined && !(relTolerance > 0 && relTolerance < 1))
      throw flagProblem('--tolerance', `expected a fraction between 0 and 1, got "${opts.tolerance}"`);
    const modes = opts.modes === undefined ? undefined : parseModes(opts.modes);
    let slo: CapacitySlo | undefined;
    let text: string | undefined;
    if (opts.slo !== undefined) {
      const parsed = parseSlo(opts.slo);
      if ('error' in parsed)
        throw new InputError([{ file: 'meshsim', line: 1, col: parsed.col, severity: 'error', message: `--slo: ${parsed.error}` }]);
      slo = parsed;
      text = opts.slo.trim();
    }
    const overrides = parseOverrides({ duration: opts.duration });
    const loaded = loadChecked(file);
    checkOverrides(overrides, loaded.scenario);
    printWarnings(loaded.warnings);
    if (!slo) {
      if (!loaded.scenario.slo || sloEmpty(loaded.scenario.slo))
        throw flagProblem('--slo', 'the scenario has no spec.slo; give the objective, e.g. --slo "p99<250ms,errors<0.1%"');
      slo = loaded.scenario.slo;
      text = sloText(slo);
    }
    const scenarioText = readFileSync(file, 'utf8');
    const target = varyTarget(vary, new YamlSource(file, scenarioText).doc.toJS() as Record<string, unknown>);
    if (typeof target === 'string') throw flagProblem('--vary', target.replace(/^--vary /, ''));
    const seeds = Array.from({ length: k }, (_, i) => loaded.scenario.seed + i);
    // A progress bar in runs (seeds × values tried) on a terminal; the search's length is not known up
    // front, so the total is an estimate (about ten values per search) that grows if the search goes on.
    const searches = modes?.length ?? 1;
    let total = searches * k * SEARCH_VALUES_ESTIMATE;
    let done = 0;
    const bar = await progressBar({ label: 'capacity', total, unit: 'runs', quiet: opts.quiet, events: false });
    // Without a bar (not a terminal), one line per value, unless --quiet.
    const lines = !opts.quiet && !progressWanted(opts.quiet);
    const result = await runCapacity({
      file,
      text: scenarioText,
      scenario: loaded.scenario.name,
      vary,
      slo,
      sloText: text as string,
      seeds,
      modes,
      workers: pool,
      durationUs: overrides.durationUs,
      relTolerance,
      onPoint: (mode, value, passed) => {
        done += k;
        if (done >= total) bar.setTotal((total = done + k));
        bar.relabel(`capacity ${mode ? `${mode} ` : ''}${result0(vary.kind)}=${value} ${passed ? 'passes' : 'fails'}`);
        bar.update(done);
        if (lines) process.stderr.write(`  ${mode ? `${mode} ` : ''}${result0(vary.kind)}=${value}: ${passed ? 'passes' : 'fails'}\n`);
      },
    });
    bar.stop();
    const out = opts.out ?? join('reports', `${loaded.scenario.name}-capacity`);
    // Vega and the chart code load only now, after the searches.
    await loadChartLibraries();
    const { capacityHtml } = await import('../sweep/capacity-html.js');
    const files = writeAll(out, { 'capacity.json': stableJson(result), 'capacity.html': capacityHtml(result) });
    process.stdout.write(`${formatCapacity(result)}\n\n${files.map((f) => `  wrote ${f}`).join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  } finally {
    await pool?.close();
    closeEarlyWorkers();
  }
}

/** Values a search typically tries (doubling to a bracket, then bisecting to 1 %), for the progress bar's total. */
const SEARCH_VALUES_ESTIMATE = 10;

const result0 = (kind: string) => (kind === 'replicas' ? 'replicas' : kind);

function unit(vary: string): string {
  return vary === 'rate' ? ' req/s' : vary === 'nodes' ? ' nodes' : ' replicas';
}

export function formatCapacity(c: CapacityJson): string {
  const runs: [string, CapacitySearch][] = c.modes ? Object.entries(c.modes) : [[c.mode ?? '', c as CapacitySearch]];
  const lines = [`meshsim capacity · ${c.scenario} · --vary ${c.vary} · SLO ${c.slo} · ${c.seeds.length} seed(s) per point`, ''];
  for (const [mode, r] of runs) {
    if (mode) lines.push(`${mode}:`);
    lines.push(`  ${c.vary.padEnd(14)} ${'SLO'.padEnd(6)} ${'p99 ms'.padStart(10)} ${'errors'.padStart(9)}`);
    for (const p of r.points)
      lines.push(
        `  ${String(p.value).padEnd(14)} ${(p.passed ? 'passes' : 'fails').padEnd(6)} ${p.p99_ms.toFixed(3).padStart(10)} ${`${(100 * p.error_rate).toFixed(3)}%`.padStart(9)}`,
      );
    const goalWord = c.vary === 'rate' ? 'highest rate' : 'fewest';
    lines.push(
      r.answer === null
        ? `  answer: no value meets the SLO (searched down to ${r.bracket?.[0]})`
        : `  answer: ${goalWord} meeting the SLO = ${r.answer}${unit(c.vary)} (bracket ${r.bracket?.[0]}–${r.bracket?.[1]})`,
      '',
    );
  }
  return lines.join('\n').trimEnd();
}
