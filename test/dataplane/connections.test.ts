/**
 * Connections cost handshakes; reused connections do not. A new mTLS connection costs a TCP and a
 * TLS 1.3 round trip plus handshake CPU on both proxies (profile.tls); kept-alive connections
 * carry later requests for free. HTTP/1.1 needs a connection per concurrent request, HTTP/2
 * multiplexes them on one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import type { ResultsJson } from '../../src/report/results.js';
import { run, scenarioFromYaml } from './run-scenario.js';

const DURATION_S = 5;

/** `clients` workloads (each its own pod: its own sidecar and pools) sharing `totalRate` towards a 2-pod server. */
function fanInYaml(clients: number, totalRate: number): string {
  const workload = Array.from(
    { length: clients },
    (_, i) => `    - {name: c${i}, target: server, rate: ${totalRate / clients}, from: {node: client-node}}`,
  ).join('\n');
  return `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: fan-in}
spec:
  seed: 21
  duration: ${DURATION_S}s
  cluster:
    nodes:
      - {name: client-node, cpu: "16"}
      - {name: server-node, cpu: "16"}
  services:
    - name: server
      node: server-node
      replicas: 2
      concurrency: 64
      serviceTime: {distribution: constant, value: 1ms}
  workload:
${workload}
`;
}

/** Sidecar CPU per end-user request, in µs. */
function sidecarCpuUsPerRequest(r: ResultsJson): number {
  return ((r.resources.by_component.sidecar?.cpu_cores ?? 0) * DURATION_S * 1e6) / r.requests.total;
}

describe('connection churn: many short-lived clients vs one long-lived client (sidecar mode)', () => {
  const tls = loadProfile('istio').tls;
  const HANDSHAKE_CPU_US = tls.clientHandshakeCpuUs + tls.serverHandshakeCpuUs;
  const CLIENTS = 200;
  let reused: ResultsJson;
  let churn: ResultsJson;

  beforeAll(() => {
    // 400 rps either way: from one client that keeps its connections, or from 200 clients at 2 rps
    // whose handful of requests each mostly ride on connections they had to open first.
    reused = run(scenarioFromYaml(fanInYaml(1, 400), 'reused.yaml'), { mode: 'sidecar' });
    churn = run(scenarioFromYaml(fanInYaml(CLIENTS, 400), 'churn.yaml'), { mode: 'sidecar' });
  });

  it('serves comparable traffic without errors', () => {
    expect(reused.requests.failed).toBe(0);
    expect(churn.requests.failed).toBe(0);
    expect(Math.abs(churn.requests.total - reused.requests.total) / reused.requests.total).toBeLessThan(0.1);
  });

  it('opens a connection (and an mTLS handshake) per client and host, but only a few for the long-lived client', () => {
    const activeClients = churn.edges.filter((e) => e.requests > 0).length;
    expect(activeClients).toBeGreaterThan(0.9 * CLIENTS);
    expect(reused.connections.opened).toBeLessThanOrEqual(10);
    expect(churn.connections.opened).toBeGreaterThanOrEqual(activeClients);
    expect(churn.connections.mtls_handshakes).toBe(churn.connections.opened);
    expect(churn.connections.mtls_handshakes).toBeGreaterThan(20 * reused.connections.mtls_handshakes);
  });

  it('costs more sidecar CPU per request when connections are not reused', () => {
    expect(sidecarCpuUsPerRequest(churn)).toBeGreaterThan(1.2 * sidecarCpuUsPerRequest(reused));
  });

  it('the extra CPU is the handshakes: per request, CPU net of handshakes is the same either way', () => {
    const net = (r: ResultsJson) => sidecarCpuUsPerRequest(r) - (r.connections.mtls_handshakes * HANDSHAKE_CPU_US) / r.requests.total;
    expect(Math.abs(net(churn) - net(reused)) / net(reused)).toBeLessThan(0.02);
  });

  it('requests that open a connection wait for the TCP and TLS round trips and the handshake work', () => {
    expect(churn.latency_ms.mean).toBeGreaterThan(reused.latency_ms.mean);
    // Roughly one request in five opens a connection here; each pays ~0.4 ms of round trips + 0.75 ms of CPU.
    expect(churn.latency_ms.mean - reused.latency_ms.mean).toBeGreaterThan(0.1);
  });

  it('mode none opens connections too, but without mTLS handshakes or proxy CPU', () => {
    const none = run(scenarioFromYaml(fanInYaml(CLIENTS, 400), 'churn.yaml'), { mode: 'none' });
    expect(none.connections.opened).toBeGreaterThanOrEqual(0.9 * CLIENTS);
    expect(none.connections.mtls_handshakes).toBe(0);
    expect(none.resources.by_component.sidecar).toBeUndefined();
  });
});

