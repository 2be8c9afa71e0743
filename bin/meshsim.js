#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow to up to 4x what survived the last full GC when GC time is
// low, which a simulation's steady stream of short-lived objects triggers: a run whose live heap is
// ~25 MB peaked near 330 MB of RSS. Growth by at most 2x keeps it under 200 MB at no measurable CPU
// cost (README "Performance"). Read at every full GC, so setting it here, before any work, holds.
setFlagsFromString('--heap-growing-percent=100');

// A closed pipe (e.g. `meshsim validate … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// The bundle `npm run build` makes (scripts/bundle.mjs) loads in a fraction of the time the ~250
// compiled modules it is made of take; without it (built with tsc alone) the modules serve. Its
// files are named through variables so the type checker reads the modules' declarations instead.
const bundle = (/** @type {string} */ file) => new URL(`../dist/bundle/${file}`, import.meta.url).href;
const bundled = existsSync(new URL(bundle('main.js')));
/** @type {typeof import('#dist/cli/prestart.js')} */
const { prestart } = bundled ? await import(bundle('prestart.js')) : await import('#dist/cli/prestart.js');
// Sweep workers start loading the simulator now, beside this thread loading the command line.
prestart(process.argv);
/** @type {typeof import('#dist/cli/main.js')} */
const { main } = bundled ? await import(bundle('main.js')) : await import('#dist/cli/main.js');
process.exitCode = await main(process.argv);
// Every command has finished its work when main() returns; what keeps the event loop alive then is
// Node's module loader closing its file handles (fs/promises) and V8 finishing a GC cycle, ~10-15 ms
// of every run. Exit now, unless stdout or stderr (pipes are asynchronous on POSIX) still hold output.
if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
