// meshsim benchmarks: `npm run bench` (builds, then `node --expose-gc bench/benchmark.js`).
//
// Prints numbers and ratios, asserts nothing. Every line is `name ..... value unit (target …)`;
// the same numbers go to bench/out/results.json. Usage:
//
//   npm run bench                                   everything (several minutes; the 10M run is the longest)
//   npm run bench -- --quick                        smaller runs, no 10M-request run (about a minute)
//   node --expose-gc bench/benchmark.js mm4 kernel  only those whose id is, or name contains, a word
//
// Kinds of benchmark: micro-benchmarks under the `benchmark` package (bench/lib/micro.js);
// simulate() in-process (bench/lib/sim-rates.js); the peer anchor, the same M/M/4 model written
// with SimJS (bench/lib/simjs-mm4.js); whole `meshsim` runs as fresh processes under
// /usr/bin/time -v (bench/lib/whole-run.js); the Python peer, the same model with SimPy 3 in a
// fresh /usr/bin/python3 process (bench/lib/simpy-mm4.js, bench/lib/simpy_mm4.py). Every
// benchmark runs in its own fresh process, under the V8 flags a `meshsim` process sets
// (src/cli/v8-flags.ts), so simulate() is measured as the command line runs it and its JavaScript
// peer SimJS under the same V8.
//
// Adding a benchmark: write an async function `(quick) => number | {value, detail}` and add it to
// BENCHMARKS at the bottom ({id, name, fn, unit, target}). A line with `derive` instead of `fn`
// is computed from earlier lines' values (ratios). A function that measures several lines at once
// returns the others' as `also: {id: {value, detail}}`, and those lines name it in `measuredBy`.
// Throwing prints "not available: <message>" for that line and the run goes on.
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
import { histogramMicro, kernelMicro, lbMicro, routeMatchMicro } from './lib/micro.js';
import { prng } from '../test/kernel/prng.js';
import { bigClusterYaml, clusterBuild, simulationRate } from './lib/sim-rates.js';
import { simJsMm4 } from './lib/simjs-mm4.js';
import { MM4_THEORY, simPyMm4 } from './lib/simpy-mm4.js';
import {
  bestWall,
  check,
  EXTRA_CA_CERTS,
  meshsim,
  meshsimTogether,
  requestsOf,
  runAllOutputs,
  runResultsOnly,
  scratch,
  timed,
} from './lib/whole-run.js';
import { applyV8Flags, applyV8FlagsAfterStart } from '#dist/cli/v8-flags.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = join(HERE, 'scenarios');
const OUT = join(HERE, 'out');

// ───────────────────────────── harness ─────────────────────────────

const NAME_WIDTH = 58;

/** @typedef {{ min?: number, max?: number }} Target */
/** @typedef {{ value: number, detail?: string, also?: Record<string, Measured | { error: string }> }} Measured */
/** @typedef {(quick?: boolean) => Promise<number | Measured>} BenchFn */
/** @typedef {{ id: string, name: string, fn?: BenchFn, derive?: (values: Map<string, number>) => Measured, measuredBy?: string, unit: string, target?: Target, full?: boolean }} Benchmark */
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
  const u = prng(12345);
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

// ───────────────────────────── new: anchors, whole runs, micro ─────────────────────────────

const MM4 = join(SCENARIOS, 'mm4.yaml');
const THREE_TIER = join(SCENARIOS, 'three-tier-sidecar.yaml');
const CLUSTER_1000 = join(SCENARIOS, 'cluster-1000.yaml');

/** --quick: smaller sizes everywhere; set by main() and passed to children. */
let QUICK = false;

const fmtN = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');

/** meshsim's simulate() on the M/M/4 model (what SimJS is compared with). */
const mm4Simulation = async () => {
  const durationS = QUICK ? 200 : 1000;
  const r = await simulationRate(MM4, { durationUs: durationS * 1e6, warmupUs: 50e6 });
  return { value: r.requests / r.wall, detail: `${fmtN(r.requests)} requests in ${r.wall.toFixed(2)} s, simulate() only, best of 3` };
};

