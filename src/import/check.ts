/**
 * `meshsim import --check`: simulates the imported scenario and sets what was observed beside what
 * the simulation gives, per edge (rate, p50, p99) with the relative error. Like is compared with
 * like: an import from metrics reads the simulation's own Istio metrics the same way (Istio's
 * buckets, histogram_quantile); an import from traces compares with the simulated calls' exact
 * latencies and rates.
 */
import type { Scenario } from '../config/model.js';
import { simulate } from '../sim/simulate.js';
import { buildResults } from '../report/results.js';
import { runObservers } from '../report/outputs.js';
import { toOpenMetrics } from '../report/openmetrics.js';
import { readMetricsText, trafficFromMetrics } from './metrics.js';
import type { Traffic } from './traffic.js';

export interface CheckRow {
  source: string;
  destination: string;
  observed: { rate: number; p50?: number; p99?: number };
  simulated?: { rate: number; p50?: number; p99?: number };
}

const EPOCH_MS = Date.UTC(2026, 0, 1);

/** Simulated figures per edge `source → destination` (names as in results.json edges). */
export function simulatedEdges(
  scenario: Scenario,
  kind: Traffic['kind'],
  seed?: number,
): Map<string, { rate: number; p50?: number; p99?: number }> {
  const obs = runObservers(scenario, { seed, outputs: new Set(kind === 'metrics' ? ['metrics'] : ['results']) });
  const state = simulate(scenario, { seed, observers: obs.list });
  const out = new Map<string, { rate: number; p50?: number; p99?: number }>();
  if (kind === 'metrics') {
    obs.metrics.finish(state.durationUs);
    const w = readMetricsText(toOpenMetrics(obs.metrics.families(), EPOCH_MS), 'simulated', {});
    for (const e of trafficFromMetrics(w).edges)
      out.set(`${e.source}\u0000${e.destination}`, { rate: e.ratePerS, p50: e.p50Ms, p99: e.p99Ms });
    return out;
  }
  const r = buildResults(state);
  const spanS = (state.durationUs - Math.min(scenario.warmupUs, state.durationUs)) / 1e6;
  for (const e of r.edges)
    out.set(`${e.source}\u0000${e.destination}`, { rate: e.requests / spanS, p50: e.latency_ms.p50, p99: e.latency_ms.p99 });
  return out;
}

export function checkRows(
  traffic: Traffic,
  simulated: Map<string, { rate: number; p50?: number; p99?: number }>,
  rename: (key: string) => string,
): CheckRow[] {
  return traffic.edges.map((e) => {
    const source = rename(e.source);
    const destination = rename(e.destination);
    return {
      source,
      destination,
      observed: { rate: e.ratePerS, p50: e.p50Ms, p99: e.p99Ms },
      simulated: simulated.get(`${source}\u0000${destination}`),
    };
  });
}

export const relError = (observed: number | undefined, simulated: number | undefined): number | undefined =>
  observed === undefined || simulated === undefined || !(observed > 0) ? undefined : (simulated - observed) / observed;

const pct = (e: number | undefined) => (e === undefined ? '-' : `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`);
const num = (x: number | undefined, unit: string) => (x === undefined || !Number.isFinite(x) ? '-' : `${Number(x.toPrecision(4))}${unit}`);

/** The table `--check` prints. */
export function formatCheck(rows: CheckRow[]): string {
  const head = ['edge', 'rate obs', 'rate sim', 'err', 'p50 obs', 'p50 sim', 'err', 'p99 obs', 'p99 sim', 'err'];
  const body = rows.map((r) => [
    `${r.source} → ${r.destination}`,
    num(r.observed.rate, '/s'),
    num(r.simulated?.rate, '/s'),
    pct(relError(r.observed.rate, r.simulated?.rate ?? 0)),
    num(r.observed.p50, 'ms'),
    num(r.simulated?.p50, 'ms'),
    pct(relError(r.observed.p50, r.simulated?.p50)),
    num(r.observed.p99, 'ms'),
    num(r.simulated?.p99, 'ms'),
    pct(relError(r.observed.p99, r.simulated?.p99)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
