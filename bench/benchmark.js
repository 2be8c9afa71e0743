// meshsim benchmarks: `npm run bench` (builds, then `node --expose-gc bench/benchmark.js`).
//
// Prints numbers, asserts nothing. Every line is `name ..... value unit (target …)`; the same
// numbers go to bench/out/results.json. Usage:
//
//   node --expose-gc bench/benchmark.js            all benchmarks
//   node --expose-gc bench/benchmark.js mm4 kernel only those whose id is, or name contains, a word
//
// Adding a benchmark: write an async function returning a number (or {value, detail}) and add it
// to BENCHMARKS at the bottom ({id, name, fn, unit, target}); main() hands each to
// bench(name, fn, {unit, target}). Throwing from fn prints "not available: <message>" for that
// line and the run goes on. Ids: kernel-1k, kernel-100k, mm4, three-tier, memory-none,
// memory-sidecar.
//
// Wall-clock timing uses process.hrtime.bigint(); simulations themselves never see the wall clock.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator } from '#dist/kernel/simulator.js';
import { loadScenario } from '#dist/analysis/load.js';
import { simulate } from '#dist/sim/simulate.js';
import { buildResults } from '#dist/report/results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = join(HERE, 'scenarios');
const OUT = join(HERE, 'out');

// ───────────────────────────── harness ─────────────────────────────

const NAME_WIDTH = 58;

/** @typedef {{ min?: number, max?: number }} Target */
/** @typedef {{ value: number, detail?: string }} Measured */
/** @typedef {() => Promise<number | Measured>} BenchFn */
/** @typedef {{ id: string, name: string, fn: BenchFn, unit: string, target?: Target }} Benchmark */
/** @typedef {import('#dist/sim/simulate.js').RunOptions} RunOptions */
/** @typedef {{ wall: number, requests: number, events: number, results: import('#dist/report/results.js').ResultsJson, bytes?: number }} Run */
/** @typedef {(file: string, options?: RunOptions) => Run} Runner */
/** @typedef {{ name: string, value: number | null, unit: string, target: Target | null, meets_target: boolean | null, detail?: string | null, error?: string }} BenchResult */

/** @type {BenchResult[]} */
const results = [];

/** Seconds since `start` (a process.hrtime.bigint() value). @param {bigint} start */
const secondsSince = (start) => Number(process.hrtime.bigint() - start) / 1e9;

/** Full GC between measurements when node runs with --expose-gc (npm run bench does). */
const gc = () => globalThis.gc?.();

