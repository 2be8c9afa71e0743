/**
 * Where proxies are and what they hold: a sidecar per in-mesh pod and per in-mesh workload client,
 * a ztunnel per node; sidecar memory carries the whole mesh's config (every service and endpoint)
 * while a ztunnel's does not; plaintext (inMesh: false) pods get no proxy and their traffic is not
 * mTLS, while in-mesh → in-mesh traffic is, in sidecar and ambient modes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import type { ResultsJson } from '../../src/report/results.js';
import { edge, MODES, perInstance, run, scenarioFromYaml } from './run-scenario.js';

/** frontend → backend (in mesh) and frontend → legacy (plaintext); an in-mesh and an outside client. */
function shopYaml(opts: { legacyInMesh?: boolean; nodes?: number } = {}): string {
  return `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: topology}
spec:
  seed: 4
  duration: 4s
  cluster: {nodes: ${opts.nodes ?? 4}}
  services:
    - name: frontend
      replicas: 3
      serviceTime: {distribution: exponential, mean: 1ms}
      calls: [{service: backend}, {service: legacy}]
    - name: backend
      replicas: 2
      serviceTime: {distribution: exponential, mean: 2ms}
    - name: legacy
      replicas: 2
      inMesh: ${opts.legacyInMesh ?? false}
      serviceTime: {distribution: exponential, mean: 2ms}
  workload:
    - {name: users, target: frontend, rate: 100}
    - {name: outsider, target: frontend, rate: 20, from: {inMesh: false}}
`;
}

describe('proxy instances', () => {
  it('sidecar mode: one sidecar per in-mesh pod plus one per in-mesh workload client; plaintext pods and clients get none', () => {
    const r = run(scenarioFromYaml(shopYaml()), { mode: 'sidecar' });
    // frontend 3 + backend 2 pods, + the users client; not legacy's 2 pods nor the outsider.
    expect(r.resources.by_component.sidecar?.instances).toBe(3 + 2 + 1);
    expect(r.resources.by_component.ztunnel).toBeUndefined();
    expect(r.resources.by_component.app?.instances).toBe(3 + 2 + 2);
  });

  it('sidecar mode: bringing the plaintext service into the mesh adds exactly its pods as sidecars', () => {
    const out = run(scenarioFromYaml(shopYaml({ legacyInMesh: false })), { mode: 'sidecar' });
    const inMesh = run(scenarioFromYaml(shopYaml({ legacyInMesh: true })), { mode: 'sidecar' });
    expect((inMesh.resources.by_component.sidecar?.instances ?? 0) - (out.resources.by_component.sidecar?.instances ?? 0)).toBe(2);
  });

  it('ambient mode: one ztunnel per node, whatever runs on it, and no sidecars', () => {
    for (const nodes of [1, 4, 7]) {
      const r = run(scenarioFromYaml(shopYaml({ nodes })), { mode: 'ambient' });
      expect(r.resources.by_component.ztunnel?.instances).toBe(nodes);
      expect(r.resources.by_component.sidecar).toBeUndefined();
      expect(r.resources.by_component.waypoint).toBeUndefined();
    }
  });

  it('mode none: no proxies and no control plane', () => {
    const r = run(scenarioFromYaml(shopYaml()), { mode: 'none' });
    expect(Object.keys(r.resources.by_component)).toEqual(['app']);
  });
});

