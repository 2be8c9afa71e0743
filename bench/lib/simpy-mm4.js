// The Python peer: bench/lib/simpy_mm4.py, the M/M/4 station of bench/scenarios/mm4.yaml written
// with SimPy 3, run as a fresh /usr/bin/python3 process (timed like the whole meshsim runs).
// SimPy 3 is the peer issue #13 names; Debian bookworm ships it as python3-simpy3 (SimPy 3.0.11,
// module `simpy`), installed for the system Python /usr/bin/python3 (not a pyenv python3 on PATH).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed } from './whole-run.js';
import { erlangC } from '../../test/kernel/queueing-theory.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'simpy_mm4.py');

/** True when the system Python can import SimPy 3 (`simpy`). */
export function simPyAvailable() {
  return spawnSync(PYTHON, ['-c', 'import simpy'], { stdio: 'ignore' }).status === 0;
}

/** @typedef {{ requests: number, wall: number, processWall: number, cpu: number | undefined, rssMiB: number | undefined, meanResponseMs: number, meanWaitMs: number, version: string }} SimPyRun */

/**
 * One M/M/4 run of `durationS` simulated seconds in a fresh Python process. `wall` is env.run()
 * alone (measured by the script), `processWall` the whole process from outside (start-up, import,
 * model, env.run(), exit).
 * @param {number} durationS @param {number} [seed] @returns {SimPyRun}
 */
export function simPyMm4(durationS, seed = 1) {
  if (!simPyAvailable()) throw new Error('SimPy 3 is not installed for /usr/bin/python3 (apt-get install python3-simpy3)');
  const r = timed(PYTHON, [SCRIPT, String(durationS), String(seed)]);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`${PYTHON} simpy_mm4.py: exit ${r.status}: ${r.stderr}`);
  /** @type {{ requests: number, wall: number, mean_response_s: number, mean_wait_s: number, simpy: string }} */
  const out = JSON.parse(line);
  return {
    requests: out.requests,
    wall: out.wall,
    processWall: r.wall,
    cpu: r.cpu,
    rssMiB: r.rssMiB,
    meanResponseMs: out.mean_response_s * 1000,
    meanWaitMs: out.mean_wait_s * 1000,
    version: out.simpy,
  };
}

/**
 * M/M/c theory (Erlang C): the mean wait in the queue and the mean response time, in ms, of
 * Poisson arrivals at `lambda`/s to `c` servers of exponential service at `mu`/s each (rho < 1).
 * Kleinrock, Queueing Systems vol. 1 (1975), §3.5: Wq = C(c, a) / (c mu - lambda), a = lambda / mu.
 * @param {number} lambda @param {number} mu @param {number} c
 */
export function mmcTheory(lambda, mu, c) {
  const rho = lambda / mu / c;
  if (rho >= 1) throw new Error(`unstable: rho = ${rho}`);
  const waits = erlangC(c, lambda / mu);
  const meanWaitMs = (1000 * waits) / (c * mu - lambda);
  return { erlangC: waits, meanWaitMs, meanResponseMs: meanWaitMs + 1000 / mu };
}

/** The bench model: 320/s to 4 servers of mean 10 ms (rho = 0.8). */
export const MM4_THEORY = mmcTheory(320, 100, 4);
