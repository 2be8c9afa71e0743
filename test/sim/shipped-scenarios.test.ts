/**
 * Every shipped scenario validates without errors, runs, and writes results that conform to the
 * contract, as checked by ../shared/tools/check-results.mjs (README.md "results.json").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, repoPath, run, scenarioFromFile } from '../dataplane/run-scenario.js';

const CHECKER = repoPath('../shared/tools/check-results.mjs');
const scenarios = readdirSync(repoPath('scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const tmp = mkdtempSync(join(tmpdir(), 'meshsim-shipped-'));

describe('shipped scenarios', () => {
  it('there are scenarios for queueing, the data plane, traffic policy and resilience', () => {
    for (const name of [
      'mm1',
      'mmc',
      'three-tier',
      'istio-perf-benchmark',
      'bookinfo-canary',
      'retries-timeouts',
      'fault-injection',
      'outlier-ejection',
      'outlier-no-ejection',
      'circuit-breaking',
      'strict-mtls-migration',
      'payment-lockdown',
    ]) {
      expect(scenarios).toContain(`${name}.yaml`);
    }
  });

  it.each(scenarios)('%s validates with no errors', (file) => {
    const p = spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'validate', repoPath(`scenarios/${file}`)], { encoding: 'utf8' });
    expect(p.status, p.stdout).toBe(0);
  });

  it.skipIf(!existsSync(CHECKER))('results of every scenario, and a three-mode comparison, conform to the contract', () => {
    const files = scenarios.map((file) => {
      const out = join(tmp, file.replace('.yaml', '.json'));
      // Long scenarios are cut to 20 s; the shape of results does not depend on the length.
      const scenario = scenarioFromFile(`scenarios/${file}`);
      const durationUs = Math.min(scenario.durationUs, Math.max(20e6, scenario.warmupUs + 10e6));
      writeFileSync(out, JSON.stringify(run(scenario, { durationUs })));
      return out;
    });
    const cmp = join(tmp, 'comparison.json');
    writeFileSync(
      cmp,
      JSON.stringify({
        modes: compare(scenarioFromFile('scenarios/three-tier.yaml'), ['none', 'sidecar', 'ambient'], { durationUs: 20e6 }),
      }),
    );
    const p = spawnSync(process.execPath, [CHECKER, ...files, cmp], { encoding: 'utf8' });
    expect(
      p.stdout
        .trim()
        .split('\n')
        .filter((l) => !l.endsWith(': conforms')),
    ).toEqual([]);
    expect(p.status).toBe(0);
  });
});
