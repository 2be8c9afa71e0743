/**
 * The command line runs the esbuild bundle `npm run build` makes (scripts/bundle.mjs); the
 * library API and these tests use the compiled modules. Both must be the same program: the same
 * scenario gives byte-identical outputs through either, including a sweep whose points run in
 * the bundle's worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const scratch = mkdtempSync(join(tmpdir(), 'meshsim-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `meshsim …args` through bin/meshsim.js (the bundle). */
const viaBin = (args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });

/** The same command through the compiled modules' main(), in a fresh process (a script file: worker threads inherit the flags of `node -e`). */
const modulesMain = join(scratch, 'modules-main.mjs');
writeFileSync(
  modulesMain,
  `const { main } = await import(${JSON.stringify(pathToFileURL(repoPath('dist/cli/main.js')).href)});\nprocess.exitCode = await main(process.argv);\n`,
);
const viaModules = (args: string[]) => spawnSync(process.execPath, [modulesMain, ...args], { encoding: 'utf8' });

/**
 * Runs `args` (ending in `--out`) through the bundle and through the modules, into two folders,
 * and expects each of `files` to be byte-identical between them.
 */
function expectSameFiles(name: string, args: string[], files: string[]): void {
  const bin = join(scratch, `${name}-bin`);
  const modules = join(scratch, `${name}-modules`);
  const a = viaBin([...args, bin]);
  const b = viaModules([...args, modules]);
  expect(a.status, a.stderr).toBe(0);
  expect(b.status, b.stderr).toBe(0);
  for (const f of files) expect(readFileSync(join(bin, f), 'utf8')).toBe(readFileSync(join(modules, f), 'utf8'));
}

