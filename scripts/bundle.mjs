// The command line's bundle: dist/bundle/, built from the compiled modules in dist/ by esbuild
// (`npm run build` runs it after tsc). Node's ESM loader resolves, reads and links each of the
// ~250 modules and their dependencies one by one, ~0.1 s of every `meshsim` start (and of every
// sweep worker's); a handful of bundled files load in a fraction of that. bin/meshsim.js runs the
// bundle when it is there and the dist/ modules otherwise, which are the same code: tests and the
// library API use dist/ directly.
//
// Entry points keep flat names (dist/bundle/main.js, prestart.js, worker.js) and chunks sit beside
// them, so `new URL('./worker.js', import.meta.url)` in sweep/pool.ts finds the bundled worker.
// Vega, vega-lite and playwright stay outside: only reports load them, through dynamic imports.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js', 'dist/cli/prestart.js', 'dist/sweep/worker.js'],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['vega', 'vega-lite', 'playwright-core'],
  // CommonJS dependencies (commander, seedrandom, …) call require(); an ES module has none.
  banner: { js: "import { createRequire as __meshsimRequire } from 'node:module'; const require = __meshsimRequire(import.meta.url);" },
  legalComments: 'none',
  // Maps to src/ through tsc's maps: `node --enable-source-maps bin/meshsim.js …` prints stack traces in the sources.
  sourcemap: 'linked',
  logLevel: 'warning',
});
