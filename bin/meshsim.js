#!/usr/bin/env node
// launch.js sets the process's V8 flags on import, then gives the command line's bundle compiled
// with V8's code cache (dist/bundle/cli.cjs and cli.cache, made by `npm run build`). Without a
// bundle (built with tsc alone) the compiled modules serve: the same code, which tests and the
// library API use directly.
import { loadBundle } from '#dist/cli/launch.js';

// A closed pipe (e.g. `meshsim validate … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const bundle = loadBundle();
/** @type {typeof import('#dist/cli/prestart.js')} */
const { prestart } = bundle ?? (await import('#dist/cli/prestart.js'));
// Sweep workers start loading the simulator now, beside this thread loading the command line.
prestart(process.argv);
/** @type {typeof import('#dist/cli/main.js')} */
const { main } = bundle ?? (await import('#dist/cli/main.js'));
process.exitCode = await main(process.argv);
// Every command has finished its work when main() returns; what keeps the event loop alive then is
// Node's module loader closing its file handles (fs/promises) and V8 finishing a GC cycle, ~10-15 ms
// of every run. Exit now, unless stdout or stderr (pipes are asynchronous on POSIX) still hold output.
if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