describe('the command line bundle', () => {
  it('is built next to the modules, with its code cache', () => {
    for (const file of ['cli.cjs', 'cli.cache', 'point.cjs', 'point.cache', 'launch.cjs', 'worker.cjs'])
      expect(existsSync(repoPath(`dist/bundle/${file}`))).toBe(true);
  });

  it.each(['cli.cjs', 'point.cjs'])(
    'is ASCII (%s), so launch.ts reads it as one-byte text without decoding UTF-8 (scripts/bundle.mjs escapes the rest)',
    (file) => {
      const bytes = readFileSync(repoPath(`dist/bundle/${file}`));
      expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
    },
  );

  it('gives sweep worker threads a bundle of their own, without the command line and with no lazily initialised module', () => {
    const point = readFileSync(repoPath('dist/bundle/point.cjs'), 'latin1');
    expect(point).toContain('function runPoint(');
    expect(point).not.toContain('__esm(');
    expect(point).not.toContain('commander'); // the command line's parser (cli.cjs has it)
    expect(readFileSync(repoPath('dist/bundle/worker.cjs'), 'utf8')).toContain('loadPointBundle()');
  });

  it('is compiled from its code cache: V8 takes it in a fresh process (same V8, same flags as bin/meshsim.js)', () => {
    const launch = JSON.stringify(pathToFileURL(repoPath('dist/cli/launch.js')).href);
    const probe = join(scratch, 'probe-cache.mjs');
    writeFileSync(probe, `const { compileBundle } = await import(${launch});\nprocess.stdout.write(String(compileBundle().cached));\n`);
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
  });

  it("compiles a sweep worker thread's bundle from its code cache in a worker thread", () => {
    const launch = JSON.stringify(pathToFileURL(repoPath('dist/cli/launch.js')).href);
    const probe = join(scratch, 'probe-cache-worker.mjs');
    writeFileSync(
      probe,
      `import { Worker } from 'node:worker_threads';\nawait import(${launch});\nconst code = 'import(' + JSON.stringify(${launch}) + ').then((m) => require("node:worker_threads").parentPort.postMessage(m.compileBundle(true, m.POINT_BUNDLE).cached))';\nnew Worker(code, { eval: true }).on('message', (cached) => process.stdout.write(String(cached)));\n`,
    );
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
  });

  it("sets the V8 flags that change V8's flag hash only once the sweep's worker threads have started (Node's own code cache then fits them)", () => {
    const url = (f: string) => JSON.stringify(pathToFileURL(repoPath(f)).href);
    const probe = join(scratch, 'probe-flags.mjs');
    writeFileSync(
      probe,
      `const { prestart } = await import(${url('dist/cli/prestart.js')});
const { v8FlagsAfterStartSet } = await import(${url('dist/cli/v8-flags.js')});
const { takeWorkers } = await import(${url('dist/sweep/pool.js')});
const seen = [];
prestart(['node', 'meshsim', 'run', 'x.yaml']);
seen.push(v8FlagsAfterStartSet()); // no thread to wait for: at once
prestart(['node', 'meshsim', 'sweep', 'x.yaml', '--seeds', '2', '--workers', '2']);
seen.push(v8FlagsAfterStartSet()); // two threads starting: unset again
const pool = takeWorkers(2);
const t0 = Date.now();
while (!v8FlagsAfterStartSet() && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 10));
seen.push(v8FlagsAfterStartSet()); // both loaded the simulator
await pool.close();
process.stdout.write(JSON.stringify(seen));
`,
    );
    const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, false, true]);
  });

  it("starts a sweep's worker threads with Node's own modules from its built-in code cache (no flag that changes V8's flag hash is set while they start)", () => {
    /** Node's modules compiled from source instead of from its cache, in a sweep on `workers`. */
    const fromSource = (workers: number) => {
      const out = join(scratch, `code-cache-${workers}`);
      const args = [repoPath('bin/meshsim.js'), 'sweep', repoPath('scenarios/mm1.yaml'), '--seeds', '2', '--duration', '1s'];
      const r = spawnSync(process.execPath, [...args, '--workers', String(workers), '--quiet', '--out', out], {
        encoding: 'utf8',
        env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
      });
      expect(r.status, r.stderr).toBe(0);
      return [...r.stderr.matchAll(/^Code cache of (\S+) .*is rejected$/gm)].map((m) => m[1]).sort();
    };
    // Two worker threads load ~100 of Node's modules each; the main thread loads the same either way.
    expect(fromSource(2)).toEqual(fromSource(1));
  });

  it('leaves a code cache older than its bundle unused (V8 checks a cache against its source by length only)', async () => {
    const { cacheIsFresh } = await import('../../src/cli/launch.js');
    const bundle = join(scratch, 'fresh.cjs');
    const cache = join(scratch, 'fresh.cache');
    writeFileSync(bundle, 'x');
    expect(cacheIsFresh(bundle, cache)).toBe(false); // no cache at all
    writeFileSync(cache, 'y');
    utimesSync(bundle, 1000, 1000);
    utimesSync(cache, 2000, 2000);
    expect(cacheIsFresh(bundle, cache)).toBe(true);
    utimesSync(bundle, 3000, 3000); // the bundle rebuilt or edited after its cache
    expect(cacheIsFresh(bundle, cache)).toBe(false);
  });

  it('draws report charts: Vega, an ES module, loaded from the CommonJS bundle compiled from its cache', () => {
    const dir = join(scratch, 'report');
    const r = viaBin(['run', repoPath('scenarios/mm1.yaml'), '--duration', '30s', '--outputs', 'results,report', '--quiet', '--out', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('writes the same results.json, metrics and traces as the modules', () => {
    const run = ['run', repoPath('scenarios/retries-timeouts.yaml'), '--duration', '20s', '--outputs', 'results,metrics,traces'];
    expectSameFiles('run', [...run, '--quiet', '--out'], ['results.json', 'metrics.prom', 'traces.json']);
  });

  it('runs sweep points in its own worker threads, with the modules’ results', () => {
    const sweep = ['sweep', repoPath('scenarios/mmc.yaml'), '--seeds', '3', '--duration', '20s', '--workers', '2'];
    expectSameFiles('sweep', [...sweep, '--quiet', '--out'], ['sweep.json']);
  });
});
