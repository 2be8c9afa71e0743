/**
 * What the command line starts before it loads itself (bin/meshsim.js calls this first, then
 * imports main.ts): the worker threads of `meshsim sweep`. Each loads the simulator (~0.2 s of
 * CPU); started here, they load on the other cores while this thread loads commander, reads and
 * checks the scenario, instead of after. Only the plain forms are recognised (`sweep FILE …
 * --workers N` or `--workers=N`, default one per CPU); anything unusual (help, --k8s-job, an
 * invalid count) starts nothing, and the sweep command starts its workers itself (pool.ts
 * takeWorkers). Imports nothing heavy.
 */
import { availableParallelism } from 'node:os';
import { startWorkersEarly } from '../sweep/pool.js';

export function prestart(argv: string[]): void {
  const args = argv.slice(2);
  if (args[0] !== 'sweep') return;
  if (args.some((a) => a === '--help' || a === '-h' || a === '--k8s-job' || a.startsWith('--k8s-job='))) return;
  let workers = Math.max(1, availableParallelism());
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--workers') workers = Number(args[i + 1]);
    else if (a.startsWith('--workers=')) workers = Number(a.slice('--workers='.length));
  }
  if (Number.isInteger(workers) && workers > 1 && workers <= 64) startWorkersEarly(workers);
}
