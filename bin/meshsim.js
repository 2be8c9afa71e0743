#!/usr/bin/env node
// CommonJS (bin/package.json), not an ES module: a command then starts without Node's ES module
// loader, ~5 ms of every start. dist/bundle/launch.cjs (src/cli/launch.ts, bundled) sets the
// process's V8 flags on load, then gives the command line's bundle compiled with V8's code cache
// (dist/bundle/cli.cjs and cli.cache, made by `npm run build`). Without a bundle (built with tsc
// alone) the compiled modules serve: the same code, which tests and the library API use directly.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

/**
 * process[name], made on first use as Node makes it, then handed to `setUp`. Returns a function
 * giving the stream if it was made. Making stdout or stderr costs ~3-4 ms when it is a pipe (Node
 * loads its net.Socket), which a command that prints nothing (`run --quiet`) need not pay.
 *
 * @param {'stdout' | 'stderr'} name
 * @param {(stream: NodeJS.WriteStream) => void} setUp
 * @returns {() => NodeJS.WriteStream | undefined}
 */
function whenMade(name, setUp) {
  const made = /** @type {PropertyDescriptor & { get: () => NodeJS.WriteStream }} */ (Object.getOwnPropertyDescriptor(process, name));
  /** @type {NodeJS.WriteStream | undefined} */
  let stream;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: made.enumerable,
    get() {
      if (!stream) setUp((stream = made.get.call(process)));
      return stream;
    },
  });
  return () => stream;
}
// A closed pipe (e.g. `meshsim validate … | head`) is not an error.
const stdoutIfMade = whenMade('stdout', (stdout) =>
  stdout.on('error', (/** @type {NodeJS.ErrnoException} */ e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  }),
);
const stderrIfMade = whenMade('stderr', () => {});

const launcher = join(__dirname, '..', 'dist', 'bundle', 'launch.cjs');

async function start() {
  /** @type {typeof import('#dist/cli/launch.js')} */
  const launch = existsSync(launcher) ? require(launcher) : await import('../dist/cli/launch.js');
  const bundle = launch.loadBundle();
  /** @type {typeof import('#dist/cli/prestart.js')} */
  const { prestart } = bundle ?? (await import('../dist/cli/prestart.js'));
  // Sweep workers start loading the simulator now, beside this thread loading the command line;
  // then the V8 flags that wait until every thread has started (src/cli/v8-flags.ts).
  prestart(process.argv);
  /** @type {typeof import('#dist/cli/main.js')} */
  const { main } = bundle ?? (await import('../dist/cli/main.js'));
  process.exitCode = await main(process.argv);
  // Every command has finished its work when main() returns; what keeps the event loop alive then is
  // Node's module loader closing its file handles (fs/promises) and V8 finishing a GC cycle, ~10-15 ms
  // of every run. Exit now, unless stdout or stderr (pipes are asynchronous on POSIX) still hold output.
  if (!stdoutIfMade()?.writableLength && !stderrIfMade()?.writableLength) process.exit();
}

void start();