/** The same model in SimJS, same process kind, same count of simulated seconds. */
const mm4SimJs = async () => {
  const durationS = QUICK ? 200 : 1000;
  simJsMm4(50);
  /** @type {{ requests: number, wall: number } | undefined} */
  let best;
  for (let i = 0; i < 3; i++) {
    gc();
    const r = simJsMm4(durationS);
    if (!best || r.requests / r.wall > best.requests / best.wall) best = r;
  }
  if (!best) throw new Error('no repetitions');
  return {
    value: best.requests / best.wall,
    detail: `${fmtN(best.requests)} requests in ${best.wall.toFixed(2)} s, sim.simulate() only, best of 3`,
  };
};

/** Three-tier sidecar simulate(): requests/s with the GC share as detail. */
const threeTierSim = (/** @type {'rate' | 'gc'} */ field) => async () => {
  const r = await simulationRate(THREE_TIER, { durationUs: (QUICK ? 30 : 120) * 1e6, warmupUs: 10e6 });
  const gcShare = (100 * r.gcS) / r.wall;
  if (field === 'gc') return { value: gcShare, detail: `${r.gcS.toFixed(2)} s of GC in ${r.wall.toFixed(2)} s (perf_hooks gc entries)` };
  return {
    value: r.requests / r.wall,
    detail: `${fmtN(r.requests)} requests, ${(r.events / r.wall / 1e6).toFixed(2)}M events/s, ${(r.events / r.requests).toFixed(1)} events/request, GC ${gcShare.toFixed(0)}%`,
  };
};

/** Simulated seconds of the 1M-request M/M/4 whole runs: 320/s × 3,125 s (--quick: ~100k). */
const mm4WholeSeconds = () => (QUICK ? 313 : 3125);

/**
 * `mean response X ms (wait Y ms)` beside M/M/4 theory, so the peers are seen to simulate the same model.
 * @param {number | undefined} responseMs @param {number} [waitMs]
 */
const mm4Means = (responseMs, waitMs) => {
  const wait = waitMs === undefined ? '' : ` (wait ${waitMs.toFixed(2)} ms)`;
  const theory = `M/M/4 theory ${MM4_THEORY.meanResponseMs.toFixed(2)} ms (wait ${MM4_THEORY.meanWaitMs.toFixed(2)} ms)`;
  return `mean response ${responseMs?.toFixed(2) ?? '?'} ms${wait}, ${theory}`;
};

/**
 * Whole-process peers run WHOLE_RUNS times, round by round (see mm4WholePair, sweepRounds): each
 * is rated by its median run (one fresh process on a noisy machine can be 10% off either way),
 * and the ratio between two by the median of the rounds' ratios (pairedRatio).
 */
const WHOLE_RUNS = 5;

/**
 * The middle item of `items` by `key` (the upper one of an even count).
 * @template T
 * @param {T[]} items @param {(x: T) => number} key
 * @returns {T}
 */
const middleBy = (items, key) => /** @type {T} */ ([...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]);

/**
 * The run of median wall time among `runs`, with every wall time for the detail.
 * @template {{ wall: number }} R
 * @param {R[]} runs
 * @returns {R & { walls: string }}
 */
const medianOf = (runs) => {
  const walls = runs.map((x) => x.wall).sort((a, b) => a - b);
  return { ...middleBy(runs, (x) => x.wall), walls: `median of ${runs.length}: ${walls.map((w) => w.toFixed(2)).join(', ')} s` };
};

/**
 * A ratio between two ways of running, from runs made round by round: the median of each round's
 * ratio, so that each ratio compares runs made seconds apart (the two ways' own medians can come
 * from rounds minutes apart, and this machine's speed drifts by tens of percent over minutes).
 * @param {number[]} perRound
 * @param {string} what
 * @returns {Measured}
 */
const pairedRatio = (perRound, what) => ({
  value: middleBy(perRound, (r) => r),
  detail: `${what}, median of ${perRound.length} rounds: ${perRound.map((r) => r.toFixed(2)).join(', ')}`,
});

