/** `meshsim sweep` and `meshsim merge`: a grid of runs, optionally sharded across machines. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../config/diagnostics.js';
import { loadScenario } from '../analysis/load.js';
import type { PathSegment } from '../config/yaml-source.js';
import { stableJson, writeAll } from '../report/write.js';
import { gridPoints, parseSet, type Axis } from '../sweep/grid.js';
import { inShard, parseShard } from '../sweep/grid-size.js';
import { k8sJobManifests } from '../sweep/k8s-job.js';
import { MESHSIM_VERSION } from '../report/results.js';
import { mergeSweeps, runPoints, sweepJson, type SweepJson } from '../sweep/sweep.js';
import { closeEarlyWorkers, takeWorkers, type PointWorkers } from '../sweep/pool.js';
import { EXIT, flagProblem, parseOverrides, printWarnings, reportFailure } from './common.js';
import { progressBar } from './progress.js';

export interface SweepOptions {
  set?: string[];
  seeds?: string;
  workers?: string;
  shard?: string;
  duration?: string;
  out?: string;
  quiet?: boolean;
  k8sJob?: string;
  k8sShards?: string;
  k8sImage?: string;
  k8sNamespace?: string;
}

export async function sweepCommand(file: string, opts: SweepOptions): Promise<number> {
  let pool: PointWorkers | undefined;
  try {
    const axes: Axis[] = (opts.set ?? []).map((s) => {
      const a = parseSet(s);
      if (typeof a === 'string') throw flagProblem('--set', a);
      return a;
    });
    const k = Number(opts.seeds ?? '1');
    if (!Number.isInteger(k) || k < 1 || k > 1000) throw flagProblem('--seeds', `expected a count from 1 to 1000, got "${opts.seeds}"`);
    const workers = opts.workers === undefined ? Math.max(1, availableParallelism()) : Number(opts.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw flagProblem('--workers', `expected 1 to 64, got "${opts.workers}"`);
    const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
    if (opts.shard !== undefined && !shard) throw flagProblem('--shard', `expected I/N with 1 <= I <= N, got "${opts.shard}"`);
    const { durationUs } = parseOverrides({ duration: opts.duration });
    const loaded = loadScenario(file);
    printWarnings(loaded.warnings);
    const seeds = Array.from({ length: k }, (_, i) => loaded.scenario.seed + i);
    const all = gridPoints(axes, seeds);
    if (opts.k8sJob !== undefined) return writeK8sJob(file, loaded.scenario.name, all.length, opts);
    const mine = shard ? all.filter((p) => inShard(p, shard)) : all;
    // The workers bin/meshsim.js started before loading the command line (cli/prestart.ts), or new ones.
    pool = takeWorkers(Math.min(workers, mine.length));
    const text = readFileSync(file, 'utf8');
    const paths: Record<string, PathSegment[]> = Object.fromEntries(axes.map((a) => [a.path, a.segments]));
    const bar = await progressBar({ label: 'sweep', total: mine.length, unit: 'points', quiet: opts.quiet });
    let points;
    try {
      points = await runPoints(
        mine.map((point) => ({ file, text, paths, point, durationUs })),
        pool,
        (done, _total, events) => bar.update(done, events),
        { last: true },
      );
    } finally {
      bar.stop();
    }
    const sweep = sweepJson(loaded.scenario.name, axes, seeds, all.length, shard ?? null, points);
    const out = opts.out ?? join('reports', `${loaded.scenario.name}-sweep${shard ? `-${shard.index}of${shard.count}` : ''}`);
    // The report code (and Vega, when there is a chart) loads only now, after the points ran.
    const { sweepHtml } = await import('../sweep/html.js');
    const files = writeAll(out, { 'sweep.json': stableJson(sweep), 'sweep.html': await sweepHtml(sweep) });
    if (!opts.quiet) process.stdout.write(`${formatSweep(sweep)}\n\n${files.map((f) => `  wrote ${f}`).join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  } finally {
    await pool?.close();
    closeEarlyWorkers();
  }
}

/** `--k8s-job DIR`: the sweep as an Indexed Job and its merge step, written instead of run. */
function writeK8sJob(file: string, name: string, points: number, opts: SweepOptions): number {
  const shards = opts.k8sShards === undefined ? Math.min(points, 10) : Number(opts.k8sShards);
  if (!Number.isInteger(shards) || shards < 1 || shards > points)
    throw flagProblem('--k8s-shards', `expected 1 to ${points} (the number of points), got "${opts.k8sShards}"`);
  const istioFiles = ((parseYaml(readFileSync(file, 'utf8')) as { spec?: { istioFiles?: string[] } }).spec?.istioFiles ?? []).map((f) => ({
    path: f,
    text: readFileSync(join(dirname(file), f), 'utf8'),
  }));
  // The sweep's own flags go to every shard unchanged.
  const sweepArgs = [
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
    ...(opts.seeds !== undefined ? ['--seeds', opts.seeds] : []),
    ...(opts.duration !== undefined ? ['--duration', opts.duration] : []),
  ];
  const files = k8sJobManifests({
    scenarioName: name,
    scenarioFile: file,
    scenarioText: readFileSync(file, 'utf8'),
    istioFiles,
    sweepArgs,
    shards,
    image: opts.k8sImage ?? `meshsim:${MESHSIM_VERSION}`,
    namespace: opts.k8sNamespace,
    cpu: '1',
    memory: '1Gi',
    storage: '1Gi',
  });
  const written = writeAll(opts.k8sJob as string, { ...files });
  process.stdout.write(
    `meshsim sweep · ${name} · ${points} points in ${shards} shards as an Indexed Job\n\n${written.map((f) => `  wrote ${f}`).join('\n')}\n\nnext: see ${join(opts.k8sJob as string, 'README.md')}\n`,
  );
  return EXIT.ok;
}

export async function mergeCommand(dirs: string[], opts: { out?: string }): Promise<number> {
  try {
    if (!opts.out) throw flagProblem('--out', 'merge needs --out DIR');
    const parts = dirs.map((dir) => {
      const file = join(dir, 'sweep.json');
      try {
        return { file, sweep: JSON.parse(readFileSync(file, 'utf8')) as SweepJson };
      } catch (e) {
        throw new InputError([{ file, line: 1, col: 1, severity: 'error', message: `cannot read sweep results: ${(e as Error).message}` }]);
      }
    });
    const merged = mergeSweeps(parts);
    const { sweepHtml } = await import('../sweep/html.js');
    const files = writeAll(opts.out, { 'sweep.json': stableJson(merged), 'sweep.html': await sweepHtml(merged) });
    process.stdout.write(`${formatSweep(merged)}\n\n${files.map((f) => `  wrote ${f}`).join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}

function formatSweep(s: SweepJson): string {
  const axes = s.axes.map((a) => a.path);
  const head = [...axes, 'seed', 'requests', 'errors', 'p50 ms', 'p99 ms', 'cores', '$/month'];
  const rows = s.points.map((p) => [
    ...axes.map((a) => String(p.params[a])),
    String(p.seed),
    String(p.requests.total),
    `${(100 * p.requests.error_rate).toFixed(2)}%`,
    p.latency_ms.p50.toFixed(3),
    p.latency_ms.p99.toFixed(3),
    p.resources.cpu_cores.toFixed(3),
    p.resources.monthly_cost_usd.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < axes.length ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  const missing = s.total_points - s.points.length;
  return [
    `meshsim sweep · ${s.scenario} · ${s.points.length}/${s.total_points} points${missing ? ` (${missing} in other shards)` : ''}`,
    '',
    fmt(head),
    ...rows.map(fmt),
  ].join('\n');
}
