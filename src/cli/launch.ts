/**
 * How a `meshsim` process starts: its V8 settings (v8-flags.ts), then the command line's bundle
 * compiled with V8's code cache (a sweep worker thread: its own bundle, POINT_BUNDLE).
 *
 * `npm run build` bundles the command line into one CommonJS file, dist/bundle/cli.cjs
 * (scripts/bundle.mjs), and saves the bytecode V8 compiled for it during a few warm-up commands
 * in dist/bundle/cli.cache (scripts/code-cache.mjs); likewise dist/bundle/point.cjs and
 * point.cache for sweep worker threads. Node 20 caches no compiled code for ES
 * modules or `require()`, so every start would parse ~1.2 MB of JavaScript and compile each
 * function again on first call; with the cache (vm.Script `cachedData`) V8 deserialises both
 * instead: ~50 ms less of every command (README "Performance"). V8 rejects a cache made by
 * another V8 version, under other flags or for a source of another length, and then compiles as
 * usual; cacheIsFresh keeps a cache older than its bundle out.
 *
 * Imports only Node built-ins: bin/meshsim.js and the bundle's worker threads load this first.
 */
import { isAscii } from 'node:buffer';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { applyV8Flags } from './v8-flags.js';

/** What the command line's bundle exports (src/cli/bundle-entry.ts). */
export type CliBundle = typeof import('./bundle-entry.js');
/** What a sweep worker thread's bundle exports (src/sweep/point-bundle-entry.ts). */
export type PointBundle = typeof import('../sweep/point-bundle-entry.js');

applyV8Flags();
// Flags are the process's: no thread sets any after this, so sweep worker threads compiling the
// bundle later find the flags the cache was made under (`npm run build` loads this too).

// Code compiled from a code cache cannot import() in Node 20 (the vm.Script's importModuleDynamically
// is lost with it): the bundle loads ES modules (Vega, report/html/chart-libraries.ts) through this.
(globalThis as { [k: symbol]: unknown })[Symbol.for('meshsim.importModule')] = (specifier: string) => import(specifier);

/** A bundle scripts/bundle.mjs writes, and the code cache scripts/code-cache.mjs makes for it. */
export interface BundleFiles {
  bundle: URL;
  cache: URL;
}

/** The command line (every command, the main thread of a sweep). */
export const CLI_BUNDLE: BundleFiles = {
  bundle: new URL('../bundle/cli.cjs', import.meta.url),
  cache: new URL('../bundle/cli.cache', import.meta.url),
};

/**
 * What a sweep worker thread runs: the simulator and the scenario loader, without the command
 * line, the report writers or commander, and with every module initialised at load. esbuild
 * makes each module of cli.cjs a lazily initialised wrapper (main.ts loads each command with
 * import()); a worker needs all of the simulator at once. On 8 equal M/M/4 points on 2 workers,
 * each worker's first point began ~15 ms sooner (a smaller cache to deserialise) and ran ~30 ms
 * faster (README "Performance", eighteenth pass).
 */
export const POINT_BUNDLE: BundleFiles = {
  bundle: new URL('../bundle/point.cjs', import.meta.url),
  cache: new URL('../bundle/point.cache', import.meta.url),
};

/** A bundle compiled (with its code cache when there is one), not yet run. */
export interface CompiledBundle<Exports> {
  script: Script;
  /** Whether V8 took the code cache (false: none, or rejected). */
  cached: boolean;
  /** Runs the bundle's top level once and gives its exports. */
  run(): Exports;
}

/**
 * The bundle `files` (the command line's unless told), or undefined when `npm run build` made none
 * (tsc alone), or when source maps are on (`node --enable-source-maps`: Node maps no vm.Script's
 * stack traces): the dist/ modules serve then.
 */
export function compileBundle(useCache?: boolean): CompiledBundle<CliBundle> | undefined;
export function compileBundle<Exports>(useCache: boolean, files: BundleFiles): CompiledBundle<Exports> | undefined;
export function compileBundle<Exports>(useCache = true, files: BundleFiles = CLI_BUNDLE): CompiledBundle<Exports> | undefined {
  if (!existsSync(files.bundle) || process.sourceMapsEnabled) return undefined;
  const filename = fileURLToPath(files.bundle);
  const { text, cachedData } = readBundle(files, useCache && cacheIsFresh(files.bundle, files.cache));
  // CommonJS's module wrapper, spelled the same every time: the cache is for this exact source.
  const source = `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
  const script = new Script(source, { filename, cachedData });
  let exports: Exports | undefined;
  return {
    script,
    cached: cachedData !== undefined && !script.cachedDataRejected,
    run() {
      if (exports) return exports;
      const module = { exports: {} as Exports };
      const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
      wrapper(module.exports, createRequire(filename), module, filename, fileURLToPath(new URL('.', files.bundle)));
      return (exports = module.exports);
    },
  };
}

/**
 * The bundle's text, and its code cache when `withCache`, read through one buffer: the bundle is
 * decoded out of it before the cache is read into it. Each file is ~1.2 MB, and the memory a
 * process touches for the first time costs a page fault per 4 KB (~11 µs each on the 2-core
 * benchmark VMs): a second buffer was ~300 faults, ~4 ms of every command and sweep worker.
 *
 * scripts/bundle.mjs writes the bundle in ASCII, which read as Latin-1 is the same text as a
 * one-byte string, in ~5 ms; decoding UTF-8 made a two-byte string in ~23 ms (Node 20's
 * readFileSync 'utf8', 1.9 MB). A bundle that is not ASCII (built otherwise) is decoded as UTF-8.
 */
function readBundle(files: BundleFiles, withCache: boolean): { text: string; cachedData: Buffer | undefined } {
  const bundle = openSync(files.bundle, 'r');
  let cache: number | undefined;
  try {
    if (withCache) cache = openSync(files.cache, 'r');
    const bundleBytes = fstatSync(bundle).size;
    const cacheBytes = cache === undefined ? 0 : fstatSync(cache).size;
    const buffer = Buffer.allocUnsafeSlow(Math.max(bundleBytes, cacheBytes));
    const source = buffer.subarray(0, readAll(bundle, buffer, bundleBytes));
    const text = source.toString(isAscii(source) ? 'latin1' : 'utf8');
    const cachedData = cache === undefined ? undefined : buffer.subarray(0, readAll(cache, buffer, cacheBytes));
    return { text, cachedData };
  } finally {
    closeSync(bundle);
    if (cache !== undefined) closeSync(cache);
  }
}

/** Reads up to `bytes` of the open file `fd` into the front of `buffer`; how many it read. */
function readAll(fd: number, buffer: Buffer, bytes: number): number {
  let done = 0;
  for (let n; done < bytes && (n = readSync(fd, buffer, done, bytes - done, done)) > 0;) done += n;
  return done;
}

/**
 * Whether the cache was written after the bundle (scripts/bundle.mjs writes them in that order).
 * V8 checks a cache against its source by length only: a bundle changed afterwards, to the same
 * length, would otherwise run the old bytecode. A cache older than its bundle is not used.
 */
export function cacheIsFresh(bundle: URL | string, cache: URL | string): boolean {
  if (!existsSync(cache)) return false;
  return statSync(cache).mtimeMs >= statSync(bundle).mtimeMs;
}

/** The command line bundle's exports, or undefined when there is no bundle. */
export function loadBundle(): CliBundle | undefined {
  return compileBundle()?.run();
}

/** A sweep worker thread's bundle's exports, or undefined when there is none. */
export function loadPointBundle(): PointBundle | undefined {
  return compileBundle<PointBundle>(true, POINT_BUNDLE)?.run();
}