/**
 * The whole CLI (fresh process, M/M/4 for 1M requests: 320/s × 3,125 s, results.json only) and the
 * same model in SimPy 3 (a fresh /usr/bin/python3 process timed from outside), one of each per
 * round and the order swapped each round. Not one peer's runs after the other's: this machine's
 * speed drifts by tens of percent over minutes, and a drift during one peer's runs would move the
 * ratio either way. Each peer is rated by its median run, the ratio by the median of the rounds'.
 * @returns {Promise<Measured & { also: Record<string, Measured | { error: string }> }>}
 */
const mm4WholePair = async () => {
  const durationS = mm4WholeSeconds();
  /** @param {{ env?: Record<string, string> }} [o] */
  const cliOnce = (o) => runResultsOnly(MM4, ['--duration', `${durationS}s`], o);
  const simPyOnce = () => {
    const one = simPyMm4(durationS);
    return { ...one, wall: one.processWall, simulateWall: one.wall };
  };
  /** @type {ReturnType<typeof cliOnce>[]} */
  const cliRuns = [];
  /** @type {ReturnType<typeof cliOnce>[]} */
  const cliWithCertsRuns = [];
  /** @type {ReturnType<typeof simPyOnce>[]} */
  const simPyRuns = [];
  const cliRound = () => {
    cliRuns.push(cliOnce());
    // The same run with this machine's NODE_EXTRA_CA_CERTS, which the timed processes run without
    // (bench/lib/whole-run.js): what the variable adds, shown beside the ratio.
    if (EXTRA_CA_CERTS !== undefined) cliWithCertsRuns.push(cliOnce({ env: { NODE_EXTRA_CA_CERTS: EXTRA_CA_CERTS } }));
  };
  for (let i = 0; i < WHOLE_RUNS; i++) {
    if (i % 2 === 0) {
      cliRound();
      simPyRuns.push(simPyOnce());
    } else {
      simPyRuns.push(simPyOnce());
      cliRound();
    }
  }
  const rate = (/** @type {{ requests?: number, wall: number }} */ r) => (r.requests ?? 320 * durationS) / r.wall;
  const cli = medianOf(cliRuns);
  const cliRequests = cli.requests ?? 320 * durationS;
  const py = medianOf(simPyRuns);
  const simulateOnly = `env.run() alone ${py.simulateWall.toFixed(2)} s = ${fmtN(py.requests / py.simulateWall)} requests/s`;
  const overSimPy = (/** @type {ReturnType<typeof cliOnce>[]} */ runs) =>
    runs.map((c, i) => rate(c) / rate(/** @type {ReturnType<typeof simPyOnce>} */ (simPyRuns[i])));
  const withCerts = cliWithCertsRuns.length ? medianOf(cliWithCertsRuns) : undefined;
  return {
    value: rate(cli),
    detail: `${fmtN(cliRequests)} requests in ${cli.wall.toFixed(2)} s wall incl. start-up (${cli.walls}), ${cli.note}, peak RSS ${cli.rssMiB?.toFixed(0) ?? '?'} MiB, ${mm4Means(cli.meanMs)}`,
    also: {
      'mm4-simpy': {
        value: py.requests / py.wall,
        detail: `${fmtN(py.requests)} requests in ${py.wall.toFixed(2)} s wall incl. start-up (${py.walls}), ${simulateOnly}, peak RSS ${py.rssMiB?.toFixed(0) ?? '?'} MiB, ${mm4Means(py.meanResponseMs, py.meanWaitMs)}`,
      },
      'mm4-cli-simpy': pairedRatio(overSimPy(cliRuns), 'requests/s of the CLI run over those of the SimPy run of the same round'),
      'mm4-cli-simpy-certs': withCerts
        ? pairedRatio(
            overSimPy(cliWithCertsRuns),
            `the same with the CLI run under this machine's NODE_EXTRA_CA_CERTS (CLI ${withCerts.wall.toFixed(2)} s, ${withCerts.walls})`,
          )
        : { error: 'NODE_EXTRA_CA_CERTS is not set here' },
    },
  };
};

