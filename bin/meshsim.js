#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { prestart } from '#dist/cli/prestart.js';

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

// Sweep workers start loading the simulator now, beside this thread loading the command line.
prestart(process.argv);
const { main } = await import('#dist/cli/main.js');
process.exitCode = await main(process.argv);
