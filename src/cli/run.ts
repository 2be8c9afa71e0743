/** `meshsim run`: one simulation, its files, and the summary. */
import { join } from 'node:path';
import { buildResults } from '../report/results.js';
import { stableJson, writeAll } from '../report/write.js';
import { simulate } from '../sim/simulate.js';
import type { MeshMode } from '../config/model.js';
import { loadChecked, parseOverrides } from './common.js';
import { EXIT, printWarnings, reportFailure } from './main.js';
import { checkSlo } from './slo.js';
import { formatSummary } from './summary.js';

export function runCommand(file: string, opts: Record<string, string | boolean | undefined>): number {
  try {
    const overrides = parseOverrides(opts);
    const { scenario, warnings } = loadChecked(file);
    printWarnings(warnings);
    const mode = (opts.mode as MeshMode | undefined) ?? scenario.mesh.mode;
    const wallStart = process.hrtime.bigint();
    const state = simulate(scenario, { mode, seed: overrides.seed, durationUs: overrides.durationUs });
    const results = buildResults(state);
    const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
    const out = typeof opts.out === 'string' ? opts.out : join('reports', mode === scenario.mesh.mode ? scenario.name : `${scenario.name}-${mode}`);
    const files = writeAll(out, {
      'results.json': stableJson(results),
      'events.jsonl': state.timeline.events.map((e) => JSON.stringify(e)).join('\n') + (state.timeline.events.length ? '\n' : ''),
    });
    const slo = checkSlo(scenario.slo, results);
    if (opts.json) process.stdout.write(stableJson(results));
    else process.stdout.write(`${formatSummary(results, wallMs, files, slo)}\n`);
    return slo.some((c) => !c.ok) ? EXIT.slo : EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}