/** Three-tier sidecar, every output file, fresh process: peak RSS at `millions` M requests (1,000/s). */
const wholeRunRss = (/** @type {number} */ millions) => async () => {
  const durationS = millions * 1000;
  // The run is far over the default work budgets (1M calls, 5M events) on purpose: this line
  // measures memory at that size. Three calls per request, ~12 events per call; twice that as margin.
  const calls = millions * 1e6 * 3;
  const budget = ['--max-requests', String(2 * calls), '--max-events', String(2 * 12 * calls)];
  const r = runAllOutputs(THREE_TIER, ['--duration', `${durationS}s`, ...budget]);
  if (r.rssMiB === undefined) throw new Error('no /usr/bin/time: peak RSS unknown');
  return {
    value: r.rssMiB,
    detail: `${fmtN(requestsOf(r))} requests, ${durationS.toLocaleString('en-US')} s simulated, every output file, ${r.wall.toFixed(1)} s wall`,
  };
};

const versionWall = async () => {
  const r = bestWall(['--version'], 5);
  return {
    value: r.wall,
    detail: `best of 5 fresh processes, CPU ${r.cpu?.toFixed(2) ?? '?'} s, peak RSS ${r.rssMiB?.toFixed(0) ?? '?'} MiB`,
  };
};

/** Node itself: what `meshsim --version` cannot go below on this machine. */
const nodeWall = async () => {
  const bestOf5 = (/** @type {Record<string, string>} */ env) =>
    Math.min(...Array.from({ length: 5 }, () => timed(process.execPath, ['-e', '0'], { env }).wall));
  const best = bestOf5({});
  const withCerts =
    EXTRA_CA_CERTS === undefined
      ? ''
      : `; ${bestOf5({ NODE_EXTRA_CA_CERTS: EXTRA_CA_CERTS }).toFixed(3)} s with this machine's NODE_EXTRA_CA_CERTS, which every timed process runs without (bench/lib/whole-run.js)`;
  return { value: best, detail: `node -e 0, best of 5: the floor under the two lines below${withCerts}` };
};

const validateWall = async () => {
  const r = bestWall(['validate', MM4], 5);
  return { value: r.wall, detail: `validate bench/scenarios/mm4.yaml, best of 5 fresh processes, CPU ${r.cpu?.toFixed(2) ?? '?'} s` };
};

/**
 * A sweep of 8 equal points (8 seeds of M/M/4, no --set axis, so sweep.html has no chart), each
 * ~960,000 requests (3,000 s simulated), about 0.6 s of simulation on one core (--quick: 400 s),
 * timed three ways in each of WHOLE_RUNS rounds: on 1 worker, on 2 workers, and as its two shards
 * (`--shard 1/2`, `--shard 2/2`, 4 points each, 1 worker) in two independent processes started
 * together. The last is the peer for 2 workers: the speed-up this machine gives two processes that
 * share nothing, so the worker pool is judged against what the cores allow. Round by round, not
 * one way after another: this machine's speed drifts by tens of percent over minutes, and each
 * ratio compares runs made seconds apart. Each way is rated by its median round, each ratio by
 * the median of the rounds' ratios.
 * @returns {Promise<Measured & { also: Record<string, Measured> }>}
 */
