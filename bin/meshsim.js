#!/usr/bin/env node
import { main } from '#dist/cli/main.js';

// A closed pipe (e.g. `meshsim validate … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv);
