/**
 * What the command line starts before it loads itself (bin/meshsim.js calls this first, then
 * imports main.ts): the worker threads of `meshsim sweep` and `meshsim capacity`. Each loads the
 * simulator (~0.2 s of CPU); started here, they load on the other cores while this thread loads
 * commander, reads and checks the scenario, instead of after. Only the plain forms are recognised
 * (`--workers N` or `--workers=N`, default one per CPU, no more than the runs that can go at
 * once); anything unusual (help, --k8s-job, an invalid count) starts nothing, and the
 * command starts its threads itself (pool.ts takeWorkers). Then the V8 flags that wait until the
 * process and its threads have started (v8-flags.ts V8_FLAGS_AFTER_START) are set, at once or by
 * the pool once its threads have. Imports nothing heavy.
 */
import { availableParallelism } from 'node:os';
import { parseShard, pointsInShard, setValueTexts } from '../sweep/grid-size.js';
import { startWorkersEarly, watchThreadStarts } from '../sweep/pool.js';
import { applyV8FlagsAfterStart, threadsStarting } from './v8-flags.js';

export function prestart(argv: string[]): void {
  watchThreadStarts(threadsStarting);
  const workers = earlyWorkers(argv);
  if (workers > 1) startWorkersEarly(workers);
  // Now, or once those workers have started (cli/v8-flags.ts).
  applyV8FlagsAfterStart();
}

/** How many worker threads to start now: 0 for none. */
function earlyWorkers(argv: string[]): number {
  const [command, ...args] = argv.slice(2);
  if (command !== 'sweep' && command !== 'capacity') return 0;
  if (args.some((a) => a === '--help' || a === '-h' || a === '--k8s-job' || a.startsWith('--k8s-job='))) return 0;
  const last = (name: string) => values(args, name).at(-1);
  let workers = Math.max(1, availableParallelism());
  if (last('--workers') !== undefined) workers = Number(last('--workers'));
  // No more threads than runs at once: a capacity search runs one value's seeds at a time; a sweep
  // has seeds × the values of each --set (those of its shard).
  const seeds = Number(last('--seeds') ?? '1');
  const runs = command === 'capacity' ? seeds : sweepPoints(seeds, values(args, '--set'), last('--shard'));
  workers = Math.min(workers, runs);
  return Number.isInteger(workers) && workers > 1 && workers <= 64 ? workers : 0;
}

/** Points of a sweep, or of its shard, counted as sweep/grid.ts numbers them (0 for an invalid --shard). */
function sweepPoints(seeds: number, sets: string[], shardFlag: string | undefined): number {
  const points = sets.reduce((n, s) => n * setValueTexts(s).length, seeds);
  if (shardFlag === undefined) return points;
  const shard = parseShard(shardFlag);
  return shard ? pointsInShard(points, shard) : 0;
}

/** Every value given to `name` (as `name V` or `name=V`), in order, as commander reads them. */
function values(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === name && i + 1 < args.length) out.push(args[i + 1] as string);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  }
  return out;
}
