/**
 * The whole simulate() path checked against closed-form queueing theory.
 *
 * Every scenario goes through the real loader (YAML written to a temp dir → loadScenario →
 * simulate → buildResults) in mode `none` with zero network latency and a 64-core node, so the
 * only delays are the stations' own queueing and service: below 64 jobs at once NodeCpu never
 * stretches work (src/world/cpu.ts). Time unit in the formulas below: milliseconds.
 *
 * Means must be within 3% of theory, for each of three seeds (a lucky seed cannot carry the
 * test). Runs are sized so the statistical error stays well inside that: over 12 seeds the worst
 * deviation seen was about 2% (M/D/1 Wq), most are under 1%. Utilisations are 0.6-0.7, where the
 * queues relax in a few hundred service times, and a 2 s warmup drops the empty-start transient.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/analysis/load.js';
import { buildResults, type ResultsJson } from '../../src/report/results.js';
import { simulate } from '../../src/sim/simulate.js';
import { erlangC } from './queueing-theory.js';

const SEEDS = [1, 2, 3];
const TOLERANCE = 0.03;

const dir = mkdtempSync(join(tmpdir(), 'meshsim-queueing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One station or more, fed by one Poisson workload (`load` → service `a`). */
function scenarioYaml(opts: { services: string; rate: number; duration: string; warmup?: string }): string {
  return `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: queueing}
spec:
  duration: ${opts.duration}
  warmup: ${opts.warmup ?? '2s'}
  mesh: {mode: none}
  cluster:
    nodes: [{name: n0, cpu: "64"}]
    network: {sameNode: 0us, sameZone: 0us, crossZone: 0us}
  services:
${opts.services}
  workload:
    - {name: load, target: a, rate: ${opts.rate}, arrival: poisson}
`;
}

let fileCounter = 0;
/** Loads the YAML through the real loader once and returns a runner per seed. */
function scenarioRunner(yaml: string): (seed: number) => ResultsJson {
  const file = join(dir, `scenario-${fileCounter++}.yaml`);
  writeFileSync(file, yaml);
  const { scenario } = loadScenario(file);
  return (seed) => buildResults(simulate(scenario, { seed }));
}

function service(r: ResultsJson, name: string): ResultsJson['services'][string] {
  const s = r.services[name];
  if (!s) throw new Error(`no service ${name} in results`);
  return s;
}

function appCores(r: ResultsJson): number {
  const app = r.resources.by_component.app;
  if (!app) throw new Error('no app component in results');
  return app.cpu_cores;
}

function expectClose(actual: number, theory: number, what: string, tolerance = TOLERANCE): void {
  const rel = actual / theory - 1;
  expect(Math.abs(rel), `${what}: simulated ${actual.toFixed(4)} vs theory ${theory.toFixed(4)} (${(100 * rel).toFixed(2)}%)`).toBeLessThan(
    tolerance,
  );
}

describe('erlangC (the test helper itself)', () => {
  it('matches M/M/1 (C = rho) and a textbook M/M/2 value', () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12);
    // M/M/2, a = 1: C = (1/2 · 2) / (1 + 1 + 1) = 1/3.
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
  });
});

describe('M/M/1: lambda = 0.7/ms, mu = 1/ms (rho = 0.7)', () => {
  // Sojourn time in M/M/1 FIFO is exponential with rate mu - lambda = 0.3/ms.
  const lambda = 0.7;
  const mu = 1;
  const run = scenarioRunner(
    scenarioYaml({
      services: '    - {name: a, concurrency: 1, serviceTime: {distribution: exponential, mean: 1ms}}',
      rate: lambda * 1000,
      duration: '602s',
    }),
  );

  it.each(SEEDS)(
    'mean time in system W = 1/(mu - lambda), p90 = ln(10)/(mu - lambda), p50 = ln(2)/(mu - lambda) and utilisation rho = lambda/mu (seed %i)',
    (seed) => {
      const r = run(seed);
      const svc = service(r, 'a');
      expectClose(svc.latency_ms.mean, 1 / (mu - lambda), 'W');
      expectClose(svc.latency_ms.p90, Math.log(10) / (mu - lambda), 'p90');
      expectClose(svc.latency_ms.p50, Math.log(2) / (mu - lambda), 'p50');
      // End users see the same station (no network, no proxy).
      expectClose(r.latency_ms.mean, 1 / (mu - lambda), 'end-user W');
      // Little's law for the server alone: mean busy servers = lambda · E[S] = rho (app CPU).
      expectClose(appCores(r), lambda / mu, 'utilisation');
      // Throughput: lambda over the measured window (600 s after warmup).
      expectClose(svc.requests.total, lambda * 1000 * 600, 'completed requests');
      expect(svc.requests.failed).toBe(0);
    },
  );
});

