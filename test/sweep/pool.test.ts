/**
 * The sweep's worker pool (src/sweep/pool.ts) runs batch after batch on the same threads, and
 * after the batch its caller marks last, its threads end on their own, without `close`: their
 * teardown then overlaps the caller's work (PointWorkers.dispatch). Run in a child process on the
 * compiled modules (dist/), whose worker entry is dist/sweep/worker.js.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshsim-pool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('PointWorkers', () => {
  it('reuses its threads between batches, and ends them after the last', () => {
    const url = (f: string) => JSON.stringify(pathToFileURL(repoPath(f)).href);
    const script = `
const { PointWorkers } = await import(${url('dist/sweep/pool.js')});
const { runPoints } = await import(${url('dist/sweep/sweep.js')});
const { readFileSync } = await import('node:fs');
const file = ${JSON.stringify(repoPath('scenarios/mm1.yaml'))};
const text = readFileSync(file, 'utf8');
const jobs = (first) => [0, 1, 2].map((i) => ({ file, text, paths: {}, point: { index: first + i, params: {}, seed: 1 + i }, durationUs: 5e6 }));
const pool = new PointWorkers(2);
const seen = {};
seen.first = (await runPoints(jobs(0), pool)).map((p) => p.index);
seen.aliveAfterFirst = !pool.runsOnCaller;
seen.last = (await runPoints(jobs(3), pool, undefined, { last: true })).map((p) => p.index);
const t0 = Date.now();
while (!pool.runsOnCaller && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 5));
seen.endedAfterLast = pool.runsOnCaller;
try { pool.dispatch(jobs(6)); } catch (e) { seen.afterLast = e.message; }
await pool.close();
process.stdout.write(JSON.stringify(seen));
`;
    // A script file, not `node -e`: worker threads inherit the process's flags.
    const probe = join(scratch, 'pool.mjs');
    writeFileSync(probe, script);
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      first: [0, 1, 2],
      aliveAfterFirst: true,
      last: [3, 4, 5],
      endedAfterLast: true,
      afterLast: 'PointWorkers: the last batch has run',
    });
  });
});
