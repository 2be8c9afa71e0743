/**
 * Capacity search: the highest rate (or the fewest replicas / nodes) at which a scenario still
 * meets its SLO. Whole runs are the unit: a value passes only if the run of every one of the K
 * seeds passes. The search brackets the answer by doubling or halving from the scenario's own
 * value, then bisects the bracket (to 1 % for rates, to 1 for counts). It assumes monotonicity
 * (more load never helps, more replicas never hurt) and records every point it ran.
 */
import type { SloModel } from '../config/model.js';
import type { PathSegment } from '../config/yaml-source.js';
import { parsePath } from './grid.js';
import type { PointResult } from './point.js';

export type Vary = { kind: 'rate' } | { kind: 'replicas'; service: string } | { kind: 'nodes' };

export interface CapacitySlo extends SloModel {
  /** Mean end-user latency limit (µs), an extension of spec.slo for capacity searches. */
  meanUs?: number;
}

export interface SeedOutcome {
  seed: number;
  passed: boolean;
  requests: number;
  unfinished: number;
  error_rate: number;
  latency_ms: { mean: number; p50: number; p90: number; p99: number; p999: number };
  failed: string[];
}

export interface CapacityPoint {
  value: number;
  passed: boolean;
  /** The worst seed's figures (highest latency, highest error rate). */
  p99_ms: number;
  mean_ms: number;
  error_rate: number;
  /** What failed, from every failing seed ("p99 312.5 ms ≥ 250 ms (seed 43)"). */
  failed: string[];
  seeds: SeedOutcome[];
}

export interface CapacitySearch {
  answer: number | null;
  bracket: [number, number] | null;
  points: CapacityPoint[];
}

/** `rate`, `replicas:SERVICE` or `nodes`. */
export function parseVary(text: string): Vary | string {
  const t = text.trim();
  if (t === 'rate') return { kind: 'rate' };
  if (t === 'nodes') return { kind: 'nodes' };
  const m = /^replicas:([a-z][-a-z0-9.]*)$/.exec(t);
  if (m) return { kind: 'replicas', service: m[1]! };
  return `expected rate, replicas:SERVICE or nodes, got "${text}"`;
}

export const varyName = (v: Vary) => (v.kind === 'replicas' ? `replicas:${v.service}` : v.kind);

const LATENCY_KEYS: Record<string, keyof CapacitySlo> = {
  p50: 'p50Us',
  p90: 'p90Us',
  p99: 'p99Us',
  p999: 'p999Us',
  'p99.9': 'p999Us',
  mean: 'meanUs',
};
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s)$/;
const DURATION_US: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6 };

/**
 * An SLO string: comma-separated terms, each `KEY<VALUE` or `KEY=VALUE` (= reads as the SLO
 * bound, as in spec.slo). Keys: p50, p90, p99, p999 (or p99.9), mean — durations, met when
 * below; successRate — a fraction, met at or above; errors — a percentage or fraction, met
 * when below (`errors<0.1%` is successRate ≥ 0.999). Returns an error with the column of the
 * bad term (1-based) when the string is malformed or can never be met.
 */
