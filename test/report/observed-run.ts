/**
 * Shared by the report and telemetry tests: a small shop scenario (fan-out, versions, a failing
 * service, a fault and a crash, a service that drops trace headers), run through the real loader
 * and simulate() with the report observers, rendered into every file `meshsim run` writes.
 */
import { loadScenarioSource } from '../../src/analysis/load.js';
import type { MeshMode, Scenario } from '../../src/config/model.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { buildReportHtml } from '../../src/report/html/report.js';
import { renderRunFiles, runObservers, type RunFiles, type RunObservers } from '../../src/report/outputs.js';
import { buildResults, type ResultsJson } from '../../src/report/results.js';
import { simulate, type SimulationState } from '../../src/sim/simulate.js';
import { TimeSeriesObserver, type TimeSeriesJson } from '../../src/telemetry/timeseries.js';

export const EPOCH = { iso: '2026-01-01T00:00:00Z', ms: Date.UTC(2026, 0, 1) };

export const SHOP = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata:
  name: shop
  description: A small shop for the report tests.
spec:
  seed: 11
  duration: 30s
  warmup: 2s
  mesh: {mode: sidecar}
  cluster:
    nodes: 3
  services:
    - name: frontend
      replicas: 2
      concurrency: 32
      serviceTime: {distribution: lognormal, median: 2ms, p99: 10ms}
      calls:
        - {service: catalog, path: /api/products}
        - {service: reviews, path: /api/reviews, onFailure: ignore}
    - name: catalog
      replicas: 2
      serviceTime: {distribution: exponential, mean: 2ms}
      propagatesTraceHeaders: false
      calls:
        - {service: inventory, path: /api/stock}
    - name: reviews
      versions:
        - {name: v1, replicas: 1}
        - {name: v2, replicas: 1}
      serviceTime: {distribution: exponential, mean: 3ms}
    - name: inventory
      replicas: 2
      serviceTime: {distribution: exponential, mean: 1ms}
      failure: {rate: 0.02, status: 503}
  workload:
    - name: users
      target: frontend
      rate: 120
      requests:
        - {method: GET, path: /, headers: {x-canary: "true"}}
  faults:
    - at: 8s
      until: 14s
      target: {service: reviews, version: v2, pod: 0}
      inject: {errorRate: 0.5, status: 503}
    - at: 16s
      until: 22s
      target: {service: inventory, pod: 1}
      inject: {crash: true}
`;

export function scenarioFromYaml(text: string, file = 'shop.yaml'): Scenario {
  return loadScenarioSource(new YamlSource(file, text)).scenario;
}

export interface ObservedRun {
  scenario: Scenario;
  state: SimulationState;
  results: ResultsJson;
  obs: RunObservers;
  files: RunFiles;
}

export function observedRun(
  scenario: Scenario,
  o: { mode?: MeshMode; seed?: number; durationUs?: number; traceSampleRate?: number } = {},
): ObservedRun {
  const obs = runObservers(scenario, o);
  const state = simulate(scenario, { mode: o.mode, seed: o.seed, durationUs: o.durationUs, observers: obs.list });
  const results = buildResults(state);
  const files = renderRunFiles(state, results, obs, EPOCH, buildReportHtml) as RunFiles;
  return { scenario, state, results, obs, files };
}

/** Every mode of a scenario with a time-series observer each, as `meshsim compare` runs them. */
export function comparedRuns(
  scenario: Scenario,
  modes: MeshMode[] = ['none', 'sidecar', 'ambient'],
  durationUs?: number,
): { modes: Record<string, ResultsJson>; series: Record<string, TimeSeriesJson> } {
  const out: Record<string, ResultsJson> = {};
  const series: Record<string, TimeSeriesJson> = {};
  for (const mode of modes) {
    const d = durationUs ?? scenario.durationUs;
    const ts = new TimeSeriesObserver(d, Math.min(scenario.warmupUs, d));
    out[mode] = buildResults(simulate(scenario, { mode, durationUs, observers: [ts] }));
    series[mode] = ts.toJson();
  }
  return { modes: out, series };
}

export const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '"><svg onload=alert(3)>',
  "'; alert(4); '",
  '</style><script>alert(5)</script>',
  '&lt;b&gt;not bold&lt;/b&gt;',
];

/** The shop, with hostile text wherever a scenario takes free text. */
export const HOSTILE_SHOP = SHOP.replace(
  'description: A small shop for the report tests.',
  `description: ${JSON.stringify(`Hostile ${HOSTILE.join(' ')} and \`code ${HOSTILE[0]}\``)}`,
)
  .replace(
    '{method: GET, path: /, headers: {x-canary: "true"}}',
    `{method: GET, path: ${JSON.stringify(`/${HOSTILE[1]}`)}, headers: {x-evil: ${JSON.stringify(HOSTILE[2])}}}`,
  )
  .replace('{service: catalog, path: /api/products}', `{service: catalog, path: ${JSON.stringify(`/p${HOSTILE[4]}`)}}`);

/** A results.json whose names (free text to a report builder) are hostile too. */
export function hostileResults(r: ResultsJson): ResultsJson {
  const evil = (s: string) => `${s}${HOSTILE[0]}`;
  const services: ResultsJson['services'] = {};
  for (const [k, v] of Object.entries(r.services))
    services[evil(k)] = { ...v, pods: Object.fromEntries(Object.entries(v.pods).map(([p, x]) => [evil(p), x])) };
  return {
    ...r,
    scenario: evil(r.scenario),
    mode: `sidecar${HOSTILE[2]}`,
    profile: HOSTILE[1]!,
    services,
    edges: r.edges.map((e) => ({
      ...e,
      source: evil(e.source),
      destination: evil(e.destination),
      by_code: { ...e.by_code, [HOSTILE[3]!]: 1 },
    })),
    resources: {
      ...r.resources,
      by_component: Object.fromEntries(Object.entries(r.resources.by_component).map(([c, u]) => [c === 'app' ? evil(c) : c, u])),
    },
  };
}
