// Writes V8's code cache for one of the bundles bundle.mjs makes (see src/cli/launch.ts): `cli`
// (dist/bundle/cli.cache) or `point` (dist/bundle/point.cache, a sweep worker thread's). Made
// after warm-up work, so it holds the bytecode of every function that work ran and not only the
// top level: a command, or a worker's point, then compiles almost nothing. For the command line:
// `validate` and two short runs (the loader, the checks, the simulator in two modes,
// results.json); for a worker: the same two runs as sweep points. Run by bundle.mjs, one fresh
// process per bundle; its stdout is discarded.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_BUNDLE, POINT_BUNDLE, compileBundle } from '../dist/cli/launch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const which = process.argv[2];
if (which !== 'cli' && which !== 'point') throw new Error('usage: node scripts/code-cache.mjs cli|point');
const files = which === 'cli' ? CLI_BUNDLE : POINT_BUNDLE;
const compiled = compileBundle(false, files);
if (!compiled) throw new Error(`no ${fileURLToPath(files.bundle)}: run scripts/bundle.mjs`);
const scenario = join(root, 'scenarios', 'retries-timeouts.yaml');
if (which === 'cli') {
  const { main } = /** @type {import('../dist/cli/launch.js').CliBundle} */ (compiled.run());
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
} else {
  const { runPoint } = /** @type {import('../dist/cli/launch.js').PointBundle} */ (compiled.run());
  const text = readFileSync(scenario, 'utf8');
  const mode = ['spec', 'mesh', 'mode'];
  for (const [index, params] of [{}, { 'spec.mesh.mode': 'none' }].entries()) {
    runPoint({ file: scenario, text, paths: { 'spec.mesh.mode': mode }, point: { index, params, seed: 1 }, durationUs: 5e6 });
  }
}
writeFileSync(files.cache, compiled.script.createCachedData());
