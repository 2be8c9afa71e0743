/**
 * Editor and library support: the shipped JSON Schema is the one the zod schema generates, every
 * shipped scenario names it for yaml-language-server, and the package's entry point (`exports`)
 * loads, simulates and gives results.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/config/json-schema.js';
import { repoPath } from '../dataplane/run-scenario.js';

const SCHEMA_LINE = '# yaml-language-server: $schema=../schema/scenario.schema.json';

describe('JSON Schema of the scenario file', () => {
  it('is shipped as generated (regenerate with npm run schema)', () => {
    const shipped = JSON.parse(readFileSync(repoPath('schema/scenario.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(scenarioJsonSchema());
  });

  it('describes the top-level fields and forbids unknown ones', () => {
    const s = scenarioJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
      additionalProperties: boolean;
    };
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec']));
    expect(Object.keys(s.properties.spec?.properties ?? {})).toEqual(
      expect.arrayContaining(['duration', 'services', 'workload', 'faults', 'mesh']),
    );
    expect(s.additionalProperties).toBe(false);
  });

  it.each(readdirSync(repoPath('scenarios')).filter((f) => f.endsWith('.yaml')))('%s names the schema on its first line', (file) => {
    expect(readFileSync(repoPath(`scenarios/${file}`), 'utf8').split('\n')[0]).toBe(SCHEMA_LINE);
  });
});

describe('library entry point', () => {
  it("import 'meshsim' loads a scenario, simulates it and builds results.json", () => {
    const script = `
      import { loadScenario, simulate, buildResults, MODE_NAMES } from 'meshsim';
      const { scenario } = loadScenario('scenarios/mm1.yaml');
      const r = buildResults(simulate(scenario, { mode: 'none', durationUs: 60e6 }));
      console.log(JSON.stringify({ total: r.requests.total, modes: MODE_NAMES.length }));`;
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoPath('.'), encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const out = JSON.parse(p.stdout) as { total: number; modes: number };
    expect(out.total).toBeGreaterThan(500);
    expect(out.modes).toBeGreaterThanOrEqual(3);
  });
});
