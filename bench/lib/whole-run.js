// Whole `meshsim` runs, each a fresh process (no inherited JIT or heap), timed from outside. Under
// /usr/bin/time -v when it exists, for the OS peak RSS ("Maximum resident set size").
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meshsim.js');
const TIME = '/usr/bin/time';

/** @typedef {{ wall: number, cpu: number | undefined, rssMiB: number | undefined, status: number | null, stdout: string, stderr: string }} CliRun */

/**
 * NODE_EXTRA_CA_CERTS of this process's environment (a package proxy's CA on the benchmark VMs),
 * or undefined. Node 20 reads that file into its TLS root store while a process starts, before any
 * script runs, building the store of its ~140 bundled root certificates with it (Node's own test
 * test/parallel/test-tls-env-extra-ca-file-load.js: "extra certificates are loaded at startup";
 * a missing file is warned about at start): `node -e 0` took 0.10 s with the 220 KB Debian bundle
 * there, 0.06 s without, on the 2-core VMs. meshsim opens no TLS connection, and neither peer
 * pays a like cost (python3 reads no CA file at start).
 */
export const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;

/**
 * The environment of every process the bench times: this one's without NODE_EXTRA_CA_CERTS, so
 * a whole run measures meshsim and Node as a machine without that setting runs them, whatever
 * the machine the bench runs on sets. The `node` line and a CLI/SimPy line show what the
 * variable adds where it is set (benchmark.js).
 */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));

/**
 * Runs `command ...args` as a fresh process, in CHILD_ENV with `env` added; returns wall seconds,
 * CPU seconds (user + system, every thread) and peak RSS (MiB) when /usr/bin/time is there,
 * status, output.
 * @param {string} command @param {string[]} args @param {{ env?: Record<string, string> }} [o] @returns {CliRun}
 */
export function timed(command, args, { env } = {}) {
  const start = process.hrtime.bigint();
  const child = spawnSync(...underTime(command, args), {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...CHILD_ENV, ...env },
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr ?? '');
  return {
    wall,
    rssMiB: rss ? Number(rss[1]) / 1024 : undefined,
    status: child.status,
    stdout: child.stdout ?? '',
    ...timeFields(child.stderr ?? ''),
  };
}

/**
 * `meshsim` with each of `argLists` as fresh processes started together (in CHILD_ENV); wall seconds until the
 * last one ends, CPU seconds of them all (when /usr/bin/time is there), and each one's status
 * and first stderr line (as timed gives them).
 * @param {string[][]} argLists
 * @returns {Promise<{ wall: number, cpu: number | undefined, runs: { status: number | null, stderr: string }[] }>}
 */
export async function meshsimTogether(argLists) {
  const start = process.hrtime.bigint();
  const runs = await Promise.all(
    argLists.map(
      (args) =>
        /** @type {Promise<{ status: number | null, stderr: string, cpu: number | undefined }>} */ (
          new Promise((resolvePromise, reject) => {
            const child = spawn(...underTime(process.execPath, [BIN, ...args]), { stdio: ['ignore', 'ignore', 'pipe'], env: CHILD_ENV });
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
            child.on('error', reject);
            child.on('close', (status) => resolvePromise({ status, ...timeFields(stderr) }));
          })
        ),
    ),
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpus = runs.map((r) => r.cpu);
  const cpu = cpus.every((c) => c !== undefined) ? cpus.reduce((a, b) => a + b, 0) : undefined;
  return { wall, cpu, runs: runs.map(({ status, stderr }) => ({ status, stderr })) };
}

/**
 * The program and arguments that run `command ...args` under /usr/bin/time -v when it is there.
 * @param {string} command @param {string[]} args @returns {[string, string[]]}
 */
function underTime(command, args) {
  return existsSync(TIME) ? [TIME, ['-v', command, ...args]] : [command, args];
}

/** CPU seconds (user + system) from /usr/bin/time -v's report, and the first line of the command's own stderr. @param {string} stderr */
function timeFields(stderr) {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return {
    cpu: user && sys ? Number(user[1]) + Number(sys[1]) : undefined,
    stderr: stderr.split('\n').filter((l) => !/^\s/.test(l) && !l.startsWith('Command'))[0] ?? '',
  };
}

/** `meshsim ...args` in a fresh node (see timed). @param {string[]} args @param {{ env?: Record<string, string> }} [o] */
export const meshsim = (args, o) => timed(process.execPath, [BIN, ...args], o);

/** A scratch output directory, removed by the caller's `done()`. */
export function scratch() {
  const dir = mkdtempSync(join(os.tmpdir(), 'meshsim-bench-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Fails like a benchmark should: the first stderr line of a run that did not exit 0 (or 99: SLO). */
/** @param {CliRun} r @param {string} what */
export function check(r, what) {
  if (r.status !== 0 && r.status !== 99) throw new Error(`${what}: exit ${r.status}: ${r.stderr}`);
  return r;
}

/** Best (lowest) wall time of `reps` fresh runs. */
/** @param {string[]} args @param {number} reps @returns {CliRun} */
export function bestWall(args, reps) {
  /** @type {CliRun | undefined} */
  let best;
  for (let i = 0; i < reps; i++) {
    const r = check(meshsim(args), `meshsim ${args.join(' ')}`);
    if (!best || r.wall < best.wall) best = r;
  }
  if (!best) throw new Error('no repetitions');
  return best;
}

/**
 * `meshsim run` writing only results.json when the CLI supports `--outputs` (CONTRACT §5), else
 * every file (older builds); `note` says which.
 */
/** @param {string} scenario @param {string[]} extra @param {{ env?: Record<string, string> }} [o] */
export function runResultsOnly(scenario, extra, o) {
  const out = scratch();
  try {
    let r = meshsim(['run', scenario, ...extra, '--outputs', 'results', '--quiet', '--out', out.dir], o);
    let note = 'results.json only';
    if (r.status === 2 && /unknown option/.test(r.stderr)) {
      r = meshsim(['run', scenario, ...extra, '--out', out.dir], o);
      note = 'every file: this build has no --outputs';
    }
    check(r, 'meshsim run');
    // Read after the clock stopped: what the run simulated, for the line's detail.
    /** @type {{ requests?: { total?: number }, latency_ms?: { mean?: number } }} */
    const results = JSON.parse(readFileSync(join(out.dir, 'results.json'), 'utf8'));
    return { ...r, note, requests: results.requests?.total, meanMs: results.latency_ms?.mean };
  } finally {
    out.done();
  }
}

/** `meshsim run` writing every output file; returns wall and peak RSS. */
/** @param {string} scenario @param {string[]} extra */
export function runAllOutputs(scenario, extra) {
  const out = scratch();
  try {
    return check(meshsim(['run', scenario, ...extra, '--json', '--out', out.dir]), 'meshsim run');
  } finally {
    out.done();
  }
}

/** requests.total from a `--json` run's stdout. */
export const requestsOf = (/** @type {CliRun} */ r) => JSON.parse(r.stdout).requests.total;
