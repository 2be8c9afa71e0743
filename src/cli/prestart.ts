/**
 * What the command line starts before it loads itself (bin/meshsim.js calls this first, then
 * imports main.ts): the worker threads of `meshsim sweep` and `meshsim capacity`. Each loads the
 * simulator (~0.2 s of CPU); started here, they load on the other cores while this thread loads
 * commander, reads and checks the scenario, instead of after. Only the plain forms are recognised
 * (`--workers N` or `--workers=N`, default one per CPU; capacity runs at most `--seeds` at once,
 * default 1); anything unusual (help, --k8s-job, an invalid count) starts nothing, and the
 * command starts its threads itself (pool.ts takeWorkers). Imports nothing heavy.
 */
import { availableParallelism } from 'node:os';
import { startWorkersEarly } from '../sweep/pool.js';

export function prestart(argv: string[]): void {
  const [command, ...args] = argv.slice(2);
  if (command !== 'sweep' && command !== 'capacity') return;
  if (args.some((a) => a === '--help' || a === '-h' || a === '--k8s-job' || a.startsWith('--k8s-job='))) return;
  let workers = Math.max(1, availableParallelism());
  if (flag(args, '--workers') !== undefined) workers = Number(flag(args, '--workers'));
  // A capacity search runs one value's seeds at a time.
  if (command === 'capacity') workers = Math.min(workers, Number(flag(args, '--seeds') ?? '1'));
  if (Number.isInteger(workers) && workers > 1 && workers <= 64) startWorkersEarly(workers);
}

/** The last value given to `name` (as `name V` or `name=V`), as commander reads it. */
function flag(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === name) value = args[i + 1];
    else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
  }
  return value;
}