export function parseSlo(text: string): CapacitySlo | { error: string; col: number } {
  const slo: CapacitySlo = {};
  let col = 1;
  const terms = text.split(',');
  if (text.trim() === '') return { error: 'empty SLO: give e.g. p99<250ms,errors<0.1%', col: 1 };
  for (const raw of terms) {
    const at = col + (raw.length - raw.trimStart().length);
    col += raw.length + 1;
    const term = raw.trim();
    const m = /^([A-Za-z0-9.]+)\s*(<=|<|=|>=|>)\s*(.+)$/.exec(term);
    if (!m) return { error: `"${term}": expected KEY<VALUE, e.g. p99<250ms or errors<0.1%`, col: at };
    const [, key, op, value] = m as unknown as [string, string, string, string];
    const latencyKey = LATENCY_KEYS[key];
    if (latencyKey) {
      if (op !== '<' && op !== '<=' && op !== '=') return { error: `"${term}": a latency objective is an upper bound (${key}<…)`, col: at };
      const d = DURATION.exec(value.trim());
      const unitUs = DURATION_US[d?.[2] ?? ''];
      if (!d || unitUs === undefined) return { error: `"${term}": ${value} is not a duration such as 250ms`, col: at };
      const us = Number(d[1]) * unitUs;
      if (us <= 0) return { error: `"${term}": a latency below ${value} can never be met`, col: at };
      if (slo[latencyKey] !== undefined) return { error: `"${term}": ${key} is given twice`, col: at };
      (slo as Record<string, number>)[latencyKey] = us;
      continue;
    }
    if (key === 'successRate') {
      if (op !== '>=' && op !== '=' && op !== '>')
        return { error: `"${term}": successRate is a lower bound (successRate>=0.999)`, col: at };
      const r = Number(value);
      if (!Number.isFinite(r) || r < 0) return { error: `"${term}": ${value} is not a fraction from 0 to 1`, col: at };
      if (r > 1 || (op === '>' && r >= 1)) return { error: `"${term}": a success rate above 100 % can never be met`, col: at };
      if (slo.successRate !== undefined) return { error: `"${term}": the success rate is given twice`, col: at };
      slo.successRate = r;
      continue;
    }
    if (key === 'errors' || key === 'errorRate') {
      if (op !== '<' && op !== '<=' && op !== '=') return { error: `"${term}": errors is an upper bound (errors<0.1%)`, col: at };
      const pm = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value.trim());
      if (!pm) return { error: `"${term}": ${value} is not a percentage (0.1%) or a fraction (0.001)`, col: at };
      const frac = pm[2] === '%' ? Number(pm[1]) / 100 : Number(pm[1]);
      if (frac > 1) return { error: `"${term}": an error rate above 100 % is meaningless`, col: at };
      if (op === '<' && frac <= 0) return { error: `"${term}": an error rate below 0 can never be met`, col: at };
      if (slo.successRate !== undefined) return { error: `"${term}": the success rate is given twice`, col: at };
      // errors<x: the error rate must stay below x; successRate ≥ 1 − x is the same bound at the edge.
      slo.successRate = 1 - frac;
      continue;
    }
    return { error: `"${term}": unknown objective "${key}" (use p50, p90, p99, p999, mean, successRate, errors)`, col: at };
  }
  return slo;
}

export const sloEmpty = (s: CapacitySlo) => Object.values(s).every((v) => v === undefined);

/** A run against the SLO: latencies must be below their limits, the success rate (unfinished requests count as failed) at or above. */
export function checkPoint(slo: CapacitySlo, r: PointResult, unfinished: number): string[] {
  const failed: string[] = [];
  const lat = (name: string, limitUs: number | undefined, ms: number) => {
    if (limitUs !== undefined && !(ms < limitUs / 1000)) failed.push(`${name} ${ms} ms ≥ ${limitUs / 1000} ms`);
  };
  lat('mean', slo.meanUs, r.latency_ms.mean);
  lat('p50', slo.p50Us, r.latency_ms.p50);
  lat('p90', slo.p90Us, r.latency_ms.p90);
  lat('p99', slo.p99Us, r.latency_ms.p99);
  lat('p99.9', slo.p999Us, r.latency_ms.p999);
  if (slo.successRate !== undefined) {
    const all = r.requests.total + unfinished;
    const rate = all ? (r.requests.total - r.requests.failed) / all : 1;
    if (rate < slo.successRate) failed.push(`success rate ${rate.toFixed(5)} < ${slo.successRate}`);
  }
  return failed;
}

/** Rounds a rate to 4 significant digits so bisection values stay readable. */
export const tidy = (x: number) => (x === 0 ? 0 : Number(x.toPrecision(4)));