const sweepRounds = async () => {
  const durationS = QUICK ? 400 : 3000;
  const sweep = ['sweep', MM4, '--seeds', '8', '--duration', `${durationS}s`];
  /** @type {Record<'one' | 'two' | 'shards', { wall: number, cpu: number | undefined }[]>} */
  const ways = { one: [], two: [], shards: [] };
  for (let i = 0; i < WHOLE_RUNS; i++) {
    // The order swapped each round, as mm4WholePair does.
    for (const workers of i % 2 === 0 ? [1, 2] : [2, 1]) {
      const out = scratch();
      try {
        ways[workers === 1 ? 'one' : 'two'].push(
          check(meshsim([...sweep, '--workers', String(workers), '--out', out.dir]), 'meshsim sweep'),
        );
      } finally {
        out.done();
      }
    }
    const outs = [scratch(), scratch()];
    try {
      const r = await meshsimTogether(outs.map((o, k) => [...sweep, '--shard', `${k + 1}/2`, '--workers', '1', '--out', o.dir]));
      for (const run of r.runs) if (run.status !== 0) throw new Error(`meshsim sweep --shard: exit ${run.status}: ${run.stderr}`);
      ways.shards.push(r);
    } finally {
      for (const o of outs) o.done();
    }
  }
  const points = `8 points × ~${fmtN(320 * durationS)} requests (${durationS} s simulated each)`;
  /** @param {keyof typeof ways} a @param {keyof typeof ways} b */
  const perRound = (a, b) => ways[a].map((r, i) => r.wall / /** @type {{ wall: number }} */ (ways[b][i]).wall);
  /** @param {{ wall: number, cpu: number | undefined }[]} runs @param {string} how @returns {Measured} */
  const rated = (runs, how) => {
    const r = medianOf(runs);
    const cpu = r.cpu === undefined ? '' : `, CPU ${r.cpu.toFixed(2)} s (user+sys)`;
    return { value: r.wall, detail: `${points}, ${how} (${r.walls})${cpu}` };
  };
  return {
    ...rated(ways.one, 'one fresh process'),
    also: {
      'sweep-2': rated(ways.two, 'one fresh process'),
      'sweep-shards': rated(ways.shards, 'two fresh processes of 4 points at once, until both end; CPU of both'),
      'sweep-speedup': pairedRatio(perRound('one', 'two'), 'wall on 1 worker over wall on 2 workers in the same round'),
      'sweep-ceiling': pairedRatio(perRound('one', 'shards'), 'wall on 1 worker over wall of the 2 shard processes in the same round'),
      'sweep-vs-peer': pairedRatio(perRound('shards', 'two'), 'wall of the 2 shard processes over wall on 2 workers in the same round'),
    },
  };
};

const clusterTenThousand = async () => {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, 'cluster-10000.yaml');
  writeFileSync(file, bigClusterYaml(500, 20, 400));
  const r = await clusterBuild(file);
  return { value: r.buildS, detail: `${fmtN(r.pods)} pods on 400 nodes, sidecar mode; loading the YAML took ${r.loadS.toFixed(2)} s more` };
};

const micro = (/** @type {(quick: boolean) => Promise<Measured>} */ fn) => async () => fn(QUICK);

/** value of an earlier line by id (derived lines). */
const ratio = (/** @type {string} */ a, /** @type {string} */ b) => (/** @type {Map<string, number>} */ values) => {
  const x = values.get(a);
  const y = values.get(b);
  if (x === undefined || y === undefined) throw new Error(`needs ${a} and ${b}`);
  return { value: x / y, detail: `${a} / ${b}` };
};

// ───────────────────────────── registry ─────────────────────────────

/**
 * @type {Benchmark[]}
 * Every benchmark, in order. `id` is what the command-line filter matches (as does any word of the
 * name); `full: true` ones are skipped by --quick.
 */
