/**
 * Determinism through the real CLI (dist/, built by `npx tsc -p .` before the suite runs):
 * same scenario + seed + mode ⇒ byte-identical results.json; another seed ⇒ other numbers; and
 * named random streams keep a service's arrivals and service times independent of every other
 * service and workload in the scenario (README.md "Determinism").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'meshsim.js');
const MM1 = join(ROOT, 'scenarios', 'mm1.yaml');

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-determinism-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let outCounter = 0;
/** Runs `meshsim run FILE --out DIR …` and returns results.json's bytes. */
function runCli(file: string, args: string[] = [], cwd = ROOT): string {
  const out = join(tmp, `out-${outCounter++}`);
  const p = spawnSync(process.execPath, [BIN, 'run', file, '--out', out, ...args], { cwd, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`meshsim run exited ${p.status}: ${p.stderr}`);
  return readFileSync(join(out, 'results.json'), 'utf8');
}

function writeScenario(name: string, text: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('same scenario, seed and mode', () => {
  it('writes byte-identical results.json on two runs, even from another working directory', () => {
    const first = runCli(MM1, ['--seed', '7', '--duration', '60s']);
    const second = runCli(MM1, ['--seed', '7', '--duration', '60s'], tmp);
    expect(second).toBe(first);
    const r = JSON.parse(first);
    expect(r.seed).toBe(7);
    expect(r.requests.total).toBeGreaterThan(2500); // 70 req/s over the 40 s after warmup
  });

  it('gives compare the same results for a mode as run', () => {
    const run = JSON.parse(runCli(MM1, ['--seed', '3', '--duration', '30s']));
    const out = join(tmp, `compare-${outCounter++}`);
    const p = spawnSync(process.execPath, [BIN, 'compare', MM1, '--modes', 'none', '--seed', '3', '--duration', '30s', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(p.status, p.stderr).toBe(0);
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(comparison.modes.none).toEqual(run);
  });
});

describe('a different seed', () => {
  it('gives different arrivals and latencies', () => {
    const a = JSON.parse(runCli(MM1, ['--seed', '1', '--duration', '60s']));
    const b = JSON.parse(runCli(MM1, ['--seed', '2', '--duration', '60s']));
    expect(a.seed).toBe(1);
    expect(b.seed).toBe(2);
    expect(b.latency_ms).not.toEqual(a.latency_ms);
    expect(b.simulated.events).not.toBe(a.simulated.events);
    // Same model, so the totals are close, just not identical draws.
    expect(Math.abs(b.requests.total - a.requests.total)).toBeLessThan(400);
  });

  it('is taken from spec.seed when no --seed is given', () => {
    const fromSpec = runCli(MM1, ['--duration', '40s']); // mm1.yaml has seed: 1
    const explicit = runCli(MM1, ['--seed', '1', '--duration', '40s']);
    expect(fromSpec).toBe(explicit);
  });
});

describe('named random streams', () => {
  // `api` on its own; a 3-node cluster with real network latencies. Concurrency caps keep at most
  // 2 + 2 jobs on any 8-core node, so the services never contend for CPU and only random-stream
  // sharing could couple them.
  const apiService = `    - name: api
      concurrency: 2
      serviceTime: {distribution: lognormal, median: 5ms, p99: 40ms}
      calls: [{service: db}]
    - name: db
      concurrency: 2
      serviceTime: {distribution: exponential, mean: 2ms}
      failure: {rate: 0.01, status: 503}`;
  const auditService = `    - name: audit
      concurrency: 2
      serviceTime: {distribution: exponential, mean: 3ms}
      failure: {rate: 0.05, status: 500}`;
  const header = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: streams}
spec:
  seed: 11
  duration: 60s
  warmup: 1s
  cluster: {nodes: 3}
  services:
`;
  const usersWorkload = '    - {name: users, target: api, rate: 40}';

  const base = writeScenario('streams-base', `${header}${apiService}\n  workload:\n${usersWorkload}\n`);
  // The extra service is declared first, so it also shifts every index the others had.
  const uncalled = writeScenario('streams-uncalled', `${header}${auditService}\n${apiService}\n  workload:\n${usersWorkload}\n`);
  const withLoad = writeScenario(
    'streams-with-load',
    `${header}${auditService}\n${apiService}\n  workload:\n    - {name: batch, target: audit, rate: 100}\n${usersWorkload}\n`,
  );

  let baseResults: string | undefined;
  const baseRun = (): string => (baseResults ??= runCli(base));

  const edge = (r: { edges: { source: string; destination: string }[] }, s: string, d: string) =>
    r.edges.find((e) => e.source === s && e.destination === d);

  it("leave a service's requests and latencies unchanged when a service nobody calls is added", () => {
    const a = JSON.parse(baseRun());
    const b = JSON.parse(runCli(uncalled));
    expect(a.services.api.requests.total).toBeGreaterThan(1500);
    expect(a.services.db.requests.failed).toBeGreaterThan(0); // the failure stream is exercised
    expect(b.services.api).toEqual(a.services.api);
    expect(b.services.db).toEqual(a.services.db);
    expect(b.requests).toEqual(a.requests);
    expect(b.latency_ms).toEqual(a.latency_ms);
    expect(b.edges).toEqual(a.edges);
    expect(b.services.audit.requests.total).toBe(0);
  });

  it("leave a service's arrivals and service times unchanged when another service gets its own workload", () => {
    const a = JSON.parse(baseRun());
    const c = JSON.parse(runCli(withLoad));
    expect(c.services.audit.requests.total).toBeGreaterThan(4000);
    expect(c.services.api).toEqual(a.services.api);
    expect(c.services.db).toEqual(a.services.db);
    expect(edge(c, 'users', 'api')).toEqual(edge(a, 'users', 'api'));
    expect(edge(c, 'api', 'db')).toEqual(edge(a, 'api', 'db'));
    // The end-user totals now include batch's requests, so they differ.
    expect(c.requests.total).toBeGreaterThan(a.requests.total);
  });
});
