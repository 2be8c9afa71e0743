/** The capacity search: bracketing and bisection over whole runs; SLO strings. */
import { describe, expect, it } from 'vitest';
import { combineSeeds, parseSlo, searchCapacity, varyTarget, type CapacityPoint } from '../../src/sweep/capacity.js';

const seed = (s: number, passed: boolean) => ({
  seed: s,
  passed,
  requests: 100,
  unfinished: 0,
  error_rate: 0,
  latency_ms: { mean: 1, p50: 1, p90: 1, p99: 1, p999: 1 },
  failed: passed ? [] : ['p99 2 ms ≥ 1 ms'],
});
/** A synthetic system: seed k passes up to threshold × (1 + k/100). */
const system =
  (threshold: number, seeds = [0, 1]) =>
  async (v: number): Promise<CapacityPoint> =>
    combineSeeds(
      v,
      seeds.map((k) => seed(k, v <= threshold * (1 + k / 100))),
    );

describe('capacity search', () => {
  it('finds the highest passing rate within 1 %, bracketing up from the scenario value', async () => {
    const r = await searchCapacity({ goal: 'max', start: 100, integer: false, lowest: 1, highest: 1e6, evaluate: system(737) });
    expect(r.answer).toBeGreaterThan(737 * 0.99);
    expect(r.answer).toBeLessThanOrEqual(737);
    const [lo, hi] = r.bracket as [number, number];
    expect(lo).toBe(r.answer);
    expect((hi - lo) / hi).toBeLessThanOrEqual(0.01);
    expect(r.points.map((p) => p.value)).toEqual([...r.points.map((p) => p.value)].sort((a, b) => a - b));
  });

  it('brackets down when the scenario value already fails', async () => {
    const r = await searchCapacity({ goal: 'max', start: 1000, integer: false, lowest: 1, highest: 1e6, evaluate: system(90) });
    expect(r.answer).toBeGreaterThan(89);
    expect(r.answer).toBeLessThanOrEqual(90);
  });

  it('passes a point only if every seed passes (the strictest seed decides)', async () => {
    // Seed 1 would pass up to 101, seed 0 only up to 100.
    const r = await searchCapacity({ goal: 'max', start: 50, integer: true, lowest: 1, highest: 1e6, evaluate: system(100) });
    expect(r.answer).toBe(100);
    expect(r.bracket).toEqual([100, 101]);
  });

  it('finds the fewest replicas exactly', async () => {
    const needs = (n: number) => async (v: number) => combineSeeds(v, [seed(0, v >= n)]);
    for (const [start, n] of [
      [3, 7],
      [20, 7],
      [7, 7],
      [5, 1],
    ] as const) {
      const r = await searchCapacity({ goal: 'min', start, integer: true, lowest: 1, highest: 4096, evaluate: needs(n) });
      expect(r.answer, `start ${start}`).toBe(n);
    }
  });

  it('says so when nothing passes', async () => {
    const never = async (v: number) => combineSeeds(v, [seed(0, false)]);
    const r = await searchCapacity({ goal: 'min', start: 2, integer: true, lowest: 1, highest: 16, evaluate: never });
    expect(r.answer).toBeNull();
  });
});

describe('SLO strings', () => {
  it("reads 'p99<250ms,errors<0.1%' and spec.slo's own form", () => {
    expect(parseSlo('p99<250ms,errors<0.1%')).toEqual({ p99Us: 250_000, successRate: 0.999 });
    expect(parseSlo('p99=250ms,successRate=0.999')).toEqual({ p99Us: 250_000, successRate: 0.999 });
    expect(parseSlo('mean<20ms')).toEqual({ meanUs: 20_000 });
  });
  it('rejects unsatisfiable or malformed objectives with the column of the bad term', () => {
    expect(parseSlo('p99<250ms, errors<0%')).toEqual({ error: expect.stringContaining('can never be met'), col: 12 });
    expect(parseSlo('successRate>=1.5')).toMatchObject({ error: expect.stringContaining('can never be met'), col: 1 });
    expect(parseSlo('p99<0ms')).toMatchObject({ error: expect.stringContaining('can never be met') });
    expect(parseSlo('p99>250ms')).toMatchObject({ error: expect.stringContaining('upper bound') });
    expect(parseSlo('latency<1s')).toMatchObject({ error: expect.stringContaining('unknown objective') });
  });
});

describe('what --vary changes', () => {
  const doc = {
    spec: {
      services: [{ name: 'web', replicas: 3 }],
      workload: [
        { name: 'a', rate: 100 },
        { name: 'b', ramp: { from: 50, to: 300, over: '60s' } },
      ],
    },
  };
  it('scales every workload by its share of the total peak rate', () => {
    const t = varyTarget({ kind: 'rate' }, doc);
    if (typeof t === 'string') throw new Error(t);
    expect(t.start).toBe(400);
    expect(t.assignments(800)).toEqual({
      'spec.workload[0].rate': 200,
      'spec.workload[1].ramp.from': 100,
      'spec.workload[1].ramp.to': 600,
    });
  });
  it('sets replicas and node counts', () => {
    const r = varyTarget({ kind: 'replicas', service: 'web' }, doc);
    if (typeof r === 'string') throw new Error(r);
    expect(r.assignments(5)).toEqual({ 'spec.services[0].replicas': 5 });
    expect(varyTarget({ kind: 'replicas', service: 'nope' }, doc)).toMatch(/no such entry/);
    const n = varyTarget({ kind: 'nodes' }, doc);
    if (typeof n === 'string') throw new Error(n);
    expect(n.start).toBe(3);
  });
});
