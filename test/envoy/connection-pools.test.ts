/**
 * Envoy connection pools per (worker, host) with cluster-wide circuit breakers, in whole runs.
 * Sources: envoy source/common/conn_pool/conn_pool_base.cc (ConnPoolImplBase::newStreamImpl,
 * tryCreateNewConnection, attachStreamToClient), source/common/upstream/resource_manager_impl.h
 * (one ResourceManager per cluster and priority, shared by every worker),
 * source/common/upstream/cluster_manager_impl.cc (each worker's ThreadLocalClusterManager owns its
 * pools), docs/root/intro/arch_overview/upstream/circuit_breaking.rst; Istio's circuit-breaking
 * task (https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/config/model.js';
import { repoPath, run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const circuitBreaking = readFileSync(repoPath('scenarios/circuit-breaking.yaml'), 'utf8');
const fortio = (c: number) => scenarioFromYaml(circuitBreaking.replace('count: 3, thinkTime', `count: ${c}, thinkTime`));
const uoShare = (r: ReturnType<typeof run>) => (r.requests.by_flag.UO ?? 0) / r.requests.total;

/** One Envoy worker per sidecar instead of Istio's 2 (proxyConfig.concurrency 1). */
function oneWorker(s: Scenario): Scenario {
  return { ...s, costProfile: { ...s.costProfile, sidecar: { ...s.costProfile.sidecar, workers: 1 } } };
}

const manyPods = (maxConnections: number, extra = '') => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: pools}
spec:
  seed: 3
  duration: 10s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
    - name: server
      replicas: 4
      concurrency: 64
      serviceTime: {distribution: exponential, mean: 5ms}
  workload:
    - {name: load, target: server, rate: 400}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: server}
    spec:
      host: server
      trafficPolicy:
        connectionPool:
          tcp: {maxConnections: ${maxConnections}}${extra}
`;

describe('a host pool with no connection always opens one (conn_pool_base.cc tryCreateNewConnection)', () => {
  it('maxConnections below the number of pods: every request is served, none hangs, every pod gets traffic', () => {
    const r = run(scenarioFromYaml(manyPods(1)));
    expect(r.requests.unfinished).toBe(0);
    expect(r.requests.failed).toBe(0);
    const pods = Object.values(r.services.server?.pods ?? {});
    expect(pods).toHaveLength(4);
    for (const p of pods) expect(p.requests).toBeGreaterThan(r.requests.total / 8);
    // The cluster's max_connections breaker still counts the connections it let through.
    expect(r.clusters['outbound|8080||server.default.svc.cluster.local']?.upstream_cx_overflow).toBeGreaterThan(0);
  });

  it('pending requests wait in their host pool, so a tight http1MaxPendingRequests still serves most of them', () => {
    const r = run(scenarioFromYaml(manyPods(2, '\n          http: {http1MaxPendingRequests: 1000}')));
    expect(r.requests.unfinished).toBe(0);
    expect(r.requests.failed).toBe(0);
  });
});

describe("Istio's circuit-breaking task: fortio against httpbin (maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1)", () => {
  const c1 = run(fortio(1));
  const c2 = run(fortio(2));
  const c3 = run(fortio(3));

  it('one connection never overflows', () => {
    expect(c1.requests.failed).toBe(0);
  });

  it('-c 2 overflows some requests (each new connection keeps a request pending while it is set up); -c 3 a third or more', () => {
    expect(c2.requests.by_flag.UO).toBeGreaterThan(0);
    expect(uoShare(c2)).toBeLessThan(uoShare(c3));
    expect(uoShare(c3)).toBeGreaterThanOrEqual(1 / 3);
    for (const r of [c2, c3]) {
      expect(r.requests.unfinished).toBe(0);
      expect(r.requests.by_code['503']).toBe(r.requests.by_flag.UO);
      expect(r.clusters['outbound|8000||httpbin.default.svc.cluster.local']?.upstream_rq_pending_overflow).toBe(r.requests.by_flag.UO);
    }
  });
});

describe('per-worker pools, cluster-wide breakers (cluster_manager_impl.cc, resource_manager_impl.h)', () => {
  // One pod, keep-alive connections, maxConnections 1: each worker's pool for the pod opens its
  // first connection whatever the breaker says, so a 2-worker sidecar keeps 2 connections busy.
  const oneHost = `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: leeway}
spec:
  seed: 4
  duration: 10s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
    - name: server
      concurrency: 64
      serviceTime: {distribution: constant, value: 10ms}
  workload:
    - {name: load, target: server, users: {count: 8, thinkTime: 0s}}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: server}
    spec:
      host: server
      trafficPolicy:
        connectionPool:
          tcp: {maxConnections: 1}
`;

  it('2 workers carry about twice the requests of 1 worker: the limits are effectively 2x per sidecar', () => {
    const two = run(scenarioFromYaml(oneHost));
    const one = run(oneWorker(scenarioFromYaml(oneHost)));
    expect(one.connections.opened).toBe(1);
    expect(two.connections.opened).toBe(2);
    const ratio = two.requests.total / one.requests.total;
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.1);
  });
});

describe('HTTP/2: http2MaxRequests is a loss system (attachStreamToClient checks requests())', () => {
  // Poisson arrivals, one multiplexed connection per worker, N requests at once cluster-wide: the
  // overflow share is Erlang B, B(N, a) with a = lambda x holding time.
  const h2 = (n: number) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: erlang}
spec:
  seed: 7
  duration: 120s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
    - name: server
      protocol: http2
      concurrency: 1000
      serviceTime: {distribution: exponential, mean: 100ms}
  workload:
    - {name: load, target: server, rate: 40}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: server}
    spec:
      host: server
      trafficPolicy:
        connectionPool:
          http: {http2MaxRequests: ${n}}
`;
  const erlangB = (n: number, a: number) => {
    let b = 1;
    for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
    return b;
  };

  for (const n of [2, 4, 6]) {
    it(`N = ${n}, a = 4 erlangs: overflow share ≈ B(${n}, 4) = ${erlangB(n, 4).toFixed(3)}`, () => {
      const r = run(scenarioFromYaml(h2(n)));
      expect(r.requests.unfinished).toBeLessThanOrEqual(n);
      expect(Math.abs(uoShare(r) - erlangB(n, 4))).toBeLessThan(0.04);
    });
  }
});
