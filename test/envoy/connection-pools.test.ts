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
const fortio = (c: number, client = 'fortio') =>
  scenarioFromYaml(
    circuitBreaking.replace(/count: \d+, thinkTime/, `count: ${c}, thinkTime`).replace(/^ {6}client: fortio$/m, `      client: ${client}`),
  );
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

  it('every request that reaches httpbin has its own new mTLS connection (maxRequestsPerConnection 1); overflowed ones open none', () => {
    for (const r of [c1, c2, c3]) {
      expect(r.connections.opened).toBe(r.requests.succeeded);
      expect(r.connections.mtls_handshakes).toBe(r.connections.opened);
    }
  });

  it("fortio's reconnect after each 503 spaces its retries: at -c 3 fewer requests overflow than with a keep-alive client", () => {
    // fortio fhttp/http_client.go: the socket is closed on a non-2xx code and the next call dials
    // again (re-resolving the name); a keep-alive client sends its next request at once.
    expect(uoShare(c3)).toBeLessThan(uoShare(run(fortio(3, 'keepalive'))));
  });
});

describe('a fortio client closes its connection after a non-2xx answer (fortio fhttp/http_client.go)', () => {
  // Every answer is an injected 503 from the client sidecar's fault filter: with keep-alive the
  // user asks again on the same connection; fortio closes it (FastClient.readResponse keeps the
  // socket only when codeIsOK) and its next request first re-resolves the name (FastClient.connect,
  // fortio >= 1.35 unless -no-reresolve) and dials its sidecar again.
  const aborted = (client: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: reconnect}
spec:
  seed: 2
  duration: 2s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
    - {name: server, serviceTime: 1ms}
  workload:
    - name: load
      target: server
      users: {count: 1, thinkTime: 10ms}
${client}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: server}
    spec:
      hosts: [server]
      http:
        - fault: {abort: {percentage: {value: 100}, httpStatus: 503}}
          route: [{destination: {host: server}}]
`;

  it('each 503 costs the next request a DNS round trip to the cluster DNS and a TCP handshake to the sidecar', () => {
    const keep = run(scenarioFromYaml(aborted('')));
    const scenario = scenarioFromYaml(aborted('      client: fortio'));
    const f = run(scenario);
    expect(keep.requests.by_code['503']).toBe(keep.requests.total);
    expect(f.requests.by_code['503']).toBe(f.requests.total);
    // All but the first request open a new connection: 2 × same-zone one-way + the sidecar's loopback round trip.
    const reconnectMs = (2 * scenario.network.sameZoneUs + scenario.costProfile.sidecar.fixedLatencyUs) / 1000;
    const extra = f.latency_ms.mean - keep.latency_ms.mean;
    expect(extra).toBeGreaterThan(reconnectMs * 0.95);
    expect(extra).toBeLessThan(reconnectMs * 1.05);
  });

  it('a 2xx answer keeps the connection: fortio and keep-alive users see the same latencies', () => {
    const ok = (client: string) => aborted(client).replace('value: 100', 'value: 0');
    const keep = run(scenarioFromYaml(ok('')));
    const f = run(scenarioFromYaml(ok('      client: fortio')));
    expect(f.requests.failed).toBe(0);
    expect(f.latency_ms).toEqual(keep.latency_ms);
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