/** @param {number} value @param {string} unit */
function formatValue(value, unit) {
  if (unit === 'MiB') return value.toFixed(1);
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** @param {Target | undefined} target @param {string} unit */
function formatTarget(target, unit) {
  if (!target) return '';
  if (target.min !== undefined) return `(target >= ${formatValue(target.min, unit)} ${unit})`;
  if (target.max !== undefined) return `(target <= ${formatValue(target.max, unit)} ${unit})`;
  return '';
}

/** @param {number} value @param {Target | undefined} target */
function meets(value, target) {
  if (!target) return undefined;
  if (target.min !== undefined) return value >= target.min;
  if (target.max !== undefined) return value <= target.max;
  return undefined;
}

/**
 * Runs one benchmark and prints one aligned line.
 * fn: async () => number | {value: number, detail?: string}
 * opts: {unit: string, target?: {min?: number, max?: number}}
 * @param {string} name @param {BenchFn} fn @param {{ unit: string, target?: Target }} opts
 */
async function bench(name, fn, { unit, target } = { unit: '' }) {
  const label = `${name} `.padEnd(NAME_WIDTH, '.');
  try {
    gc();
    const out = await fn();
    const { value, detail } = typeof out === 'number' ? { value: out, detail: undefined } : out;
    const ok = meets(value, target);
    const mark = ok === undefined ? '' : ok ? ' ok' : ' BELOW TARGET';
    const tail = [formatTarget(target, unit), detail ? `[${detail}]` : ''].filter(Boolean).join(' ');
    console.log(`${label} ${formatValue(value, unit)} ${unit}${tail ? ` ${tail}` : ''}${mark}`);
    results.push({ name, value, unit, target: target ?? null, meets_target: ok ?? null, detail: detail ?? null });
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    console.log(`${label} not available: ${message}`);
    results.push({ name, value: null, unit, target: target ?? null, meets_target: null, error: message });
  }
}

/**
 * Best (highest) of `reps` measurements, after `warmups` unmeasured runs.
 * @param {number} reps @param {number} warmups @param {() => number} measure
 */
function bestOf(reps, warmups, measure) {
  for (let i = 0; i < warmups; i++) measure();
  let best = -Infinity;
  for (let i = 0; i < reps; i++) {
    gc();
    best = Math.max(best, measure());
  }
  return best;
}

// ───────────────────────────── (a) kernel: hold model ─────────────────────────────

/** Mulberry32: a tiny deterministic uniform generator in [0, 1), cheap enough not to dominate. @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The classic hold model: `pending` events in the queue; each handler schedules one successor at
 * now + Exp(mean), so the queue size stays constant. run(until) is sized for about `events`
 * events (the queue advances pending/mean events per unit of simulated time); the rate reported
 * uses the count the Simulator actually processed.
 * @param {number} pending @param {number} events
 */
function holdModel(pending, events) {
  const MEAN = 1;
  const sim = new Simulator();
  const u = mulberry32(12345);
  const hold = () => {
    sim.schedule(-MEAN * Math.log(1 - u()), hold, undefined);
  };
  for (let i = 0; i < pending; i++) sim.schedule(-MEAN * Math.log(1 - u()), hold, undefined);
  const until = (events * MEAN) / pending;
  const start = process.hrtime.bigint();
  sim.run(until);
  const wall = secondsSince(start);
  if (sim.pending !== pending) throw new Error(`hold model lost events: ${sim.pending} pending, expected ${pending}`);
  return sim.processed / wall;
}

/** @param {number} pending @param {number} events @returns {BenchFn} */
const kernelHold = (pending, events) => async () => {
  const value = bestOf(3, 1, () => holdModel(pending, events));
  return { value, detail: `${(events / 1e6).toFixed(0)}M events, best of 3` };
};

// ───────────────────────────── (b, d) scenarios through the real run path ─────────────────────────────

/**
 * What `meshsim run` does minus writing files: loadScenario → simulate → buildResults.
 * Returns simulated end-user requests (results.requests.total) per wall second.
 * @param {string} file @param {RunOptions} [options] @returns {Run}
 */
function runScenario(file, options = {}) {
  const start = process.hrtime.bigint();
  const { scenario } = loadScenario(file);
  const state = simulate(scenario, options);
  const results = buildResults(state);
  const wall = secondsSince(start);
  return { wall, requests: results.requests.total, events: results.simulated.events, results };
}

/**
 * Everything `meshsim run` computes, still without writing files: the observers for metrics,
 * traces and time series during the run, then rendering metrics.prom, metrics.om, traces.json and
 * report.html. Loaded lazily so the other benchmarks run even if report/outputs.js changes.
 * @returns {Promise<Runner>}
 */
async function fullRunner() {
  const { runObservers, renderRunFiles } = await import('#dist/report/outputs.js');
  const epoch = { iso: '2026-01-01T00:00:00Z', ms: Date.parse('2026-01-01T00:00:00Z') };
  /** @type {Runner} */
  const run = (file, options = {}) => {
    const start = process.hrtime.bigint();
    const { scenario } = loadScenario(file);
    const observers = runObservers(scenario, options);
    const state = simulate(scenario, { ...options, observers: observers.list });
    const results = buildResults(state);
    const files = renderRunFiles(state, results, observers, epoch);
    const wall = secondsSince(start);
    const bytes = Object.values(files).reduce((n, text) => n + text.length, 0);
    return { wall, requests: results.requests.total, events: results.simulated.events, results, bytes };
  };
  return run;
}

/**
 * Simulated end-user requests per wall second, best of 3 after one warm-up run of
 * `warmupDurationUs` (a short run to get the hot paths compiled). `runner` is runScenario, or a
 * promise of another function with the same signature.
 * @param {string} file @param {number} warmupDurationUs @param {Runner | Promise<Runner>} [runner]
 * @returns {BenchFn}
 */
const scenarioRate =
  (file, warmupDurationUs, runner = runScenario) =>
  async () => {
    const run = await runner;
    run(file, { durationUs: warmupDurationUs });
    let r = run(file);
    for (let i = 1; i < 3; i++) {
      gc();
      const next = run(file);
      if (next.requests / next.wall > r.requests / r.wall) r = next;
    }
    return {
      value: r.requests / r.wall,
      detail: `${r.requests.toLocaleString('en-US')} requests, ${(r.events / r.wall / 1e6).toFixed(2)}M events/s, ${r.wall.toFixed(2)} s, best of 3`,
    };
  };

// ───────────────────────────── (d) memory of a big cluster ─────────────────────────────

/**
 * Memory is measured in a child process so earlier benchmarks do not inflate it. The child runs
 * the scenario once and samples process.memoryUsage() before, during and after the run; "during"
 * means between slices of simulated time (see sampledRun). It also reports the OS peak RSS
 * (getrusage maxrss), which catches peaks between samples.
 */
/** @typedef {{ rss_mib: number, heap_used_mib: number, max_rss_mib: number, base_rss_mib: number, pods: number, requests: number, wall_s: number }} MemoryRun */
/** @type {Map<string, MemoryRun | { error: string }>} */
const memoryRuns = new Map();
/** @param {string} file @param {import('#dist/config/model.js').MeshMode} mode @returns {MemoryRun} */
function memoryOf(file, mode) {
  const key = `${file}|${mode}`;
  if (!memoryRuns.has(key)) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory-child', file, mode], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const last = child.stdout.trim().split('\n').pop() ?? '';
    /** @type {MemoryRun | { error: string }} */
    let parsed;
    try {
      parsed = JSON.parse(last);
    } catch {
      parsed = { error: (child.stderr || last || `child exited with ${child.status}`).trim().split('\n')[0] ?? '' };
    }
    memoryRuns.set(key, parsed);
  }
  const m = memoryRuns.get(key);
  if (!m) throw new Error(`no memory run for ${key}`);
  if ('error' in m) throw new Error(m.error);
  return m;
}

