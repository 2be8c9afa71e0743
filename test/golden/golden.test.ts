/**
 * Behaviour pins: every shipped scenario's results.json, in every mesh mode,
 * hashes to the digest committed in digests.json. A refactor must leave these byte-identical; a
 * change of behaviour updates them on purpose with `UPDATE_GOLDEN=1 npx vitest run test/golden`
 * and says why in its commit message.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stableJson } from '../../src/report/write.js';
import { repoPath, run, scenarioFromFile } from '../dataplane/run-scenario.js';

const DIGESTS = repoPath('test/golden/digests.json');
const MODES = ['none', 'sidecar', 'ambient', 'linkerd', 'cilium', 'appmesh'] as const;
const scenarios = readdirSync(repoPath('scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function digest(file: string, mode: (typeof MODES)[number]): string {
  const results = run(scenarioFromFile(`scenarios/${file}`), { mode });
  return createHash('sha256').update(stableJson(results)).digest('hex');
}

describe('golden results.json digests of the shipped scenarios', () => {
  const expected = JSON.parse(readFileSync(DIGESTS, 'utf8')) as Record<string, string>;
  const actual: Record<string, string> = {};

  for (const file of scenarios) {
    for (const mode of MODES) {
      const key = `${file} --mode ${mode}`;
      it(key, () => {
        actual[key] = digest(file, mode);
        if (process.env.UPDATE_GOLDEN) return;
        expect(actual[key], `${key}: results.json changed`).toBe(expected[key]);
      });
    }
  }

  it.runIf(process.env.UPDATE_GOLDEN)('writes the new digests', () => {
    writeFileSync(DIGESTS, `${JSON.stringify(actual, Object.keys(actual).sort(), 2)}\n`);
  });
});