describe('proxy memory and mesh size', () => {
  const EXTRA_SERVICES = 80;
  const EXTRA_REPLICAS = 3;

  /** The same traffic (one client → one server, pinned), plus idle services that only add config. */
  function meshYaml(extraServices: number, replicasEach: number): string {
    const idle = Array.from(
      { length: extraServices },
      (_, i) => `    - {name: idle-${i}, replicas: ${replicasEach}, serviceTime: 1ms}`,
    ).join('\n');
    return `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: mesh-size}
spec:
  seed: 9
  duration: 4s
  cluster: {nodes: 3}
  services:
    - name: server
      node: node-1
      replicas: 2
      serviceTime: {distribution: exponential, mean: 1ms}
${idle}
  workload:
    - {name: client, target: server, rate: 200, from: {node: node-0}}
`;
  }

  const MIB = 1024 * 1024;
  const profile = loadProfile('istio');
  const results: Record<string, Record<'sidecar' | 'ambient', ResultsJson>> = {};

  beforeAll(() => {
    const variants = {
      small: meshYaml(0, 0),
      moreServices: meshYaml(EXTRA_SERVICES, 0),
      large: meshYaml(EXTRA_SERVICES, EXTRA_REPLICAS),
    };
    for (const [name, yaml] of Object.entries(variants)) {
      const scenario = scenarioFromYaml(yaml, `${name}.yaml`);
      results[name] = { sidecar: run(scenario, { mode: 'sidecar' }), ambient: run(scenario, { mode: 'ambient' }) };
    }
  });

  it('sees the same traffic in the small and the large cluster', () => {
    const small = results.small!;
    const large = results.large!;
    for (const mode of ['sidecar', 'ambient'] as const) {
      expect(large[mode].requests.total).toBe(small[mode].requests.total);
      expect(large[mode].services.server?.requests.total).toBe(small[mode].services.server?.requests.total);
    }
  });

  it('sidecar memory per instance grows by a cluster per service and an endpoint per pod of the mesh', () => {
    const small = perInstance(results.small!.sidecar, 'sidecar').memoryMiB;
    const moreServices = perInstance(results.moreServices!.sidecar, 'sidecar').memoryMiB;
    const large = perInstance(results.large!.sidecar, 'sidecar').memoryMiB;
    const perService = (profile.sidecar.memPerClusterKB * 1e3) / MIB;
    const perEndpoint = (profile.sidecar.memPerEndpointKB * 1e3) / MIB;

    expect(moreServices).toBeGreaterThan(small);
    expect(large).toBeGreaterThan(moreServices);
    // Growth as the profile says, within 10% (idle sidecars hold no connections, which dilutes a little).
    const servicesGrowth = moreServices - small;
    expect(Math.abs(servicesGrowth - EXTRA_SERVICES * perService)).toBeLessThan(0.1 * EXTRA_SERVICES * perService);
    const totalGrowth = large - small;
    const expected = EXTRA_SERVICES * perService + EXTRA_SERVICES * EXTRA_REPLICAS * perEndpoint;
    expect(Math.abs(totalGrowth - expected)).toBeLessThan(0.1 * expected);
    expect(totalGrowth / small).toBeGreaterThan(0.05);
  });

  it('ztunnel memory per instance does not grow with the services and endpoints of the mesh', () => {
    const small = perInstance(results.small!.ambient, 'ztunnel');
    const moreServices = perInstance(results.moreServices!.ambient, 'ztunnel');
    const large = perInstance(results.large!.ambient, 'ztunnel');
    expect(large.instances).toBe(small.instances);
    // Services alone: not one byte.
    expect(moreServices.memoryMiB).toBeCloseTo(small.memoryMiB, 3);
    // 240 more pods: a ztunnel only keeps the workloads on its own node (about 1 KB each).
    expect(Math.abs(large.memoryMiB - small.memoryMiB) / small.memoryMiB).toBeLessThan(0.01);
    // …whereas a sidecar's relative growth is far larger.
    const sidecarGrowth =
      perInstance(results.large!.sidecar, 'sidecar').memoryMiB / perInstance(results.small!.sidecar, 'sidecar').memoryMiB - 1;
    expect(sidecarGrowth).toBeGreaterThan(5 * ((large.memoryMiB - small.memoryMiB) / small.memoryMiB));
  });
});

describe('mTLS and plaintext peers', () => {
  const results: Record<string, ResultsJson> = {};

  beforeAll(() => {
    const scenario = scenarioFromYaml(shopYaml());
    for (const mode of MODES) results[mode] = run(scenario, { mode });
  });

  for (const mode of ['sidecar', 'ambient'] as const) {
    it(`${mode}: in-mesh → in-mesh edges are mTLS`, () => {
      const r = results[mode]!;
      expect(edge(r, 'users', 'frontend').mtls).toBe(true);
      expect(edge(r, 'frontend', 'backend').mtls).toBe(true);
    });

    it(`${mode}: edges to or from a plaintext peer are not mTLS, and still work`, () => {
      const r = results[mode]!;
      const toLegacy = edge(r, 'frontend', 'legacy');
      const fromOutside = edge(r, 'outsider', 'frontend');
      expect(toLegacy.mtls).toBe(false);
      expect(fromOutside.mtls).toBe(false);
      expect(toLegacy.requests).toBeGreaterThan(0);
      expect(fromOutside.requests).toBeGreaterThan(0);
      expect(r.requests.failed).toBe(0);
    });
  }

  it('none: no edge is mTLS', () => {
    const r = results.none!;
    expect(r.edges.length).toBe(4);
    for (const e of r.edges) expect(e.mtls, `${e.source} → ${e.destination}`).toBe(false);
  });
});
