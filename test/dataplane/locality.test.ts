/**
 * Locality-aware load balancing in runs (sidecar mode):
 * - Istio enables locality LB by default (istio/api mesh/v1alpha1/config.proto localityLbSetting)
 *   but sets failover priorities only when the cluster has outlierDetection (istio/istio
 *   pilot/pkg/xds/endpoints/endpoint_builder.go, pilot/pkg/networking/core/loadbalancer/loadbalancer.go);
 * - Envoy spills load from an unhealthy priority with the overprovisioning factor 1.4
 *   (envoyproxy/envoy source/common/upstream/load_balancer_impl.cc recalculatePerPriorityState);
 * - `distribute` weights localities (loadbalancer.go applyLocalityWeights; Envoy locality weighted LB,
 *   docs/root/intro/arch_overview/upstream/load_balancing/locality_weight.rst).
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/report/results.js';
import { runWarnings } from '../../src/sim/warnings.js';
import { scenarioFromYaml } from './run-scenario.js';

interface Opts {
  od?: boolean;
  lb?: string;
  faults?: string;
  nodes?: string;
}

const NODES = `
      - {name: a-1, zone: zone-a}
      - {name: a-2, zone: zone-a}
      - {name: b-1, zone: zone-b}
      - {name: b-2, zone: zone-b}`;

/** The shipped locality-failover layout: api-v1-1, -2 and -5 land in zone-a, the other three in zone-b. */
const yaml = (o: Opts) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: locality-failover}
spec:
  seed: 11
  duration: 60s
  mesh: {mode: sidecar}
  cluster:
    nodes:${o.nodes ?? NODES}
  services:
    - {name: frontend, replicas: 2, node: a-1, serviceTime: 2ms, calls: [{service: api}]}
    - {name: api, replicas: 6, serviceTime: 5ms}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      trafficPolicy:
        tls: {mode: ISTIO_MUTUAL}
        ${o.od === false ? '' : 'outlierDetection: {consecutive5xxErrors: 5, interval: 5s, baseEjectionTime: 300s, maxEjectionPercent: 100}'}
        ${o.lb ?? ''}
  workload:
    - {name: users, target: frontend, rate: 200, from: {node: a-2}}
${o.faults ? `  faults:\n${o.faults}` : ''}`;

const run = (o: Opts) => {
  const state = simulate(scenarioFromYaml(yaml(o)));
  return { state, results: buildResults(state) };
};

const edge = (r: ReturnType<typeof buildResults>) => r.edges.find((e) => e.source === 'frontend' && e.destination === 'api')!;
const share = (r: ReturnType<typeof buildResults>) => edge(r).cross_zone / edge(r).requests;
const failing = (pods: number[]) =>
  pods.map((p) => `    - {at: 0s, target: {service: api, pod: ${p}}, inject: {errorRate: 1.0, status: 503}}`).join('\n');

describe('locality-aware load balancing', () => {
  it('places api-v1-1, -2 and -5 in zone-a (the layout the other cases rely on)', () => {
    const { results } = run({});
    const zoneA = Object.entries(results.services.api!.pods)
      .filter(([, p]) => p.node.startsWith('a-'))
      .map(([n]) => n);
    expect(zoneA).toEqual(['api-v1-1', 'api-v1-2', 'api-v1-5']);
  });

  it('locality with outlier detection keeps ~100% in-zone', () => {
    const { results } = run({});
    expect(edge(results).requests).toBeGreaterThan(11000);
    expect(share(results)).toBe(0);
    expect(results.resources.cross_zone.requests).toBe(0);
  });

  it('without outlierDetection Istio sets no priorities: calls spread over both zones (~half cross)', () => {
    const { results } = run({ od: false });
    expect(share(results)).toBeGreaterThan(0.45);
    expect(share(results)).toBeLessThan(0.55);
  });

  it('localityLbSetting.enabled: false turns failover priorities off even with outlierDetection', () => {
    const { results } = run({ lb: 'loadBalancer: {localityLbSetting: {enabled: false}}' });
    expect(share(results)).toBeGreaterThan(0.45);
  });

  it('one of three local pods ejected: Envoy keeps min(100, 1.4 × 2/3) = 93% local and spills 7% to zone-b', () => {
    const { results } = run({ faults: failing([1]) });
    // The first five 503s before the ejection are the only failures.
    expect(results.requests.failed).toBeLessThan(20);
    expect(share(results)).toBeGreaterThan(0.06);
    expect(share(results)).toBeLessThan(0.08);
  });

  it('two of three local pods ejected: 1.4 × 1/3 = 46% stays local, 54% crosses', () => {
    const { results } = run({ faults: failing([1, 2]) });
    expect(share(results)).toBeGreaterThan(0.51);
    expect(share(results)).toBeLessThan(0.57);
  });

  it('every local pod ejected: everything fails over to zone-b', () => {
    const { results } = run({ faults: failing([1, 2, 5]) });
    expect(share(results)).toBeGreaterThan(0.99);
  });

  it('distribute {zone-a: 80, zone-b: 20} sends ~20% across, without outlierDetection', () => {
    const { results } = run({
      od: false,
      lb: `loadBalancer: {localityLbSetting: {distribute: [{from: "region-a/zone-a/*", to: {"region-a/zone-a/*": 80, "region-a/zone-b/*": 20}}]}}`,
    });
    expect(share(results)).toBeGreaterThan(0.17);
    expect(share(results)).toBeLessThan(0.23);
  });

  it('all pods in one zone: locality changes nothing (identical results with locality LB disabled)', () => {
    const one = `
      - {name: a-1, zone: zone-a}
      - {name: a-2, zone: zone-a}`;
    const on = run({ nodes: one, faults: failing([1]) }).results;
    const off = run({ nodes: one, faults: failing([1]), lb: 'loadBalancer: {localityLbSetting: {enabled: false}}' }).results;
    expect(JSON.stringify({ ...on, warnings: [] })).toBe(JSON.stringify({ ...off, warnings: [] }));
  });

  it('cross-zone bytes are priced at the profile’s $/GB, overridable by spec.cost.crossZoneGbUsd', () => {
    const { results } = run({ od: false });
    const cz = results.resources.cross_zone;
    expect(cz.usd_per_gb).toBe(0.01);
    // request 256 B + response 1 KiB per cross-zone request
    expect(cz.gb).toBeCloseTo((cz.requests * (256 + 1024)) / 1024 ** 3, 6);
    expect(cz.usd).toBeCloseTo(cz.gb * 0.01, 9);
  });

  it('warns when distribute names a zone without pods of the service', () => {
    const { state } = run({
      od: false,
      lb: `loadBalancer: {localityLbSetting: {distribute: [{from: "*", to: {"region-a/zone-a/*": 50, "region-a/zone-c/*": 50}}]}}`,
    });
    expect(runWarnings(state).map((w) => w.message)).toContainEqual(expect.stringMatching(/region-a\/zone-c\/\* .*no pod of api/));
  });
});
