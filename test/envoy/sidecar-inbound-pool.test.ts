/**
 * Sidecar ingress listeners and inbound connection pools (istio/api networking/v1alpha3/sidecar.proto,
 * https://istio.io/latest/docs/reference/config/networking/sidecar/; istio/istio
 * pilot/pkg/networking/core/cluster_builder.go buildInboundCluster, listener_inbound.go
 * buildInboundChainConfigs):
 * - the server sidecar's inbound cluster `inbound|PORT||` takes the ingress listener's
 *   `connectionPool`, else the Sidecar's `inboundConnectionPool` (Istio ≥ 1.21), overridden not merged;
 * - over its limits the server sidecar answers 503 UO itself, before the app, and counts it in the
 *   inbound cluster's upstream_rq_pending_overflow / upstream_cx_overflow; the reply carries
 *   x-envoy-overloaded, so the client never retries it (envoy source/common/router/retry_state_impl.cc);
 * - with ingress listeners, only the listed ports get an inbound chain: other ports go through
 *   InboundPassthroughCluster (no inbound pool), with a warning;
 * - `defaultEndpoint` is where the sidecar forwards: a port the app does not listen on refuses the
 *   connection (503 UF from the server sidecar), with a warning;
 * - Istio's validation of ingress listeners (pkg/config/validation/validation.go ValidateSidecar).
 */
import { describe, expect, it } from 'vitest';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/report/results.js';
import type { CallRecord } from '../../src/telemetry/observer.js';
import { accessLog } from '../../src/report/access-log.js';
import { InputError } from '../../src/config/diagnostics.js';

const sidecar = (spec: string) => `
    ---
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: orders}
    spec:
      workloadSelector: {labels: {app: orders}}
${spec
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}`;

const yaml = (sidecarSpec: string, o: { retryOn?: string; mode?: string } = {}) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: inbound-pool}
spec:
  seed: 3
  duration: 15s
  mesh: {mode: ${o.mode ?? 'sidecar'}}
  cluster: {nodes: 2}
  services:
    - name: frontend
      replicas: 4
      concurrency: 64
      serviceTime: 1ms
      calls: [{service: orders, path: /orders}]
    - {name: orders, port: 8080, replicas: 1, concurrency: 8, serviceTime: {distribution: lognormal, median: 8ms, p99: 40ms}}
  workload:
    - {name: users, target: frontend, rate: 400, requests: [{path: /}]}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: orders}
    spec:
      hosts: [orders]
      http:
        - route: [{destination: {host: orders}}]
          retries: {attempts: 2, retryOn: ${o.retryOn ?? '5xx'}}${sidecarSpec ? sidecar(sidecarSpec) : ''}
`;

const limited = `
ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
inboundConnectionPool:
  tcp: {maxConnections: 2}
  http: {http1MaxPendingRequests: 2}
`;

describe('Sidecar inbound connection pool', () => {
  it('over its limits the server sidecar answers 503 UO itself, counted on its inbound cluster inbound|8080||', () => {
    const r = run(scenarioFromYaml(yaml(limited)));
    const inbound = r.clusters['inbound|8080||'];
    expect(inbound?.proxies).toBe(1);
    expect(inbound?.upstream_rq_pending_overflow).toBeGreaterThan(100);
    expect(r.requests.by_code['500']).toBeGreaterThan(100); // the frontend app fails its request on the 503
    expect(r.edges.find((e) => e.destination === 'orders')?.by_code['503']).toBeGreaterThan(100);
    // The client sidecars' own cluster has no limits: no overflow there.
    expect(r.clusters['outbound|8080||orders.default.svc.cluster.local']?.upstream_rq_pending_overflow).toBe(0);
    const free = run(scenarioFromYaml(yaml('')));
    expect(free.clusters['inbound|8080||']).toBeUndefined();
    expect(free.requests.failed).toBe(0);
  });

  it('the client sees an upstream 503 without flag, the server sidecar logs UO (upstream_reset_before_response_started{overflow})', () => {
    const records: CallRecord[] = [];
    simulate(scenarioFromYaml(yaml(limited)), { observers: [{ onCall: (c) => records.push(c) }] });
    const over = records.filter((c) => c.call.service.model.key === 'orders' && c.status === 503);
    expect(over.length).toBeGreaterThan(0);
    expect(over.every((c) => c.flags === '' && c.serverFlags === 'UO')).toBe(true);
    const log = accessLog([{ record: over[0]!, requestId: 'r1' }], 'sidecar', 0).split('\n');
    expect(log[0]).toMatch(/^frontend-v1-\d\.sidecar .* 503 - via_upstream /);
    expect(log[1]).toMatch(/^orders-v1-0\.sidecar .* 503 UO upstream_reset_before_response_started\{overflow\} .* inbound\|8080\|\| /);
  });

  it('the overflow reply carries x-envoy-overloaded: the client never retries it, even under retryOn 5xx', () => {
    const r = run(scenarioFromYaml(yaml(limited, { retryOn: '5xx' })));
    const out = r.clusters['outbound|8080||orders.default.svc.cluster.local'];
    expect(r.clusters['inbound|8080||']?.upstream_rq_pending_overflow).toBeGreaterThan(100);
    expect(out?.upstream_rq_retry).toBe(0);
  });

  it("without a Sidecar pool, the service's DestinationRule connectionPool limits the server's inbound cluster too (sidecar.proto)", () => {
    const dr = `
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: orders}
    spec:
      host: orders
      trafficPolicy:
        connectionPool: {tcp: {maxConnections: 2}, http: {http1MaxPendingRequests: 2}}`;
    const withDr = (sidecarSpec: string) => yaml(sidecarSpec).replace(/\n$/, `${dr}\n`);
    const r = run(scenarioFromYaml(withDr('')));
    expect(r.clusters['inbound|8080||']?.upstream_rq_pending_overflow).toBeGreaterThan(0);
    // A Sidecar's inbound pool replaces the DestinationRule's on the server side.
    const roomy = `
