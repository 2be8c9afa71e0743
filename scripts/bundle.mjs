// The command line's bundle: dist/bundle/cli.cjs, built from the compiled modules in dist/ by
// esbuild (`npm run build` runs it after tsc), and the V8 code cache for it, dist/bundle/cli.cache
// (scripts/code-cache.mjs). Node's ESM loader resolves, reads and links each of the ~250 modules
// one by one, and caches no compiled code: one file, compiled from the cache by vm.Script
// (src/cli/launch.ts), starts each `meshsim` command ~0.1 s sooner. Sweep worker threads run a
// bundle of their own made the same way, dist/bundle/point.cjs and point.cache (below).
// bin/meshsim.js runs the bundle when it is there and the dist/ modules otherwise, which are the
// same code: tests and the library API use dist/ directly.
//
// CommonJS, because V8's code cache is only for scripts in Node 20. Modules a command loads with
// import() stay lazy: esbuild runs their top level on first import, not at load.
// Vega and vega-lite are ES modules with top-level await, which require() cannot load: the bundle
// reaches them through import() (report/html/chart-libraries.ts), and render.ts's static imports
// of them read what that loaded.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

/** `import … from 'vega'` (and vega-lite) as the modules chart-libraries.ts loaded; import() of them stays an import(). */
const chartLibraries = {
  name: 'chart-libraries',
  setup(b) {
    b.onResolve({ filter: /^vega(-lite)?$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : { path: args.path, namespace: 'chart-libraries' },
    );
    b.onLoad({ filter: /.*/, namespace: 'chart-libraries' }, (args) => ({
      loader: 'js',
      contents: `const libs = globalThis[Symbol.for('meshsim.chartLibraries')];
if (!libs) throw new Error('meshsim: ${args.path} used before loadChartLibraries() (report/html/chart-libraries.ts)');
module.exports = libs[${JSON.stringify(args.path)}];`,
    }));
  },
};

/**
 * Built-ins most commands never use, loaded on first use instead of at start (~3 ms of every
 * command): commander requires child_process for executable subcommands (meshsim has none), and
 * only a sweep starts worker threads. Each export is a getter that loads the real module.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(child_process|worker_threads)$/ }, (args) =>
      // The stand-in's own require() is of the real module.
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((k) => k !== 'default');
      return {
        loader: 'js',
        contents: `let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { get: () => load()[name], enumerable: true });`,
      };
    });
  },
};

/**
 * Rewrites every non-ASCII character of a bundle as a \u escape. esbuild escapes them in strings
 * but leaves them in regular expression literals (µs, →, ×; and in comments, were they kept), and
 * one is enough to make the whole file a two-byte string when read as UTF-8: launch.ts reads an
 * ASCII bundle as one-byte text instead, ~5 ms where UTF-8 decoding took ~23 ms of every command
 * and every sweep worker thread, and V8 keeps half the bytes. A \u escape means the same character
 * in a string, a regular expression (with or without the u flag; astral characters as their
 * surrogate pair) and an identifier, and is inert in a comment.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // After a backslash (a regular expression's identity escape, `\µ`) the escape would change the
  // meaning: `\\u00b5` is a backslash and then "u00b5". None is there today; fail rather than guess.
  const escaped = /\\[^\x00-\x7f]/.exec(text);
  if (escaped)
    throw new Error(
      `${file}: a backslash before the non-ASCII character at offset ${escaped.index}; write it as a \\u escape in the source`,
    );
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

/** What both files below are: CommonJS for Node 20, whose import.meta.url is the file's own URL. */
const commonJs = {
  absWorkingDir: root,
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import.meta.url (package-files.ts, sweep/pool.ts's worker entry, launch.ts's bundle) is the file's own URL.
  define: { 'import.meta.url': '__meshsimBundleUrl' },
  banner: { js: "const __meshsimBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  // Whitespace and syntax only (names stay, so stack traces still name functions): the bundle is
  // read, scanned and held as a string on every command and in every sweep worker thread, and at
  // 1.2 MB instead of 1.9 MB that start is ~6 ms shorter. Comments are the source's (src/).
  minifyWhitespace: true,
  minifySyntax: true,
  // No source map: Node maps no vm.Script's stack traces, so `node --enable-source-maps bin/meshsim.js …`
  // runs the dist/ modules instead (launch.ts), whose tsc maps lead to src/.
  logLevel: 'warning',
};

await build({
  ...commonJs,
  entryPoints: { cli: 'dist/cli/bundle-entry.js' },
  external: ['playwright-core'],
  plugins: [chartLibraries, lazyBuiltins],
});
asciiOnly(join(outdir, 'cli.cjs'));

// What bin/meshsim.js (CommonJS) requires first: launch.ts as CommonJS, so no command starts Node's
// ES module loader (~5 ms) before the bundle runs. Node built-ins only; the same code as dist/cli/launch.js.
await build({ ...commonJs, entryPoints: { launch: 'dist/cli/launch.js' } });

// What a sweep worker thread runs (src/sweep/point-bundle-entry.ts): the simulator and the scenario
// loader, no command line. No import() reaches it, so esbuild initialises every module at load,
// as a worker needs them (why: src/cli/launch.ts, POINT_BUNDLE).
await build({ ...commonJs, entryPoints: { point: 'dist/sweep/point-bundle-entry.js' } });
asciiOnly(join(outdir, 'point.cjs'));

// sweep/pool.ts starts worker.cjs beside the bundle: a sweep worker thread running point.cjs's
// worker loop, CommonJS as bin/meshsim.js (no ES module loader in the thread).
writeFileSync(
  join(outdir, 'worker.cjs'),
  `// A sweep worker thread of the bundled command line (scripts/bundle.mjs, src/sweep/pool.ts).
'use strict';
const bundle = require('./launch.cjs').loadPointBundle();
if (!bundle) throw new Error('meshsim: no sweep point bundle beside ' + __filename);
bundle.serveSweepJobs();
`,
);

// The code caches, from a fresh process (the flags V8 checks are launch.ts's, as in every command).
for (const which of ['cli', 'point']) {
  const cache = spawnSync(process.execPath, [join(root, 'scripts', 'code-cache.mjs'), which], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (cache.status !== 0) throw new Error(`scripts/code-cache.mjs ${which} failed (exit ${cache.status ?? cache.signal})`);
}