const MIB = 1024 * 1024;

/**
 * Child-process side of memoryOf. To sample memory mid-run, Simulator.prototype.run is wrapped
 * (in this child process only) so one run(until) becomes a series of run(t_i) slices with the
 * same outcome: nothing is scheduled between slices, so the event order is unchanged.
 * @param {string} file @param {import('#dist/config/model.js').MeshMode} mode
 */
function memoryChild(file, mode) {
  const SLICES = 50;
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const run = Simulator.prototype.run;
  Simulator.prototype.run = function sampledRun(until = Infinity) {
    if (!Number.isFinite(until)) return run.call(this, until);
    const from = this.now;
    for (let i = 1; i <= SLICES; i++) {
      run.call(this, i === SLICES ? until : from + ((until - from) * i) / SLICES);
      sample();
    }
  };
  try {
    gc();
    sample();
    const baseRss = process.memoryUsage().rss;
    const r = runScenario(file, { mode });
    sample();
    const pods = r.results.services ? Object.values(r.results.services).reduce((n, s) => n + Object.keys(s.pods ?? {}).length, 0) : 0;
    console.log(
      JSON.stringify({
        rss_mib: rss / MIB,
        heap_used_mib: heap / MIB,
        max_rss_mib: process.resourceUsage().maxRSS / 1024,
        base_rss_mib: baseRss / MIB,
        pods,
        requests: r.requests,
        wall_s: r.wall,
      }),
    );
  } catch (e) {
    console.log(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }));
  }
}

/**
 * @param {string} file @param {import('#dist/config/model.js').MeshMode} mode @param {'rss_mib' | 'heap_used_mib'} field
 * @returns {BenchFn}
 */
const memoryBench = (file, mode, field) => async () => {
  const m = memoryOf(file, mode);
  const detail =
    field === 'rss_mib'
      ? `${m.pods} pods, OS peak RSS ${m.max_rss_mib.toFixed(1)} MiB, ${m.requests.toLocaleString('en-US')} requests in ${m.wall_s.toFixed(2)} s`
      : `${m.pods} pods, sampled 50x during the run`;
  return { value: m[field], detail };
};

// ───────────────────────────── registry ─────────────────────────────

const MM4 = join(SCENARIOS, 'mm4.yaml');
const THREE_TIER = join(SCENARIOS, 'three-tier-sidecar.yaml');
const CLUSTER_1000 = join(SCENARIOS, 'cluster-1000.yaml');

/**
 * Every benchmark, in order. To add one: write `async () => number | {value, detail}` above and add
 * a line here. `id` is what the command-line filter matches (as does any word of the name).
 * @type {Benchmark[]}
 */