export interface SearchOptions {
  /** `max`: the highest passing value (rates); `min`: the lowest passing value (replicas, nodes). */
  goal: 'max' | 'min';
  start: number;
  integer: boolean;
  /** Relative width at which a real-valued search stops. */
  relTolerance?: number;
  /** Bounds of the search (inclusive). */
  lowest: number;
  highest: number;
  evaluate: (value: number) => Promise<CapacityPoint>;
}

/** Brackets, then bisects. Every evaluated point is kept, sorted by value. */
export async function searchCapacity(o: SearchOptions): Promise<CapacitySearch> {
  const points = new Map<number, CapacityPoint>();
  const pass = async (v: number): Promise<boolean> => {
    const seen = points.get(v);
    if (seen) return seen.passed;
    const p = await o.evaluate(v);
    points.set(v, p);
    return p.passed;
  };
  const norm = (v: number) => (o.integer ? Math.round(v) : tidy(v));
  const done = (answer: number | null, bracket: [number, number] | null): CapacitySearch => ({
    answer,
    bracket,
    points: [...points.values()].sort((a, b) => a.value - b.value),
  });
  const tol = o.relTolerance ?? 0.01;
  const start = Math.min(o.highest, Math.max(o.lowest, norm(o.start)));

  if (o.goal === 'max') {
    // Passing below, failing above: [lo passes, hi fails].
    let lo: number;
    let hi: number;
    if (await pass(start)) {
      lo = start;
      hi = norm(Math.min(o.highest, start * 2));
      while (hi > lo && (await pass(hi))) {
        lo = hi;
        if (hi >= o.highest) return done(lo, [lo, lo]);
        hi = norm(Math.min(o.highest, hi * 2));
      }
    } else {
      hi = start;
      lo = norm(start / 2);
      while (!(await pass(lo))) {
        hi = lo;
        if (lo <= o.lowest) return done(null, [0, hi]);
        lo = norm(Math.max(o.lowest, lo / 2));
      }
    }
    while (hi - lo > (o.integer ? 1 : tol * hi)) {
      const mid = norm((lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      if (await pass(mid)) lo = mid;
      else hi = mid;
    }
    return done(lo, [lo, hi]);
  }

  // goal min: failing below, passing above: [lo fails, hi passes].
  let lo: number;
  let hi: number;
  if (await pass(start)) {
    hi = start;
    lo = norm(Math.max(o.lowest - 1, Math.floor(start / 2)));
    while (lo >= o.lowest && (await pass(lo))) {
      hi = lo;
      lo = norm(Math.max(o.lowest - 1, Math.floor(lo / 2)));
    }
    if (lo < o.lowest) return done(hi, [lo, hi]);
  } else {
    lo = start;
    hi = norm(Math.min(o.highest, start * 2));
    while (!(await pass(hi))) {
      lo = hi;
      if (hi >= o.highest) return done(null, [lo, lo]);
      hi = norm(Math.min(o.highest, hi * 2));
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await pass(mid)) hi = mid;
    else lo = mid;
  }
  return done(hi, [lo, hi]);
}

/** Combines the K seeds of one value: it passes only if every seed passes. */
export function combineSeeds(value: number, seeds: SeedOutcome[]): CapacityPoint {
  return {
    value,
    passed: seeds.every((s) => s.passed),
    p99_ms: Math.max(...seeds.map((s) => s.latency_ms.p99)),
    mean_ms: Math.max(...seeds.map((s) => s.latency_ms.mean)),
    error_rate: Math.max(...seeds.map((s) => s.error_rate)),
    failed: seeds.flatMap((s) => s.failed.map((f) => `${f} (seed ${s.seed})`)),
    seeds,
  };
}

/** What a value means in the scenario document: the `--set`-style assignments that put it there. */
export interface VaryTarget {
  /** The scenario's own value (the search starts there). */
  start: number;
  integer: boolean;
  goal: 'max' | 'min';
  lowest: number;
  highest: number;
  assignments: (value: number) => Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** Reads the scenario document (plain JS from its YAML) to see how `vary` maps onto fields. */
export function varyTarget(vary: Vary, doc: Json): VaryTarget | string {
  const spec = (doc.spec ?? {}) as Json;
  if (vary.kind === 'rate') {
    const workloads = (spec.workload ?? []) as Json[];
    const parts: { path: string; base: number }[] = [];
    let peak = 0;
    for (const [i, w] of workloads.entries()) {
      if (w.users !== undefined)
        return `--vary rate needs open-loop workloads (rate, ramp or steps); workload ${String(w.name)} is closed-loop (users)`;
      if (typeof w.rate === 'number') {
        parts.push({ path: `spec.workload[${i}].rate`, base: w.rate });
        peak += w.rate;
      } else if (w.ramp && typeof w.ramp === 'object') {
        const r = w.ramp as Json;
        parts.push(
          { path: `spec.workload[${i}].ramp.from`, base: Number(r.from) },
          { path: `spec.workload[${i}].ramp.to`, base: Number(r.to) },
        );
        peak += Math.max(Number(r.from), Number(r.to));
      } else if (Array.isArray(w.steps)) {
        (w.steps as Json[]).forEach((s, j) => parts.push({ path: `spec.workload[${i}].steps[${j}].rate`, base: Number(s.rate) }));
        peak += Math.max(...(w.steps as Json[]).map((s) => Number(s.rate)));
      }
    }
    if (!(peak > 0)) return '--vary rate: the scenario has no positive workload rate to scale';
    return {
      start: peak,
      integer: false,
      goal: 'max',
      lowest: peak / 4096,
      highest: peak * 4096,
      // Every workload keeps its share of the total peak rate.
      assignments: (value) => Object.fromEntries(parts.map((p) => [p.path, Number(((p.base * value) / peak).toPrecision(9))])),
    };
  }
  if (vary.kind === 'replicas') {
    const services = (spec.services ?? []) as Json[];
    const [name, ns] = vary.service.split('.');
    const i = services.findIndex((s) => s.name === name && (ns === undefined || (s.namespace ?? 'default') === ns));
    if (i < 0)
      return `--vary replicas:${vary.service}: no such entry in spec.services (services: ${services.map((s) => String(s.name)).join(', ') || 'none'})`;
    const s = services[i]!;
    const versions = s.versions as Json[] | undefined;
    if (versions && versions.length > 1)
      return `--vary replicas:${vary.service}: the service has ${versions.length} versions; give it one, or use replicas`;
    const path = versions ? `spec.services[${i}].versions[0].replicas` : `spec.services[${i}].replicas`;
    const start = Number(versions ? versions[0]!.replicas : (s.replicas ?? 1));
    return { start: Math.max(1, start), integer: true, goal: 'min', lowest: 1, highest: 4096, assignments: (v) => ({ [path]: v }) };
  }
  const cluster = (spec.cluster ?? {}) as Json;
  const nodes = cluster.nodes ?? 3;
  if (typeof nodes === 'number')
    return { start: nodes, integer: true, goal: 'min', lowest: 1, highest: 1000, assignments: (v) => ({ 'spec.cluster.nodes': v }) };
  const list = nodes as Json[];
  // A node list: the value is the number of nodes, cycling through the listed shapes and zones.
  return {
    start: list.length,
    integer: true,
    goal: 'min',
    lowest: 1,
    highest: 1000,
    assignments: (v) => ({
      'spec.cluster.nodes': Array.from({ length: v }, (_, k) => ({ ...list[k % list.length]!, name: `node-${k}` })),
    }),
  };
}

/** Paths of the assignments, for the sweep point runner. */
export function pathsOf(assignments: Record<string, unknown>): Record<string, PathSegment[]> {
  return Object.fromEntries(Object.keys(assignments).map((k) => [k, parsePath(k) as PathSegment[]]));
}
