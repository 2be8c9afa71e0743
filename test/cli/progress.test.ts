/** Progress bars: drawn on a terminal only, never on pipes or with --quiet, and never change a run. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBar, progressWanted } from '../../src/cli/progress.js';
import { loadScenario } from '../../src/analysis/load.js';
import { buildResults } from '../../src/report/results.js';
import { simulate } from '../../src/sim/simulate.js';
import { repoPath } from '../dataplane/run-scenario.js';

const fakeTerminal = () => {
  const chunks: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
};

describe('progress bars', () => {
  it('draw simulated seconds, percentage and ETA on a terminal', async () => {
    const t = fakeTerminal();
    const bar = await progressBar({ label: 'run', total: 60, unit: 's', stream: t.stream });
    bar.simulation()(30e6, 1000);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toMatch(/run \[.*\] 50% \| 30\/60 s simulated \| .* events\/s \| ETA/);
  });

  it('capacity: a total in runs that grows when the search goes on past its estimate', async () => {
    const t = fakeTerminal();
    const bar = await progressBar({ label: 'capacity', total: 10, unit: 'runs', stream: t.stream, events: false });
    bar.setTotal(14);
    bar.relabel('capacity rate=800 passes');
    bar.update(12);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toMatch(/capacity rate=800 passes \[.*\] 85% \| 12\/14 runs \| ETA/);
    expect(t.text()).not.toContain('events/s');
  });

  it('sweep: points done with the events they simulated, as events/s', async () => {
    const t = fakeTerminal();
    const bar = await progressBar({ label: 'sweep', total: 8, unit: 'points', stream: t.stream });
    bar.update(2, 2_000_000);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toMatch(/sweep \[.*\] 25% \| 2\/8 points \| [1-9][\d.]*[kM]? events\/s \| ETA/);
  });

  it('are not drawn with --quiet or when stderr is not a terminal', async () => {
    const t = fakeTerminal();
    expect(progressWanted(true, t.stream)).toBe(false);
    expect(progressWanted(false, Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream)).toBe(false);
    const bar = await progressBar({ label: 'run', total: 60, unit: 's', stream: t.stream, quiet: true });
    bar.update(30);
    bar.stop();
    expect(t.text()).toBe('');
  });

  it('`meshsim run` into a pipe writes nothing to stderr; --outputs results writes results.json only', () => {
    const out = mkdtempSync(join(tmpdir(), 'meshsim-progress-'));
    const r = spawnSync(
      process.execPath,
      [repoPath('bin/meshsim.js'), 'run', repoPath('scenarios/three-tier.yaml'), '--duration', '8s', '--outputs', 'results', '--out', out],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(readdirSync(out).filter((f) => f !== '.meshsim-output')).toEqual(['results.json']); // plus the output-set manifest
  });

  it('a simulation watched by a progress callback gives byte-identical results', () => {
    const { scenario } = loadScenario(repoPath('scenarios/three-tier.yaml'));
    const plain = JSON.stringify(buildResults(simulate(scenario, { mode: 'sidecar', durationUs: 8e6 })));
    let calls = 0;
    const watched = JSON.stringify(
      buildResults(
        simulate(scenario, {
          mode: 'sidecar',
          durationUs: 8e6,
          progress: () => {
            calls++;
          },
        }),
      ),
    );
    expect(calls).toBeGreaterThan(100);
    expect(watched).toBe(plain);
  });
});
