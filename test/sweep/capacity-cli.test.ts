/**
 * `meshsim capacity` end to end: on an M/M/c station the highest rate meeting a p99 objective is
 * known in closed form (Erlang C), and the search must land within 5 % of it; bad input exits 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';
import { erlangC } from '../kernel/queueing-theory.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-capacity-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });

/** P(T > t) for the time in an M/M/c FCFS system: service exp(μ) plus the Erlang C wait. */
function tail(c: number, mu: number, lambda: number, t: number): number {
  const C = erlangC(c, lambda / mu);
  const g = c * mu - lambda - mu;
  if (Math.abs(g) < 1e-9) return Math.exp(-mu * t) * (1 + C * mu * t);
  return Math.exp(-mu * t) * (1 + ((C * mu) / g) * (1 - Math.exp(-g * t)));
}
/** The λ at which the p99 of T equals `t` (P(T > t) = 1 %), by bisection. */
function lambdaAtP99(c: number, mu: number, t: number): number {
  let lo = 0;
  let hi = c * mu * 0.999999;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tail(c, mu, mid, t) < 0.01) lo = mid;
    else hi = mid;
  }
  return lo;
}

describe('meshsim capacity', () => {
  it('finds the Erlang C rate for a p99 objective on an M/M/c station within 5 %', () => {
    // scenarios/mmc.yaml: c = 4 slots, exponential 10 ms service (μ = 100/s), no network latency.
    const expected = lambdaAtP99(4, 100, 0.05);
    const out = join(tmp, 'mmc');
    const search = (workers: string, dir: string) =>
      cli(
        'capacity',
        repoPath('scenarios/mmc.yaml'),
        '--vary',
        'rate',
        '--slo',
        'p99<50ms',
        '--duration',
        '60s',
        '--seeds',
        '2',
        '--workers',
        workers,
        '--quiet',
        '--out',
        dir,
      );
    const r = search('2', out);
    expect(r.status, r.stderr).toBe(0);
    const c = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'));
    expect(c.vary).toBe('rate');
    expect(Math.abs(c.answer / expected - 1)).toBeLessThan(0.05);
    expect(c.bracket[0]).toBe(c.answer);
    expect(c.points.find((p: { value: number }) => p.value === c.answer).passed).toBe(true);
    expect(c.points.find((p: { value: number }) => p.value === c.bracket[1]).passed).toBe(false);
    expect(readFileSync(join(out, 'capacity.html'), 'utf8')).toContain('meshsim capacity');
    expect(r.stdout).toMatch(/answer: highest rate meeting the SLO = [\d.]+ req\/s \(bracket /);
    // Every value's two seeds ran on the same pool of threads (one worker reused for the whole
    // search, pool.ts); one thread alone gives the same file, byte for byte.
    const alone = join(tmp, 'mmc-one-thread');
    const one = search('1', alone);
    expect(one.status, one.stderr).toBe(0);
    expect(readFileSync(join(alone, 'capacity.json'), 'utf8')).toBe(readFileSync(join(out, 'capacity.json'), 'utf8'));
  });

  it('rejects an unsatisfiable SLO with a positioned error and exit 2, writing nothing', () => {
    const out = join(tmp, 'bad');
    const r = cli('capacity', repoPath('scenarios/mmc.yaml'), '--vary', 'rate', '--slo', 'p99<250ms,errors<0%', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^meshsim:1:11: error: --slo: "errors<0%": an error rate below 0 can never be met/);
    expect(() => readFileSync(join(out, 'capacity.json'))).toThrow();
  });

  it('rejects a bad --vary and an unknown service', () => {
    expect(cli('capacity', repoPath('scenarios/mmc.yaml'), '--vary', 'speed', '--slo', 'p99<1s').status).toBe(2);
    const r = cli('capacity', repoPath('scenarios/mmc.yaml'), '--vary', 'replicas:nope', '--slo', 'p99<1s');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no such entry in spec.services');
  });
});
