/**
 * Resilience and security engines inside whole runs (Envoy outlier.rst and circuit_breaking.rst;
 * istio/api destination_rule.proto, peer_authentication.proto, authorization_policy.proto): outlier
 * detection timing, connection-pool overflow, PeerAuthentication and AuthorizationPolicy, per mode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { edge, repoPath, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const shipped = (name: string) => readFileSync(repoPath(`scenarios/${name}.yaml`), 'utf8');

describe('outlier detection in a run (scenarios/outlier-ejection.yaml)', () => {
  const r = run(scenarioFromFile('scenarios/outlier-ejection.yaml'));
  const events = r.outlier.events.filter((e) => e.proxy === r.outlier.events[0]?.proxy);

  it('ejects the failing pod on its 5th consecutive 5xx, right after the fault starts', () => {
    const first = events[0];
    expect(first?.action).toBe('eject');
    expect(first?.pod).toBe('payment-v1-0');
    expect(first?.type).toBe('CONSECUTIVE_5XX');
    expect(first?.t_s).toBeGreaterThan(20);
    expect(first?.t_s).toBeLessThan(21);
  });

  it('brings it back on the first 10 s interval tick after 30 s, and the next ejection in a row lasts 60 s', () => {
    const [eject1, back1, eject2, back2] = events;
    // Ticks run every 10 s from the detector's creation (its first request, just after t=0).
    expect(back1?.action).toBe('uneject');
    expect((back1?.t_s ?? 0) - (eject1?.t_s ?? 0)).toBeGreaterThanOrEqual(30);
    expect((back1?.t_s ?? 0) - (eject1?.t_s ?? 0)).toBeLessThan(40);
    expect(eject2?.num_ejections).toBe(2);
    expect((back2?.t_s ?? 0) - (eject2?.t_s ?? 0)).toBeGreaterThanOrEqual(60);
    expect((back2?.t_s ?? 0) - (eject2?.t_s ?? 0)).toBeLessThan(70);
  });

  it('reports Envoy stat names per cluster, and few users see errors', () => {
    const od = r.clusters['outbound|8080||payment.default.svc.cluster.local']?.outlier_detection;
    expect(od?.ejections_enforced_total).toBe(r.outlier.events.filter((e) => e.action === 'eject').length);
    expect(od?.ejections_enforced_consecutive_5xx).toBeGreaterThan(0);
    expect(r.requests.failed / r.requests.total).toBeLessThan(0.01);
  });

  it("with Istio's default maxEjectionPercent (10%) a 3-pod service never ejects (scenarios/outlier-no-ejection.yaml)", () => {
    const n = run(scenarioFromFile('scenarios/outlier-no-ejection.yaml'));
    expect(n.outlier.events).toEqual([]);
    expect(n.clusters['outbound|8080||payment.default.svc.cluster.local']?.outlier_detection?.ejections_overflow).toBeGreaterThan(0);
    expect(n.requests.failed / n.requests.total).toBeGreaterThan(0.15);
  });
});

describe('connection-pool circuit breaking (scenarios/circuit-breaking.yaml)', () => {
  const r = run(scenarioFromFile('scenarios/circuit-breaking.yaml'));
  const cluster = r.clusters['outbound|8000||httpbin.default.svc.cluster.local'];

  it('overflow is an immediate 503 UO that never reaches httpbin and is never retried', () => {
    expect(r.requests.by_flag.UO).toBeGreaterThan(0);
    expect(r.requests.by_code['503']).toBe(r.requests.by_flag.UO);
    expect(r.services.httpbin?.requests.total).toBe(r.requests.by_code['200']);
    expect(r.services.httpbin?.retries).toBe(0);
    expect(cluster?.upstream_rq_pending_overflow).toBe(r.requests.by_flag.UO);
  });

  it('overflow is not charged to the host: consecutive5xxErrors 1 ejects nothing', () => {
    expect(r.outlier.events).toEqual([]);
  });

  it('without the DestinationRule nothing overflows (Istio defaults are 2^32-1, not Envoy 1024)', () => {
    const text = shipped('circuit-breaking').replace(/ {2}istio: \|[\s\S]*$/, '');
    const free = run(scenarioFromYaml(text));
    expect(free.requests.by_flag.UO).toBe(0);
    expect(free.requests.failed).toBe(0);
  });

  it('HTTP/2 multiplexes, so http2MaxRequests is the limit that overflows', () => {
    const text = shipped('circuit-breaking')
      .replace('port: 8000', 'port: 8000\n      protocol: http2')
      .replace(
        /connectionPool:[\s\S]*?outlierDetection:/,
        'connectionPool:\n          http:\n            http2MaxRequests: 1\n        outlierDetection:',
      );
    const h2 = run(scenarioFromYaml(text));
    expect(h2.requests.by_flag.UO).toBeGreaterThan(0);
    expect(h2.connections.opened).toBeLessThan(10);
  });
});

describe('PeerAuthentication (scenarios/strict-mtls-migration.yaml)', () => {
  const r = run(scenarioFromFile('scenarios/strict-mtls-migration.yaml'));

  it('after STRICT propagates, the plaintext caller gets its connections reset (status 0); the in-mesh caller does not', () => {
    const legacy = edge(r, 'legacy-batch', 'orders');
    expect(legacy.mtls).toBe(false);
    expect(legacy.by_code['0']).toBeGreaterThan(0);
    // Before 31 s (30 s + 1 s propagation) the plaintext calls succeeded.
    expect((legacy.by_code['200'] ?? 0) / legacy.requests).toBeCloseTo(31 / 60, 1);
    const checkout = edge(r, 'checkout', 'orders');
    expect(checkout.mtls).toBe(true);
    expect(checkout.by_code).toEqual({ 200: checkout.requests });
  });

  it('in ambient mode ztunnel enforces STRICT the same way', () => {
    const a = run(scenarioFromFile('scenarios/strict-mtls-migration.yaml'), { mode: 'ambient' });
    expect(edge(a, 'legacy-batch', 'orders').by_code['0']).toBeGreaterThan(0);
    expect(edge(a, 'checkout', 'orders').by_code['0']).toBeUndefined();
  });
});

describe('AuthorizationPolicy (scenarios/payment-lockdown.yaml)', () => {
  it('sidecar: the allowed principal gets 200, another caller gets 403 from the server sidecar', () => {
    const r = run(scenarioFromFile('scenarios/payment-lockdown.yaml'));
    expect(edge(r, 'checkout', 'payment').by_code).toEqual({ 200: edge(r, 'checkout', 'payment').requests });
    expect(edge(r, 'reports', 'payment').by_code).toEqual({ 403: edge(r, 'reports', 'payment').requests });
  });

  it('ambient without a waypoint: ztunnel drops the ALLOW rule that uses methods and paths, so every connection is denied', () => {
    const r = run(scenarioFromFile('scenarios/payment-lockdown.yaml'), { mode: 'ambient' });
    expect(edge(r, 'checkout', 'payment').by_code).toEqual({ 0: edge(r, 'checkout', 'payment').requests });
  });

  it('ambient: an L4-only ALLOW on principals works at ztunnel', () => {
    const text = shipped('payment-lockdown').replace(/ {8}to:\n[\s\S]*?paths: \["\/pay"\]\n/, '');
    const r = run(scenarioFromYaml(text), { mode: 'ambient' });
    expect(edge(r, 'checkout', 'payment').by_code).toEqual({ 200: edge(r, 'checkout', 'payment').requests });
    expect(edge(r, 'reports', 'payment').by_code).toEqual({ 0: edge(r, 'reports', 'payment').requests });
  });

  it("ambient with a waypoint: traffic reaches payment with the waypoint's identity, which the L4 policy does not allow", () => {
    const text = shipped('payment-lockdown')
      .replace(/ {8}to:\n[\s\S]*?paths: \["\/pay"\]\n/, '')
      .replace('mesh: {mode: sidecar}', 'mesh: {mode: ambient, waypoints: [payment]}');
    const r = run(scenarioFromYaml(text));
    // The waypoint sees a connect failure from ztunnel's reset: 503 UF after its default retries.
    expect(edge(r, 'checkout', 'payment').by_code).toEqual({ 503: edge(r, 'checkout', 'payment').requests });
  });
});

describe('retry circuit breaker (http.maxRetries)', () => {
  it('with maxRetries 1, concurrent retries beyond one are refused: the failure comes back with UO', () => {
    const text = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: retry-budget}
spec:
  duration: 20s
  mesh: {mode: sidecar}
  services:
    - name: flaky
      replicas: 3
      cpuShare: 0
      serviceTime: {distribution: constant, value: 20ms}
      failure: {rate: 0.5, status: 503}
  workload:
    - {name: users, target: flaky, rate: 200}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: flaky}
    spec:
      hosts: [flaky]
      http:
      - route: [{destination: {host: flaky}}]
        retries: {attempts: 3, retryOn: 5xx}
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: flaky}
    spec:
      host: flaky
      trafficPolicy: {connectionPool: {http: {maxRetries: 1}}}
`;
    const limited = run(scenarioFromYaml(text));
    const free = run(scenarioFromYaml(text.replace('maxRetries: 1', 'maxRetries: 1000')));
    const c = limited.clusters['outbound|8080||flaky.default.svc.cluster.local'];
    expect(c?.upstream_rq_retry_overflow).toBeGreaterThan(0);
    expect(limited.requests.by_flag.UO).toBe(c?.upstream_rq_retry_overflow);
    expect(limited.requests.failed).toBeGreaterThan(free.requests.failed);
    expect(free.clusters['outbound|8080||flaky.default.svc.cluster.local']?.upstream_rq_retry_overflow).toBe(0);
  });
});

describe('an unreachable pod (scenarios/network-partition.yaml)', () => {
  it('per-try timeouts and retries hide it from users, and outlier detection ejects it after 3 local timeouts', () => {
    const r = run(scenarioFromFile('scenarios/network-partition.yaml'));
    expect(r.requests.failed).toBe(0);
    expect(r.requests.unfinished).toBe(0);
    const ejects = r.outlier.events.filter((e) => e.action === 'eject');
    expect(ejects.length).toBeGreaterThan(0);
    expect(ejects.every((e) => e.pod === 'api-v1-0' && e.t_s > 20 && e.t_s < 22)).toBe(true);
    expect(r.clusters['outbound|8080||api.default.svc.cluster.local']?.upstream_rq_per_try_timeout).toBeGreaterThan(0);
  });

  it('without timeouts, requests sent to it hang and are reported as unfinished', () => {
    const text = readFileSync(repoPath('scenarios/network-partition.yaml'), 'utf8').replace(/ {8}timeout: 1s\n {8}retries: .*\n/, '');
    const r = run(scenarioFromYaml(text));
    expect(r.requests.unfinished).toBeGreaterThan(0);
  });

  it('a connect to it fails after the DestinationRule connectTimeout, as UF', () => {
    const text = readFileSync(repoPath('scenarios/network-partition.yaml'), 'utf8')
      .replace(/ {8}outlierDetection: .*\n/, '')
      .replace(
        'connectionPool: {tcp: {connectTimeout: 200ms}}',
        'connectionPool: {tcp: {connectTimeout: 200ms}, http: {maxRequestsPerConnection: 1}}',
      );
    const r = run(scenarioFromYaml(text));
    expect(r.clusters['outbound|8080||api.default.svc.cluster.local']?.upstream_cx_connect_fail).toBeGreaterThan(0);
  });
});
