/** `meshsim run`: one simulation, its files, and the summary. */
import { join } from 'node:path';
import { DEFAULT_EPOCH, parseEpoch } from '../report/openmetrics.js';
import { renderRunFiles, runObservers } from '../report/outputs.js';
import { buildResults } from '../report/results.js';
import { stableJson, writeAll } from '../report/write.js';
import { simulate } from '../sim/simulate.js';
import { checkOverrides, EXIT, flagProblem, loadChecked, parseOverrides, printWarnings, reportFailure } from './common.js';
import { checkSlo } from './slo.js';
import { formatLoadCommands, formatSummary } from './summary.js';

export function runCommand(file: string, opts: Record<string, string | boolean | undefined>): number {
  try {
    const overrides = parseOverrides(opts);
    const epochIso = typeof opts.epoch === 'string' ? opts.epoch : DEFAULT_EPOCH;
    const epochMs = parseEpoch(epochIso);
    if (epochMs === undefined) throw flagProblem('--epoch', `expected an ISO 8601 instant such as ${DEFAULT_EPOCH}, got "${epochIso}"`);
    const { scenario, warnings } = loadChecked(file);
    checkOverrides(overrides, scenario);
    printWarnings(warnings);
    const mode = overrides.mode ?? scenario.mesh.mode;
    const wallStart = process.hrtime.bigint();
    const observers = runObservers(scenario, { mode, seed: overrides.seed, durationUs: overrides.durationUs });
    const state = simulate(scenario, { mode, seed: overrides.seed, durationUs: overrides.durationUs, observers: observers.list });
    const results = buildResults(state);
    const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
    const extra = renderRunFiles(state, results, observers, { iso: epochIso, ms: epochMs });
    const out =
      typeof opts.out === 'string' ? opts.out : join('reports', mode === scenario.mesh.mode ? scenario.name : `${scenario.name}-${mode}`);
    const files = writeAll(out, {
      'results.json': stableJson(results),
      'events.jsonl': state.timeline.events.map((e) => JSON.stringify(e)).join('\n') + (state.timeline.events.length ? '\n' : ''),
      ...extra,
    });
    const slo = checkSlo(scenario.slo, results);
    if (opts.json) process.stdout.write(stableJson(results));
    else process.stdout.write(`${formatSummary(results, wallMs, files, slo)}\n${formatLoadCommands(out, epochIso)}\n`);
    return slo.some((c) => !c.ok) ? EXIT.slo : EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}
