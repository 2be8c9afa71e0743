/**
 * Common random numbers: `compare` runs the same scenario and seed once per mode, and every mode
 * draws the same arrivals, request mix and service times, so differences between modes are the
 * mesh's, not the dice's. And a pod crash, in sidecar mode, is retried onto another pod by Istio's
 * default retry policy (connect-failure is in its retryOn list), which plain Kubernetes cannot do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResultsJson } from '../../src/report/results.js';
import { compare, MODES, scenarioFromYaml } from './run-scenario.js';

/**
 * A call graph with two entry points. `tail` is the workload schedule: by default the load stops
 * at 19 s of 20 s, so every request has finished by the end whatever the mode.
 */
function chainYaml(opts: { seed: number; warmup?: string; quietTail?: boolean }): string {
  const rate = (r: number) => (opts.quietTail === false ? `rate: ${r}` : `steps: [{at: 0s, rate: ${r}}, {at: 19s, rate: 0}]`);
  return `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: crn}
spec:
  seed: ${opts.seed}
  duration: 20s
  warmup: ${opts.warmup ?? '0s'}
  cluster: {nodes: 3}
  services:
    - name: frontend
      replicas: 3
      serviceTime: {distribution: exponential, mean: 2ms}
      calls: [{service: backend}, {service: cache}]
    - name: backend
      replicas: 2
      serviceTime: {distribution: lognormal, median: 3ms, p99: 20ms}
      calls: [{service: db}]
    - name: cache
      replicas: 2
      serviceTime: {distribution: exponential, mean: 500us}
    - name: db
      concurrency: 32
      serviceTime: {distribution: exponential, mean: 1ms}
  workload:
    - name: users
      target: frontend
      ${rate(300)}
      requests: [{path: /, weight: 3}, {path: /cart, weight: 1}]
    - name: batch
      target: backend
      ${rate(50)}
`;
}

const serviceCounts = (r: ResultsJson) => Object.fromEntries(Object.entries(r.services).map(([k, s]) => [k, s.requests.total]));
const edgeCounts = (r: ResultsJson) => Object.fromEntries(r.edges.map((e) => [`${e.source}→${e.destination}`, e.requests]));

describe('common random numbers across modes', () => {
  const SEEDS = [1, 3, 4, 8];
  const runs = new Map<number, Record<string, ResultsJson>>();

  beforeAll(() => {
    for (const seed of SEEDS) runs.set(seed, compare(scenarioFromYaml(chainYaml({ seed }))));
  });

  it.each(SEEDS)('seed %i: every mode sees the same end-user requests', (seed) => {
    const byMode = runs.get(seed) as Record<string, ResultsJson>;
    const totals = MODES.map((m) => byMode[m]?.requests.total);
    expect(totals[0]).toBeGreaterThan(6000);
    expect(new Set(totals).size).toBe(1);
    for (const m of MODES) expect(byMode[m]?.requests.failed).toBe(0);
  });

  it.each(SEEDS)('seed %i: every mode sees the same requests per service and per edge', (seed) => {
    const byMode = runs.get(seed) as Record<string, ResultsJson>;
    const none = byMode.none!;
    for (const m of ['sidecar', 'ambient']) {
      expect(serviceCounts(byMode[m]!)).toEqual(serviceCounts(none));
      expect(edgeCounts(byMode[m]!)).toEqual(edgeCounts(none));
    }
    // The call graph holds: each frontend request calls backend and cache once, each backend request db once.
    const s = serviceCounts(none);
    expect(s.cache).toBe(s.frontend);
    expect(s.db).toBe(s.backend);
  });

  it('different seeds draw different arrivals', () => {
    const totals = SEEDS.map((seed) => runs.get(seed)?.none?.requests.total);
    expect(new Set(totals).size).toBeGreaterThan(1);
  });

  it('modes differ where the mesh differs: latency', () => {
    const byMode = runs.get(1) as Record<string, ResultsJson>;
    expect(byMode.sidecar?.latency_ms.mean).toBeGreaterThan(byMode.none?.latency_ms.mean ?? Infinity);
    expect(byMode.ambient?.latency_ms.mean).toBeGreaterThan(byMode.none?.latency_ms.mean ?? Infinity);
  });

  it('with load up to the very end, the modes still see the same end-user requests', () => {
    for (const seed of SEEDS) {
      const byMode = compare(scenarioFromYaml(chainYaml({ seed, quietTail: false })));
      expect(new Set(MODES.map((m) => byMode[m]?.requests.total)).size, `seed ${seed}`).toBe(1);
    }
  });

  it('with a warmup, the modes still see the same requests per service', () => {
    for (const seed of [5, 6, 8]) {
      const byMode = compare(scenarioFromYaml(chainYaml({ seed, warmup: '2s' })));
      expect(serviceCounts(byMode.sidecar!), `seed ${seed}`).toEqual(serviceCounts(byMode.none!));
    }
  });
});

describe('a pod crash: Istio retries connect failures onto another pod', () => {
  const yaml = `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: crash}
spec:
  seed: 3
  duration: 20s
  cluster: {nodes: 3}
  services:
    - name: frontend
      replicas: 2
      serviceTime: {distribution: exponential, mean: 1ms}
      calls: [{service: payment}]
    - name: payment
      replicas: 3
      serviceTime: {distribution: exponential, mean: 5ms}
  workload:
    - {name: users, target: frontend, rate: 200}
  faults:
    - at: 5s
      target: {service: payment, pod: 0}
      inject: {crash: true}
`;
  let byMode: Record<string, ResultsJson>;

  beforeAll(() => {
    byMode = compare(scenarioFromYaml(yaml, 'crash.yaml'));
  });

  it('every mode sees the same end-user requests', () => {
    const totals = MODES.map((m) => byMode[m]!.requests.total);
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(2);
  });

  it('sidecar: the client sidecars retry the refused connections on another pod', () => {
    const sidecar = byMode.sidecar!;
    expect(sidecar.services.payment?.retries).toBeGreaterThan(0);
    expect(sidecar.services.frontend?.retries).toBe(0);
    // Retried attempts reached the two surviving pods, which carry the load after the crash.
    const pods = sidecar.services.payment?.pods ?? {};
    expect(pods['payment-v1-1']?.requests).toBeGreaterThan(0);
    expect(pods['payment-v1-2']?.requests).toBeGreaterThan(0);
    // Only what the crashed pod held at the crash is lost (reset mid-request: not retried by default).
    expect(sidecar.requests.failed).toBeLessThan(0.005 * sidecar.requests.total);
    expect(sidecar.requests.by_flag.URX).toBe(0);
  });

  it('sidecar fails fewer requests than mode none, which has no retries', () => {
    const none = byMode.none!;
    const sidecar = byMode.sidecar!;
    expect(none.services.payment?.retries).toBe(0);
    expect(none.requests.failed).toBeGreaterThan(0);
    expect(sidecar.requests.failed).toBeLessThan(none.requests.failed);
  });

  it('ambient without a waypoint has no L7 retries either', () => {
    const ambient = byMode.ambient!;
    expect(ambient.services.payment?.retries).toBe(0);
    expect(ambient.requests.failed).toBeGreaterThan(byMode.sidecar!.requests.failed);
  });

  it('mode none: a refused connection is not reused, so failures stay below connections opened', () => {
    const none = byMode.none!;
    expect(none.requests.failed).toBeLessThanOrEqual(none.connections.opened);
  });
});