const BENCHMARKS = [
  { id: 'kernel-1k', name: 'kernel hold model, 1,000 pending', fn: kernelHold(1_000, 8_000_000), unit: 'events/s', target: { min: 4e6 } },
  { id: 'kernel-100k', name: 'kernel hold model, 100,000 pending', fn: kernelHold(100_000, 2_000_000), unit: 'events/s' },
  { id: 'mm4', name: 'M/M/4 rho=0.8, mode none (run path)', fn: scenarioRate(MM4, 50e6), unit: 'requests/s', target: { min: 4e5 } },
  {
    id: 'mm4-full',
    name: 'M/M/4 incl. metrics, traces, report rendering',
    fn: async () => scenarioRate(MM4, 50e6, await fullRunner())(),
    unit: 'requests/s',
  },
  {
    id: 'three-tier',
    name: 'three-tier, mode sidecar (run path)',
    fn: scenarioRate(THREE_TIER, 10e6),
    unit: 'requests/s',
    target: { min: 5e4 },
  },
  { id: 'memory-none', name: 'cluster 1,000 pods, mode none: peak RSS', fn: memoryBench(CLUSTER_1000, 'none', 'rss_mib'), unit: 'MiB' },
  {
    id: 'memory-none',
    name: 'cluster 1,000 pods, mode none: peak heapUsed',
    fn: memoryBench(CLUSTER_1000, 'none', 'heap_used_mib'),
    unit: 'MiB',
  },
  {
    id: 'memory-sidecar',
    name: 'cluster 1,000 pods, mode sidecar: peak RSS',
    fn: memoryBench(CLUSTER_1000, 'sidecar', 'rss_mib'),
    unit: 'MiB',
  },
  {
    id: 'memory-sidecar',
    name: 'cluster 1,000 pods, mode sidecar: peak heapUsed',
    fn: memoryBench(CLUSTER_1000, 'sidecar', 'heap_used_mib'),
    unit: 'MiB',
  },
];

/** @param {string[]} filters */
async function main(filters) {
  console.log(
    `meshsim benchmarks · node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length} · ${os.platform()}/${os.arch()}`,
  );
  if (!globalThis.gc) console.log('(run with node --expose-gc for a full GC between measurements)');
  console.log('');
  const wanted = (/** @type {Benchmark} */ b) => filters.some((f) => b.id === f || b.name.toLowerCase().includes(f.toLowerCase()));
  const selected = filters.length ? BENCHMARKS.filter(wanted) : BENCHMARKS;
  if (selected.length === 0)
    console.log(`no benchmark matches ${filters.join(' ')}; ids: ${[...new Set(BENCHMARKS.map((b) => b.id))].join(', ')}`);
  // Each benchmark runs in a fresh process, so one does not inherit another's JIT and heap state.
  for (const b of selected) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--one', b.name], { encoding: 'utf8' });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (child.status !== 0 || !line) {
      await bench(
        b.name,
        async () => {
          throw new Error((child.stderr || 'benchmark process failed').trim().split('\n').pop());
        },
        { unit: b.unit, target: b.target },
      );
      continue;
    }
    const r = JSON.parse(line);
    await bench(b.name, async () => (r.error ? Promise.reject(new Error(r.error)) : { value: r.value, detail: r.detail ?? undefined }), {
      unit: b.unit,
      target: b.target,
    });
  }
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, 'results.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        platform: `${os.platform()}/${os.arch()}`,
        measured_at: new Date().toISOString(),
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${file}`);
}

/** Child mode: run the one benchmark named and print its result as a JSON line. @param {string} name */
async function one(name) {
  const b = BENCHMARKS.find((x) => x.name === name);
  try {
    if (!b) throw new Error(`no benchmark named ${name}`);
    gc();
    const out = await b.fn();
    const { value, detail } = typeof out === 'number' ? { value: out, detail: undefined } : out;
    console.log(JSON.stringify({ value, detail: detail ?? null }));
  } catch (e) {
    console.log(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }));
  }
}

const args = process.argv.slice(2);
/** The i-th command-line argument, which the parent process always passes. @param {number} i */
const arg = (i) => {
  const a = args[i];
  if (a === undefined) throw new Error(`${args[0]}: argument ${i} missing`);
  return a;
};
if (args[0] === '--memory-child') memoryChild(arg(1), /** @type {import('#dist/config/model.js').MeshMode} */ (arg(2)));
else if (args[0] === '--one') await one(arg(1));
else await main(args);
