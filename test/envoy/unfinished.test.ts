/**
 * Honest totals (README.md "results.json", `requests.unfinished`): end-user requests still in flight when the run stops are reported
 * as `requests.unfinished`, printed in the summary, shown in the report and explain, and counted as
 * failed by SLO checks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSlo } from '../../src/cli/slo.js';
import { formatSummary } from '../../src/cli/summary.js';
import { explainRun } from '../../src/cli/explain.js';
import { buildResults } from '../../src/report/results.js';
import { simulate } from '../../src/sim/simulate.js';
import { repoPath, scenarioFromYaml } from '../dataplane/run-scenario.js';

// network-partition.yaml without its route timeout and retries: requests sent to the silent pod hang.
const text = readFileSync(repoPath('scenarios/network-partition.yaml'), 'utf8').replace(/ {8}timeout: 1s\n {8}retries: .*\n/, '');
const scenario = scenarioFromYaml(text);
const state = simulate(scenario);
const r = buildResults(state);

describe('unfinished end-user requests', () => {
  it('are counted in requests.unfinished, apart from the total, and located on the edge where they wait', () => {
    expect(r.requests.unfinished).toBeGreaterThan(0);
    expect(r.unfinished[0]).toMatchObject({ source: 'web', destination: 'api', dropped_by: ['api-v1-0'] });
    expect(r.unfinished.reduce((n, u) => n + u.requests, 0)).toBe(r.requests.unfinished);
  });

  it('fail the successRate SLO: success is measured over total + unfinished', () => {
    const slo = checkSlo({ successRate: 0.999 }, r);
    expect(r.requests.failed).toBe(0);
    expect(slo[0]?.ok).toBe(false);
    expect(Number(slo[0]?.detail)).toBeCloseTo(r.requests.succeeded / (r.requests.total + r.requests.unfinished), 5);
  });

  it('are printed in the summary (no "100.00% succeeded") and in explain', () => {
    const summary = formatSummary(r, 1, [], []);
    expect(summary).toMatch(new RegExp(`${r.requests.unfinished} unfinished`));
    expect(summary).not.toMatch(/100\.00% succeeded/);
    expect(summary).toMatch(/waiting on web → api since t=2\d\.\d+s \(dropped by api-v1-0\)/);
    expect(explainRun(scenario, r, state.timeline.events)).toMatch(/never finished .*\n.* on web → api, the oldest since/);
  });
});