describe('M/M/c: c = 3, lambda = 2.1/ms, mu = 1/ms per server (rho = 0.7)', () => {
  // One pod with concurrency 3 is one FIFO queue in front of 3 servers.
  const c = 3;
  const lambda = 2.1;
  const mu = 1;
  const run = scenarioRunner(
    scenarioYaml({
      services: '    - {name: a, concurrency: 3, serviceTime: {distribution: exponential, mean: 1ms}}',
      rate: lambda * 1000,
      duration: '202s',
    }),
  );
  const wq = erlangC(c, lambda / mu) / (c * mu - lambda);

  it.each(SEEDS)('Erlang C mean wait Wq = C(c, a)/(c mu - lambda) and W = Wq + 1/mu (seed %i)', (seed) => {
    const r = run(seed);
    const w = service(r, 'a').latency_ms.mean;
    expectClose(w, wq + 1 / mu, 'W');
    // Wq from the measured sojourn time minus the mean service time.
    expectClose(w - 1 / mu, wq, 'Wq');
  });
});

describe('M/D/1: lambda = 0.7/ms, constant service 1 ms (rho = 0.7)', () => {
  const lambda = 0.7;
  const mu = 1;
  const rho = lambda / mu;
  const run = scenarioRunner(
    scenarioYaml({
      services: '    - {name: a, concurrency: 1, serviceTime: {distribution: constant, value: 1ms}}',
      rate: lambda * 1000,
      duration: '402s',
    }),
  );
  // Pollaczek–Khinchine with Var[S] = 0: Wq = rho / (2 mu (1 - rho)).
  const wq = rho / (2 * mu * (1 - rho));

  it.each(SEEDS)('Pollaczek–Khinchine Wq = rho/(2 mu (1 - rho)) and W = Wq + 1/mu (seed %i)', (seed) => {
    const svc = service(run(seed), 'a');
    expectClose(svc.latency_ms.mean, wq + 1 / mu, 'W');
    expectClose(svc.latency_ms.mean - 1 / mu, wq, 'Wq');
    // Nobody can be faster than the constant service time.
    expect(svc.latency_ms.p50).toBeGreaterThanOrEqual(1 / mu - 0.001);
  });
});

describe('tandem: infinite-server station a (exponential, 1 ms) calling single-server b (exponential, 1 ms), lambda = 0.6/ms', () => {
  // In this simulator a pod HOLDS its slot while its downstream calls run (src/world/pod.ts), so
  // two single-server stations in series are NOT two M/M/1 queues: a's effective service time
  // would include b's. With a given (effectively) infinite concurrency, a is a pure delay: an
  // M/M/∞ station, whose departures (= b's arrivals, a's calls start when its service ends) are
  // Poisson with rate lambda — Burke's theorem for M/M/∞. So b is M/M/1 with rho_b = 0.6:
  //   W_b = 1/(mu_b - lambda) = 2.5 ms, p90_b = ln(10)/(mu_b - lambda),
  // and a's time (and the end user's) is E[S_a] + W_b = 3.5 ms.
  const lambda = 0.6;
  const muB = 1;
  const run = scenarioRunner(
    scenarioYaml({
      services: [
        '    - {name: a, concurrency: 100000, serviceTime: {distribution: exponential, mean: 1ms}, calls: [{service: b}]}',
        '    - {name: b, concurrency: 1, serviceTime: {distribution: exponential, mean: 1ms}}',
      ].join('\n'),
      rate: lambda * 1000,
      duration: '502s',
    }),
  );

  it.each(SEEDS)(
    'Burke: b is M/M/1, W_b = 1/(mu_b - lambda), p90_b = ln(10)/(mu_b - lambda), end to end E[S_a] + W_b (seed %i)',
    (seed) => {
      const r = run(seed);
      const a = service(r, 'a');
      const b = service(r, 'b');
      expectClose(b.latency_ms.mean, 1 / (muB - lambda), 'W_b');
      expectClose(b.latency_ms.p90, Math.log(10) / (muB - lambda), 'p90_b');
      expectClose(a.latency_ms.mean, 1 + 1 / (muB - lambda), 'W_a (holds its slot across the call)');
      expectClose(r.latency_ms.mean, 1 + 1 / (muB - lambda), 'end-to-end W');
      // Every request to a makes exactly one call to b (counted from the same warmup boundary).
      expect(Math.abs(b.requests.total - a.requests.total)).toBeLessThan(20);
      const edge = r.edges.find((e) => e.source === 'a' && e.destination === 'b');
      expect(edge?.requests).toBeGreaterThan(0);
    },
  );
});