inboundConnectionPool:
  tcp: {maxConnections: 100000}
  http: {http1MaxPendingRequests: 100000}
`;
    expect(run(scenarioFromYaml(withDr(roomy))).clusters['inbound|8080||']?.upstream_rq_pending_overflow).toBe(0);
  });

  it('a port-level connectionPool overrides inboundConnectionPool (not merged)', () => {
    const perPort = `
ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
    connectionPool: {tcp: {maxConnections: 1000}}
inboundConnectionPool:
  tcp: {maxConnections: 2}
  http: {http1MaxPendingRequests: 2}
`;
    const r = run(scenarioFromYaml(yaml(perPort)));
    expect(r.clusters['inbound|8080||']?.upstream_rq_pending_overflow).toBe(0);
    expect(r.requests.failed).toBe(0);
  });

  it('a port no ingress listener lists takes InboundPassthroughCluster: no inbound pool, and a warning', () => {
    const other = `
ingress:
  - port: {number: 9090, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:9090
inboundConnectionPool:
  tcp: {maxConnections: 2}
  http: {http1MaxPendingRequests: 2}
`;
    const s = simulate(scenarioFromYaml(yaml(other)));
    const r = buildResults(s);
    expect(r.clusters['inbound|8080||']).toBeUndefined();
    expect(r.requests.failed).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/ingress listeners but none for port 8080 of orders: .*InboundPassthroughCluster/);
  });

  it('a defaultEndpoint port the app does not listen on refuses every connection: 503 UF from the server sidecar', () => {
    const wrong = `
ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8081
`;
    const r = run(scenarioFromYaml(yaml(wrong, { retryOn: 'connect-failure' })));
    expect(r.requests.succeeded).toBe(0);
    expect(r.clusters['inbound|8080||']?.upstream_cx_connect_fail).toBeGreaterThan(0);
    expect(r.edges.find((e) => e.destination === 'orders')?.by_code['503']).toBe(r.edges.find((e) => e.destination === 'orders')?.requests);
    expect(r.warnings.join('\n')).toMatch(/forwards to 127\.0\.0\.1:8081, but orders's app listens on 8080/);
  });

  it('Istio’s ingress listener validation: unique ports, defaultEndpoint form, TLS only on HTTPS/TLS ports', () => {
    const bad = `
ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    defaultEndpoint: 10.0.0.1:8080
  - port: {number: 8080, protocol: HTTP, name: http2}
    tls: {mode: SIMPLE}
`;
    let err: unknown;
    try {
      scenarioFromYaml(yaml(bad));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const text = (err as InputError).message;
    expect(text).toMatch(/defaultEndpoint must be of form 127\.0\.0\.1:<port>/);
    expect(text).toMatch(/ports on IP bound listeners must be unique/);
    expect(text).toMatch(/server cannot have TLS settings for non HTTPS\/TLS ports/);
  });
});
