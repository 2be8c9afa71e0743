// The fuzz harness: mutates the shipped scenarios and the Istio fixtures (../shared/fixtures/istio,
// skipped when absent), runs every mutant through the real CLI entry point in worker threads of
// this process (a hang is a timeout; a worker over its heap limit is "over memory"), and
// classifies each outcome. Failures: exit 1, a hang, a malformed message, or files written on a
// refused input.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { clearTimeout, setTimeout } from 'node:timers';
import { Worker } from 'node:worker_threads';
import { mutate, prng } from './mutate.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = pathToFileURL(join(REPO, 'dist', 'cli', 'main.js')).href;
const FIXTURES = join(REPO, '..', 'shared', 'fixtures', 'istio');

export const OUTCOMES = ['ok', 'exit 2 well-formed', 'exit 99', 'malformed message', 'wrote on exit 2', 'exit 1', 'hang', 'over memory'];
/** Mutants one worker runs before it is replaced by a fresh one. */
const RECYCLE_AFTER = 100;

export const FAILING = new Set(['malformed message', 'wrote on exit 2', 'exit 1', 'hang', 'over memory']);

/** A diagnostic line as the contract wants it: positioned, printable, one line, short. */
const DIAG = /^(.+):(\d+):(\d+): (error|warning): \S.*$/;
const MEANT_TO_BE_PRINTED = /^(meshsim: (warning|error): .+|.+: ok( \(\d+ warnings?\))?)$/;
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** A message is at most ~200 characters; the file name before it at most 120 more. */
const MAX_MESSAGE = 212;
const MAX_LINE = 340;

/** @param {string} text */
export function badLines(text) {
  /** @type {string[]} */
  const bad = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const message = DIAG.test(line) ? line.slice(line.search(/: (error|warning): /) + 2) : line;
    const tooLong = line.length > MAX_LINE || message.length > MAX_MESSAGE;
    if (UNPRINTABLE.test(line) || tooLong || !(DIAG.test(line) || MEANT_TO_BE_PRINTED.test(line))) bad.push(line.slice(0, 300));
  }
  return bad;
}

function corpus() {
  const scenarioDir = join(REPO, 'scenarios');
  const scenarios = readdirSync(scenarioDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ name: f, kind: 'scenario', text: readFileSync(join(scenarioDir, f), 'utf8') }));
  const fixtures = existsSync(FIXTURES)
    ? readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => ({ name: f, kind: 'istio', text: readFileSync(join(FIXTURES, f), 'utf8') }))
    : [];
  return { scenarios, fixtures };
}

/** A small scenario that loads an Istio file through istioFiles (for mutated fixtures). */
const HOST = (/** @type {string} */ file) => `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: fuzz-host}
spec:
  duration: 2s
  services:
    - {name: productpage, calls: [{service: reviews}]}
    - {name: reviews, versions: [{name: v1, replicas: 1}, {name: v2, replicas: 1}, {name: v3, replicas: 1}]}
  istioFiles: [${file}]
  workload:
    - {name: users, target: productpage, rate: 20}
`;

/** The command line a mutant is run with (budgets keep every run short; some runs are full-length). */
/**
 * @param {import('./mutate.mjs').Rng} r
 * @param {string} file
 * @param {string} out
 */
function commandFor(r, file, out) {
  const p = r.next();
  // Small budgets keep every run short (refusals and budget stops are outcomes too); a few runs
  // write every output, the report included.
  const budget = ['--max-events', '10000', '--max-requests', '2000', '--max-in-flight', '2000'];
  if (p < 0.4) return ['validate', file];
  if (p < 0.8) return ['run', file, '--out', out, '--outputs', 'results,metrics,events,traces', ...budget];
  if (p < 0.85) return ['run', file, '--out', out, '--duration', '1s', ...budget];
  if (p < 0.95) return ['explain', file, '--duration', '1s', ...budget];
  return ['compare', file, '--modes', 'none,sidecar', '--out', out, '--duration', '1s', ...budget];
}

