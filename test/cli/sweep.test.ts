/** `meshsim sweep` / `merge`: a grid of runs whose output does not depend on workers or shards. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-sweep-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });
const GRID = [
  repoPath('scenarios/three-tier.yaml'),
  '--set',
  'spec.workload[0].rate=100,300',
  '--set',
  'spec.mesh.mode=none,sidecar',
  '--seeds',
  '2',
  '--duration',
  '8s',
];
const read = (dir: string) => readFileSync(join(dir, 'sweep.json'), 'utf8');

describe('meshsim sweep', () => {
  it('runs every combination for every seed, in a fixed order, with the swept values applied', () => {
    const out = join(tmp, 'one');
    const r = cli('sweep', ...GRID, '--workers', '1', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(read(out));
    expect(s.total_points).toBe(8);
    expect(s.points.map((p: { index: number }) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.points.map((p: { mode: string }) => p.mode)).toEqual([
      'none',
      'none',
      'sidecar',
      'sidecar',
      'none',
      'none',
      'sidecar',
      'sidecar',
    ]);
    expect(s.points.map((p: { seed: number }) => p.seed)).toEqual([42, 43, 42, 43, 42, 43, 42, 43]);
    // Three times the rate, about three times the requests.
    expect(s.points[4].requests.total / s.points[0].requests.total).toBeGreaterThan(2.5);
  });

  it('writes the same sweep.json with 1 or 3 workers, and sharded then merged', () => {
    const one = join(tmp, 'w1');
    const three = join(tmp, 'w3');
    expect(cli('sweep', ...GRID, '--workers', '1', '--out', one).status).toBe(0);
    expect(cli('sweep', ...GRID, '--workers', '3', '--out', three).status).toBe(0);
    expect(read(three)).toBe(read(one));
    const a = join(tmp, 's1');
    const b = join(tmp, 's2');
    expect(cli('sweep', ...GRID, '--shard', '1/2', '--out', a).status).toBe(0);
    expect(cli('sweep', ...GRID, '--shard', '2/2', '--out', b).status).toBe(0);
    expect(JSON.parse(read(a)).points).toHaveLength(4);
    const merged = join(tmp, 'merged');
    const m = cli('merge', a, b, '--out', merged);
    expect(m.status, m.stderr).toBe(0);
    expect(read(merged)).toBe(read(one));
    expect(readFileSync(join(merged, 'sweep.html'), 'utf8')).toContain('<svg');
  });

  it('rejects a bad --set, an unknown field it creates, and shards of different sweeps', () => {
    const bad = cli('sweep', repoPath('scenarios/three-tier.yaml'), '--set', 'rate', '--out', join(tmp, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/error: --set: expected PATH=V1,V2/);
    const unknown = cli(
      'sweep',
      repoPath('scenarios/three-tier.yaml'),
      '--set',
      'spec.mesh.colour=red',
      '--workers',
      '1',
      '--duration',
      '8s',
      '--out',
      join(tmp, 'unknown'),
    );
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/with --set spec\.mesh\.colour=red: .*unknown field "colour"/);
    const other = join(tmp, 'other');
    expect(
      cli('sweep', repoPath('scenarios/three-tier.yaml'), '--set', 'spec.workload[0].rate=50', '--duration', '8s', '--out', other).status,
    ).toBe(0);
    const m = cli('merge', join(tmp, 's1'), other, '--out', join(tmp, 'nope'));
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/is from another sweep/);
  });

  it('ends the workers it started early when the scenario or a flag is bad, writing nothing', () => {
    // Workers start before the scenario is read (they load the simulator meanwhile): a scenario
    // that fails to load must still end them, or the process would not exit.
    const bad = join(tmp, 'bad-scenario.yaml');
    writeFileSync(bad, 'apiVersion: meshsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  bogus: 1\n');
    const r = spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'sweep', bad, '--workers', '3', '--out', join(tmp, 'never')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/bad-scenario\.yaml:5:3: error: spec\.bogus: unknown field "bogus"/);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
    // Flags the sweep command itself rejects, or commander rejects before the command runs.
    for (const flags of [['--set', 'rate'], ['--bogus']]) {
      const f = spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'sweep', bad, '--workers', '3', ...flags], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(f.status, f.stderr).toBe(2);
    }
  });
});