const BENCHMARKS = [
  {
    id: 'micro-kernel',
    name: 'micro: kernel schedule+run (hold, 1,000 pending)',
    fn: micro(kernelMicro),
    unit: 'events/s',
    target: { min: 4e6 },
  },
  { id: 'micro-lb', name: 'micro: LB pick, LEAST_REQUEST over 20 hosts', fn: micro(lbMicro), unit: 'ops/s' },
  { id: 'micro-histogram', name: 'micro: latency histogram record', fn: micro(histogramMicro), unit: 'ops/s' },
  { id: 'micro-route', name: 'micro: VirtualService route match', fn: micro(routeMatchMicro), unit: 'ops/s' },
  { id: 'kernel-100k', name: 'kernel hold model, 100,000 pending', fn: kernelHold(100_000, 2_000_000), unit: 'events/s' },
  { id: 'mm4', name: 'M/M/4 rho=0.8: meshsim simulate()', fn: mm4Simulation, unit: 'requests/s' },
  { id: 'mm4-simjs', name: 'M/M/4 rho=0.8: SimJS (peer anchor, same model)', fn: mm4SimJs, unit: 'requests/s' },
  { id: 'mm4-ratio', name: 'M/M/4 rho=0.8: meshsim / SimJS', derive: ratio('mm4', 'mm4-simjs'), unit: 'x', target: { min: 1 } },
  {
    id: 'mm4-cli',
    name: 'M/M/4 whole CLI, 1M requests, results.json only',
    fn: mm4WholePair,
    unit: 'requests/s',
  },
  // Issue #13 asks for >= 10x SimPy 3: the Python peer is Debian's SimPy 3.0.11 (python3-simpy3).
  { id: 'mm4-simpy', name: 'M/M/4 SimPy 3.0.11 (Debian), 1M requests, whole process', measuredBy: 'mm4-cli', unit: 'requests/s' },
  {
    id: 'mm4-cli-simpy',
    name: 'M/M/4 whole CLI / SimPy 3 whole process',
    measuredBy: 'mm4-cli',
    unit: 'x',
    target: { min: 10 },
  },
  {
    id: 'mm4-cli-simpy-certs',
    name: 'M/M/4 whole CLI / SimPy 3, CLI under NODE_EXTRA_CA_CERTS',
    measuredBy: 'mm4-cli',
    unit: 'x',
  },
  { id: 'three-tier', name: 'three-tier sidecar: simulate()', fn: threeTierSim('rate'), unit: 'requests/s', target: { min: 2e5 } },
  { id: 'three-tier-gc', name: 'three-tier sidecar: GC share of simulate()', fn: threeTierSim('gc'), unit: '%', target: { max: 15 } },
  { id: 'rss-1m', name: 'three-tier sidecar, 1M requests, every file: peak RSS', fn: wholeRunRss(1), unit: 'MiB', target: { max: 200 } },
  {
    id: 'rss-10m',
    name: 'three-tier sidecar, 10M requests, every file: peak RSS',
    fn: wholeRunRss(10),
    unit: 'MiB',
    target: { max: 300 },
    full: true,
  },
  { id: 'cluster-10k', name: 'cluster of 10,000 pods: build', fn: clusterTenThousand, unit: 's', target: { max: 1 } },
  { id: 'memory-none', name: 'cluster 1,000 pods, mode none: peak RSS', fn: memoryBench(CLUSTER_1000, 'none', 'rss_mib'), unit: 'MiB' },
  {
    id: 'memory-sidecar',
    name: 'cluster 1,000 pods, mode sidecar: peak RSS',
    fn: memoryBench(CLUSTER_1000, 'sidecar', 'rss_mib'),
    unit: 'MiB',
  },
  { id: 'node', name: 'node start-up alone: wall', fn: nodeWall, unit: 's' },
  { id: 'version', name: 'meshsim --version: wall', fn: versionWall, unit: 's', target: { max: 0.3 } },
  { id: 'validate', name: 'meshsim validate: wall', fn: validateWall, unit: 's', target: { max: 0.3 } },
  { id: 'sweep-1', name: 'sweep of 8 equal points, 1 worker: wall', fn: sweepRounds, unit: 's' },
  { id: 'sweep-2', name: 'sweep of 8 equal points, 2 workers: wall', measuredBy: 'sweep-1', unit: 's' },
  { id: 'sweep-shards', name: 'sweep of 8 equal points, 2 shard processes: wall', measuredBy: 'sweep-1', unit: 's' },
  { id: 'sweep-speedup', name: 'sweep speed-up, 2 workers over 1', measuredBy: 'sweep-1', unit: 'x', target: { min: 1.8 } },
  { id: 'sweep-ceiling', name: 'sweep speed-up, 2 shard processes over 1 (peer)', measuredBy: 'sweep-1', unit: 'x' },
  { id: 'sweep-vs-peer', name: 'sweep, 2 workers against 2 shard processes', measuredBy: 'sweep-1', unit: 'x' },
];