/** @typedef {{ id: number, argv: string[], out: string, base: string, mutations: string[], bytes: Buffer }} Job */
/** @typedef {{ code?: number, thrown?: string, stdout: string, stderr: string, warnings: string[], hang?: boolean, memory?: boolean }} RunResult */

class Pool {
  /** @param {number} memoryMb */
  constructor(memoryMb) {
    this.memoryMb = memoryMb;
  }
  async spawn() {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { mainUrl: MAIN },
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
      stdout: true,
      stderr: true,
    });
    w.stdout.resume();
    w.stderr.resume();
    await new Promise((ok, fail) => {
      w.once('message', ok);
      w.once('error', fail);
    });
    return w;
  }
  /** Runs one job on a worker; resolves with the outcome, replacing the worker if it died. */
  /**
   * @param {Worker} worker
   * @param {{ id: number, argv: string[] }} job
   * @param {number} timeoutMs
   * @returns {Promise<{ result: RunResult, replace: boolean }>}
   */
  async run(worker, job, timeoutMs) {
    return new Promise((settle) => {
      let done = false;
      /** @type {(result: RunResult, replace: boolean) => void} */
      const finish = (result, replace) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.removeAllListeners('message');
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        settle({ result, replace });
      };
      const none = { stdout: '', stderr: '', warnings: [] };
      const timer = setTimeout(() => finish({ ...none, hang: true }, true), timeoutMs);
      worker.on('message', (/** @type {RunResult} */ m) => finish(m, false));
      worker.on('error', (/** @type {Error & { code?: string }} */ e) =>
        finish({ ...none, memory: e.code === 'ERR_WORKER_OUT_OF_MEMORY', thrown: String(e.stack ?? e) }, true),
      );
      worker.on('exit', () => finish({ ...none, thrown: 'worker exited' }, true));
      worker.postMessage(job);
    });
  }
}

/**
 * @param {Job} job
 * @param {RunResult} res
 * @returns {{ outcome: string, detail?: string }}
 */
function classify(job, res) {
  if (res.hang) return { outcome: 'hang' };
  if (res.memory) return { outcome: 'over memory' };
  if (res.thrown !== undefined) return { outcome: 'exit 1', detail: res.thrown.split('\n').slice(0, 3).join(' | ') };
  const printed = job.argv[0] === 'validate' ? res.stdout : res.stderr;
  if (res.warnings.length) return { outcome: 'malformed message', detail: `Node warning: ${res.warnings[0]}` };
  if (res.code === 1) return { outcome: 'exit 1', detail: res.stderr.split('\n').slice(0, 3).join(' | ') };
  const diagText = job.argv[0] === 'validate' ? printed : res.stderr;
  const bad = badLines(diagText);
  if (res.code === 2 && job.argv[0] !== 'validate' && job.out && existsSync(job.out)) {
    const results = join(job.out, 'results.json');
    const partial = existsSync(results) && /"partial"/.test(readFileSync(results, 'utf8'));
    if (!partial) return { outcome: 'wrote on exit 2', detail: res.stderr.slice(0, 200) };
  }
  if (bad.length) return { outcome: 'malformed message', detail: bad[0] };
  if (res.code === 0) return { outcome: 'ok' };
  if (res.code === 2) return { outcome: 'exit 2 well-formed' };
  if (res.code === 99) return { outcome: 'exit 99' };
  return { outcome: 'exit 1', detail: `exit code ${res.code}` };
}

/**
 * Runs `count` mutants from `seed`. Returns the outcome counts and the failing mutants (kept on
 * disk under `keepDir` when given, for reproducing them).
 */
/**
 * @param {{ count?: number, seed?: number, timeoutMs?: number, workers?: number, memoryMb?: number, keepDir?: string, onProgress?: (id: number, outcome: string) => void }} options
 */