describe('a burst of concurrency opens connections once; afterwards they are reused', () => {
  // HTTP/1.1: one request per connection at a time, so a burst needs as many connections as
  // requests in flight. Keep-alive keeps them (idle timeout 1h): the quiet period after opens none.
  const yaml = (steps: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: burst}
spec:
  seed: 5
  duration: 12s
  cluster: {nodes: 2}
  services:
    - name: server
      replicas: 2
      concurrency: 256
      serviceTime: {distribution: exponential, mean: 5ms}
  workload:
    - {name: load, target: server, steps: ${steps}}
`;
  const steady = scenarioFromYaml(yaml('[{at: 0s, rate: 100}]'), 'steady.yaml');
  const burst = scenarioFromYaml(yaml('[{at: 0s, rate: 100}, {at: 4s, rate: 2000}, {at: 5s, rate: 100}]'), 'burst.yaml');

  it('the burst costs many more handshakes than steady load', () => {
    const s = run(steady, { mode: 'sidecar' });
    const b = run(burst, { mode: 'sidecar' });
    expect(b.connections.mtls_handshakes).toBeGreaterThan(3 * s.connections.mtls_handshakes);
    expect(b.connections.mtls_handshakes - s.connections.mtls_handshakes).toBeGreaterThanOrEqual(20);
  });

  it('no handshakes after the burst: the same count at 6 s and at 12 s', () => {
    const justAfter = run(burst, { mode: 'sidecar', durationUs: 6e6 });
    const later = run(burst, { mode: 'sidecar' });
    expect(later.requests.total).toBeGreaterThan(justAfter.requests.total);
    expect(later.connections.mtls_handshakes).toBe(justAfter.connections.mtls_handshakes);
  });
});

describe('HTTP/1.1 vs HTTP/2 under concurrency', () => {
  const yaml = (protocol: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: h2}
spec:
  seed: 2
  duration: 5s
  cluster: {nodes: 3}
  services:
    - name: server
      replicas: 3
      protocol: ${protocol}
      concurrency: 64
      serviceTime: {distribution: exponential, mean: 10ms}
  workload:
    - {name: load, target: server, rate: 600}
`;

  it('sidecar mode: HTTP/1.1 opens a connection per concurrent request, HTTP/2 one per host per worker', () => {
    const h1 = run(scenarioFromYaml(yaml('http')), { mode: 'sidecar' });
    const h2 = run(scenarioFromYaml(yaml('http2')), { mode: 'sidecar' });
    const grpc = run(scenarioFromYaml(yaml('grpc')), { mode: 'sidecar' });
    expect(Math.abs(h2.requests.total - h1.requests.total)).toBeLessThanOrEqual(2);
    // One client sidecar, three server pods: one multiplexed connection to each per Envoy worker
    // (2 workers; each worker owns its pools: envoy source/common/upstream/cluster_manager_impl.cc).
    expect(h2.connections.opened).toBe(6);
    expect(grpc.connections.opened).toBe(6);
    expect(h1.connections.opened).toBeGreaterThan(3 * h2.connections.opened);
    // Fewer handshakes: less sidecar CPU for the same requests.
    expect(h2.resources.by_component.sidecar?.cpu_cores).toBeLessThan(h1.resources.by_component.sidecar?.cpu_cores ?? 0);
  });

  // The app's own pool (mode none, ambient without a waypoint) multiplexes HTTP/2 and gRPC on one
  // connection, which kube-proxy or ztunnel pins to one pod: the classic gRPC imbalance.
  it('none and ambient: an HTTP/2 app multiplexes on one connection per caller and service', () => {
    // In ambient the one app connection also needs one HBONE tunnel between the two ztunnels.
    for (const [mode, expected] of [
      ['none', 1],
      ['ambient', 2],
    ] as const) {
      const h1 = run(scenarioFromYaml(yaml('http')), { mode });
      const h2 = run(scenarioFromYaml(yaml('http2')), { mode });
      expect(h1.connections.opened).toBeGreaterThan(3);
      expect(h2.connections.opened).toBe(expected);
    }
  });
});

describe('ambient: HBONE tunnels', () => {
  it('app connections between two nodes share pooled HBONE tunnels: few mTLS handshakes for many connections', () => {
    const r = run(scenarioFromYaml(fanInYaml(1, 400), 'reused.yaml'), { mode: 'ambient' });
    expect(r.connections.opened).toBeGreaterThan(r.connections.mtls_handshakes);
    expect(r.connections.mtls_handshakes).toBe(1);
  });

  it('distinct source identities need their own HBONE connections', () => {
    const r = run(scenarioFromYaml(fanInYaml(200, 400), 'churn.yaml'), { mode: 'ambient' });
    const identities = r.edges.filter((e) => e.requests > 0).length;
    expect(r.connections.mtls_handshakes).toBeGreaterThanOrEqual(identities);
  });
});