/** @param {string[]} argv */
async function main(argv) {
  QUICK = argv.includes('--quick');
  const filters = argv.filter((a) => a !== '--quick');
  console.log(
    `meshsim benchmarks${QUICK ? ' (--quick)' : ''} · node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length} · ${os.platform()}/${os.arch()} · load ${(os.loadavg()[0] ?? 0).toFixed(1)}`,
  );
  if (!globalThis.gc) console.log('(run with node --expose-gc for a full GC between measurements)');
  console.log('');
  const wanted = (/** @type {Benchmark} */ b) => filters.some((f) => b.id === f || b.name.toLowerCase().includes(f.toLowerCase()));
  const selected = (filters.length ? BENCHMARKS.filter(wanted) : BENCHMARKS).filter((b) => !(QUICK && b.full));
  if (selected.length === 0)
    console.log(`no benchmark matches ${filters.join(' ')}; ids: ${[...new Set(BENCHMARKS.map((b) => b.id))].join(', ')}`);
  /** @type {Map<string, number>} */
  const values = new Map();
  /** What the lines measured so far (by id): a `measuredBy` line's result comes from its measuring line's `also`. */
  /** @type {Map<string, { value?: number, detail?: string | null, error?: string }>} */
  const measured = new Map();
  for (const b of selected) {
    const derive = b.derive;
    if (derive) {
      await bench(b.name, async () => derive(values), { unit: b.unit, target: b.target });
      continue;
    }
    const by = b.measuredBy ?? b.id;
    if (!measured.has(b.id)) {
      const r = measureInChild(by);
      measured.set(by, r);
      for (const [id, also] of Object.entries(r.also ?? {})) measured.set(id, also);
      if (r.error) for (const x of BENCHMARKS) if (x.measuredBy === by) measured.set(x.id, r);
    }
    const r = measured.get(b.id) ?? { error: `${by} measured no ${b.id}` };
    if (!r.error && r.value !== undefined) values.set(b.id, r.value);
    await bench(
      b.name,
      async () => (r.error ? Promise.reject(new Error(r.error)) : { value: r.value ?? NaN, detail: r.detail ?? undefined }),
      {
        unit: b.unit,
        target: b.target,
      },
    );
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
        quick: QUICK,
        measured_at: new Date().toISOString(),
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${file}`);
}

/**
 * Runs the benchmark `id` in a fresh process, so one does not inherit another's JIT and heap state.
 * @param {string} id
 * @returns {{ value?: number, detail?: string | null, error?: string, also?: Record<string, { value: number, detail?: string | null }> }}
 */
function measureInChild(id) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--one', id, ...(QUICK ? ['--quick'] : [])], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || !line) return { error: (child.stderr || 'benchmark process failed').trim().split('\n').pop() };
  return JSON.parse(line);
}

/** Child mode: run the one benchmark whose id is given and print its result as a JSON line. @param {string} id */
async function one(id) {
  const b = BENCHMARKS.find((x) => x.id === id);
  try {
    if (!b?.fn) throw new Error(`no benchmark ${id}`);
    gc();
    const out = await b.fn(QUICK);
    const { value, detail, also } = typeof out === 'number' ? { value: out, detail: undefined, also: undefined } : out;
    console.log(JSON.stringify({ value, detail: detail ?? null, ...(also ? { also } : {}) }));
  } catch (e) {
    console.log(JSON.stringify({ error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }));
  }
}

const args = process.argv.slice(2);
// The flags a meshsim process runs under, set before any benchmark runs (src/cli/v8-flags.ts).
applyV8Flags();
applyV8FlagsAfterStart();
/** The i-th command-line argument, which the parent process always passes. @param {number} i */
const arg = (i) => {
  const a = args[i];
  if (a === undefined) throw new Error(`${args[0]}: argument ${i} missing`);
  return a;
};
if (args[0] === '--memory-child') memoryChild(arg(1), /** @type {import('#dist/config/model.js').MeshMode} */ (arg(2)));
else if (args[0] === '--one') {
  QUICK = args.includes('--quick');
  await one(arg(1));
} else await main(args);
