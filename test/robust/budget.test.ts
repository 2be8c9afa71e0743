// The up-front work estimate: close enough to what runs make that every shipped scenario fits the
// default budget with room, and a runaway scenario (rate 1e7 for an hour) is refused.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/analysis/load.js';
import { simulate } from '../../src/sim/simulate.js';
import { DEFAULT_BUDGET, estimateWork, overBudget } from '../../src/sim/budget.js';

const dir = join(__dirname, '..', '..', 'scenarios');
const shipped = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('work estimate', () => {
  it.each(shipped)('%s fits the default budget, and the estimate is within 3x of the run', (f) => {
    const { scenario } = loadScenario(join(dir, f));
    const mode = scenario.mesh.mode;
    const e = estimateWork(scenario, { mode, durationUs: scenario.durationUs });
    expect(overBudget(e, DEFAULT_BUDGET)).toBeUndefined();
    const state = simulate(scenario, { durationUs: Math.min(scenario.durationUs, 5e6) });
    const ratio = estimateWork(scenario, { mode, durationUs: Math.min(scenario.durationUs, 5e6) }).events / state.sim.processed;
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });
});
