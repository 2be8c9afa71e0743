// Writes dist/bundle/cli.cache, V8's code cache for the command line's bundle (see bundle.mjs and
// src/cli/launch.ts). Made after a few warm-up commands, so it holds the bytecode of every function
// they ran (the loader, the checks, the simulator in two modes, results.json) and not only the top
// level: a command then compiles almost nothing. Run by bundle.mjs; its stdout is discarded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBundle } from '../dist/cli/launch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = compileBundle(false);
if (!compiled) throw new Error('no dist/bundle/cli.cjs: run scripts/bundle.mjs');
const { main } = compiled.run();
const scenario = join(root, 'scenarios', 'retries-timeouts.yaml');
const out = mkdtempSync(join(tmpdir(), 'meshsim-code-cache-'));
try {
  const run = ['run', scenario, '--duration', '5s', '--outputs', 'results', '--quiet', '--out', out];
  for (const args of [['validate', scenario], run, [...run, '--mode', 'none']]) {
    const code = await main(['node', 'meshsim', ...args]);
    if (code !== 0) throw new Error(`warm-up \`meshsim ${args.join(' ')}\` exited ${code}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
writeFileSync(join(root, 'dist', 'bundle', 'cli.cache'), compiled.script.createCachedData());