export async function runFuzz({ count = 500, seed = 1, timeoutMs = 30_000, workers = 2, memoryMb = 1024, keepDir, onProgress } = {}) {
  const { scenarios, fixtures } = corpus();
  const root = mkdtempSync(join(tmpdir(), 'meshsim-fuzz-'));
  const scn = join(root, 'scenarios');
  cpSync(join(REPO, 'scenarios'), scn, { recursive: true });
  mkdirSync(join(scn, 'fuzz'), { recursive: true });
  const r = prng(seed);
  // Mutants are made one at a time, in index order, as lanes ask for them: deterministic, and
  // 10,000 of them never sit in memory together.
  /** @type {(i: number) => Job} */
  const makeJob = (i) => {
    const useFixture = fixtures.length > 0 && r.next() < 0.25;
    const base = useFixture ? r.pick(fixtures) : r.pick(scenarios);
    const m = mutate(base.text, r);
    const out = join(root, 'out', `m${i}`);
    let argv;
    if (useFixture) {
      const file = join(scn, 'istio', `fuzz-${i}.yaml`);
      writeFileSync(file, m.bytes);
      if (r.next() < 0.5) argv = ['validate', file];
      else {
        const host = join(scn, `fuzz-host-${i}.yaml`);
        writeFileSync(host, HOST(`istio/fuzz-${i}.yaml`));
        argv = ['run', host, '--out', out, '--outputs', 'results', '--max-events', '10000'];
      }
    } else {
      const file = join(scn, `fuzz-${i}.yaml`);
      writeFileSync(file, m.bytes);
      argv = commandFor(r, file, out);
    }
    return { id: i, argv, out, base: base.name, mutations: m.mutations, bytes: m.bytes };
  };

  const pool = new Pool(memoryMb);
  /** @type {Record<string, number>} */
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
  /** @type {{ id: number, outcome: string, detail?: string, base: string, mutations: string[], argv: string[] }[]} */
  const failures = [];
  let next = 0;
  const lane = async () => {
    let worker = await pool.spawn();
    let served = 0;
    while (next < count) {
      const job = makeJob(next++);
      const { result, replace } = await pool.run(worker, { id: job.id, argv: job.argv }, timeoutMs);
      const c = classify(job, result);
      counts[c.outcome] = (counts[c.outcome] ?? 0) + 1;
      if (FAILING.has(c.outcome) || c.outcome === 'over memory') {
        failures.push({ id: job.id, outcome: c.outcome, detail: c.detail, base: job.base, mutations: job.mutations, argv: job.argv });
        if (keepDir) {
          mkdirSync(keepDir, { recursive: true });
          writeFileSync(join(keepDir, `mutant-${job.id}.yaml`), job.bytes);
        }
      }
      rmSync(job.out, { recursive: true, force: true });
      for (const a of job.argv) if (a.includes('/fuzz')) rmSync(a, { force: true });
      // A fresh worker every RECYCLE_AFTER mutants: module-level caches and heap fragmentation of
      // thousands of runs in one isolate would otherwise read as "over memory" on a healthy mutant.
      if (replace || ++served >= RECYCLE_AFTER) {
        served = 0;
        await worker.terminate();
        await delay(10);
        worker = await pool.spawn();
      }
      onProgress?.(job.id, c.outcome);
    }
    await worker.terminate();
  };
  await Promise.all(Array.from({ length: workers }, lane));
  rmSync(root, { recursive: true, force: true });
  return { count, seed, counts, failures, fixtures: fixtures.length };
}

/** The outcome table as Markdown. */
/** @param {{ count: number, counts: Record<string, number> }} report */
export function outcomeTable(report) {
  const rows = OUTCOMES.map((o) => `| ${o} | ${report.counts[o]} | ${((100 * (report.counts[o] ?? 0)) / report.count).toFixed(2)}% |`);
  return ['| outcome | mutants | share |', '| --- | ---: | ---: |', ...rows, `| total | ${report.count} | 100% |`].join('\n');
}