describe('held slot: single-server a (exponential, 0.4 ms) calling infinite-server b (exponential, 0.3 ms), lambda = 1/ms', () => {
  // a holds its only slot while b serves the call, so a is an M/G/1 queue whose service time is
  // S = S_a + S_b (b never queues): E[S] = 0.7 ms (rho = 0.7) and, for a sum of independent
  // exponentials with means x and y, E[S^2] = 2x^2 + 2xy + 2y^2 = 0.74 ms^2.
  // Pollaczek–Khinchine: Wq = lambda E[S^2] / (2 (1 - rho)) = 1.2333 ms; W_a = Wq + E[S] = 1.9333 ms.
  const lambda = 1;
  const x = 0.4;
  const y = 0.3;
  const es = x + y;
  const es2 = 2 * x * x + 2 * x * y + 2 * y * y;
  const wq = (lambda * es2) / (2 * (1 - lambda * es));
  const run = scenarioRunner(
    scenarioYaml({
      services: [
        '    - {name: a, concurrency: 1, serviceTime: {distribution: exponential, mean: 400us}, calls: [{service: b}]}',
        '    - {name: b, concurrency: 100000, serviceTime: {distribution: exponential, mean: 300us}}',
      ].join('\n'),
      rate: lambda * 1000,
      duration: '302s',
    }),
  );

  it.each(SEEDS)(
    'Pollaczek–Khinchine for M/G/1 with S = S_a + S_b: W_a = lambda E[S^2]/(2(1 - rho)) + E[S]; W_b = E[S_b] (seed %i)',
    (seed) => {
      const r = run(seed);
      expectClose(service(r, 'a').latency_ms.mean, wq + es, 'W_a');
      expectClose(service(r, 'b').latency_ms.mean, y, 'W_b');
    },
  );
});

describe("Little's law on an infinite-server station: exponential 5 ms, lambda = 2/ms", () => {
  // M/M/∞: every request is served at once, so the number in the system is the number of busy
  // servers, whose time average the app's cpu_cores reports (CPU-µs used / run length).
  // Little: L = lambda · W, measured entirely from results (throughput × mean latency), and the
  // theory value lambda · E[S] = 10.
  const run = scenarioRunner(
    scenarioYaml({
      services: '    - {name: a, concurrency: 100000, serviceTime: {distribution: exponential, mean: 5ms}}',
      rate: 2000,
      duration: '102s',
    }),
  );

  it.each(SEEDS)('L = lambda W: time-averaged busy servers equal throughput × mean time in system (seed %i)', (seed) => {
    const r = run(seed);
    const svc = service(r, 'a');
    const measuredSeconds = r.simulated.duration_s - r.simulated.warmup_s;
    const throughputPerMs = svc.requests.total / measuredSeconds / 1000;
    const l = appCores(r);
    expectClose(l, throughputPerMs * svc.latency_ms.mean, 'L vs lambda·W (measured)');
    expectClose(l, 2 * 5, 'L vs lambda·E[S] (theory)');
    expectClose(svc.latency_ms.mean, 5, 'W = E[S] (no queueing)');
  });
});
