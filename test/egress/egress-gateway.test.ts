/**
 * Egress through Istio's egress gateway, run through the whole simulator. Sources:
 * https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/ (Gateway with
 * selector istio: egressgateway, a VirtualService bound to mesh and the gateway, DestinationRule
 * subset for the gateway); .../egress/egress-gateway-tls-origination/ (ISTIO_MUTUAL to the gateway,
 * tls SIMPLE from it); istio/istio#25536 (gateway pods lack the tlsMode label auto mTLS needs);
 * https://istio.io/latest/docs/reference/config/metrics/ (labels for a gateway workload);
 * pilot/pkg/networking/core/httproute.go (REGISTRY_ONLY block_all at the sidecar).
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioSource } from '../../src/analysis/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { simulate } from '../../src/sim/simulate.js';
import { IstioMetricsObserver } from '../../src/telemetry/istio-metrics.js';
import { edge, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const indent = (s: string, n: number) =>
  s
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

const SE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
`;

/** The HTTP task's Gateway, DestinationRule and VirtualService, as istio.io publishes them. */
const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [edition.cnn.com]
`;
const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: cnn
`;
const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway}
spec:
  hosts: [edition.cnn.com]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}
      weight: 100
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route:
    - destination: {host: edition.cnn.com, port: {number: 80}}
      weight: 100
`;

function scenario(o: { istio: string; mesh?: string; failure?: string }): string {
  return `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: egress}
spec:
  seed: 3
  duration: 10s
  mesh: {mode: sidecar${o.mesh ?? ''}}
  cluster: {nodes: 2}
  services:
  - name: app
    serviceTime: 1ms
    calls: [{host: edition.cnn.com, path: /politics}]
  external:
  - host: edition.cnn.com
    serviceTime: {distribution: constant, value: 20ms}
    failure: ${o.failure ?? '{rate: 0, status: 503}'}
  workload:
  - {name: users, target: app, rate: 100}
  istio: |
${indent(o.istio, 4)}
`;
}

const load = (text: string) => loadScenarioSource(new YamlSource('egress.yaml', text));
const warningsOf = (text: string) =>
  load(text)
    .warnings.map((w) => w.message)
    .join('\n');

describe('the egress gateway pattern (istio.io egress-gateway task)', () => {
  it('sends mesh traffic for the host to istio-egressgateway, which forwards it to the external host', () => {
    const direct = run(scenarioFromYaml(scenario({ istio: SE })));
    const r = run(scenarioFromYaml(scenario({ istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}` })));
    const app = edge(r, 'app', 'edition.cnn.com');
    const gw = edge(r, 'istio-egressgateway', 'edition.cnn.com');
    expect(app.requests).toBeGreaterThan(800);
    expect(gw.requests).toBe(app.requests);
    expect(app.by_code['200']).toBe(app.requests);
    // The extra hop costs latency: app → gateway → host instead of app → host.
    expect(app.latency_ms.p50).toBeGreaterThan(edge(direct, 'app', 'edition.cnn.com').latency_ms.p50);
    expect(() => edge(direct, 'istio-egressgateway', 'edition.cnn.com')).toThrow();
    expect(r.gateways).toEqual([
      expect.objectContaining({ deployment: 'istio-egressgateway', namespace: 'istio-system', replicas: 1, local_replies: 0 }),
    ]);
    expect(r.resources.by_component.gateway!.instances).toBe(1);
    expect(r.resources.by_component.gateway!.cpu_cores).toBeGreaterThan(0);
    expect(Object.keys(r.clusters)).toContain('outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local');
  });

  it('counts the sidecar → gateway hop in cross-zone traffic (the hop to the external host is internet egress)', () => {
    const zoned = (istio: string) =>
      scenario({ istio, mesh: ', egressGatewayReplicas: 2' }).replace(
        'cluster: {nodes: 2}',
        'cluster: {nodes: [{name: a, zone: zone-a, cpu: 8}, {name: b, zone: zone-b, cpu: 8}]}',
      );
    const direct = run(scenarioFromYaml(zoned(SE)));
    const gw = run(scenarioFromYaml(zoned(`${SE}---\n${GATEWAY}---\n${DR}---\n${VS}`)));
    expect(gw.resources.cross_zone.requests).toBeGreaterThan(direct.resources.cross_zone.requests);
  });

  it('runs spec.mesh.egressGatewayReplicas pods in istio-system', () => {
    const r = run(scenarioFromYaml(scenario({ istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}`, mesh: ', egressGatewayReplicas: 3' })));
    expect(r.gateways?.[0]?.replicas).toBe(3);
    expect(r.resources.by_component.gateway!.instances).toBe(3);
  });

  it('reports the gateway as a workload: source of the external call, destination of the sidecar call (Istio standard metrics)', () => {
    const s = scenarioFromYaml(scenario({ istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}` }));
    const metrics = new IstioMetricsObserver(s);
    const st = simulate(s, { observers: [metrics] });
    metrics.finish(st.sim.now);
    const total = metrics.families().find((f) => f.name === 'istio_requests')!;
    const labels = total.series.map((x) => Object.fromEntries(x.labels));
    expect(labels).toContainEqual(
      expect.objectContaining({
        reporter: 'source',
        source_workload: 'istio-egressgateway',
        source_workload_namespace: 'istio-system',
        source_app: 'istio-egressgateway',
        source_principal: 'spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account',
        destination_service: 'edition.cnn.com',
      }),
    );
    expect(labels).toContainEqual(
      expect.objectContaining({
        reporter: 'source',
        source_app: 'app',
        destination_workload: 'istio-egressgateway',
        destination_service: 'istio-egressgateway.istio-system.svc.cluster.local',
        destination_service_name: 'istio-egressgateway',
        destination_service_namespace: 'istio-system',
      }),
    );
    // Gateways report as clients only: no reporter="destination" series for the gateway.
    expect(labels.filter((l) => l.reporter === 'destination' && l.destination_workload === 'istio-egressgateway')).toEqual([]);
  });

  it('passes the external host failures through the gateway to the caller', () => {
    const r = run(scenarioFromYaml(scenario({ istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}`, failure: '{rate: 0.2, status: 503}' })));
    const app = edge(r, 'app', 'edition.cnn.com');
    const gw = edge(r, 'istio-egressgateway', 'edition.cnn.com');
    expect(gw.by_code['503']).toBeGreaterThan(100);
    expect(app.by_code['503']).toBe(gw.by_code['503']);
  });
});

describe('from the gateway to the host', () => {
  it('a gateway route to a host no ServiceEntry declares: warning, and the gateway answers 503 itself (no cluster)', () => {
    const text = scenario({
      istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS.replace('host: edition.cnn.com, port', 'host: mirror.example.com, port')}`,
    }).replace('  workload:', '  - host: mirror.example.com\n  workload:');
    expect(warningsOf(text)).toMatch(/the egress gateway routes to "mirror.example.com", which no ServiceEntry declares/);
    const r = run(scenarioFromYaml(text));
    expect(edge(r, 'app', 'edition.cnn.com').by_code).toEqual({ '503': edge(r, 'app', 'edition.cnn.com').requests });
    expect(r.gateways?.[0]?.local_replies).toBe(r.gateways?.[0]?.requests);
  });

  it('tls.mode SIMPLE to the external host originates TLS on the gateway: handshake CPU there, once per connection', () => {
    const simple = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls}
spec:
  host: edition.cnn.com
  trafficPolicy: {tls: {mode: SIMPLE}}
`;
    const base = `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}`;
    const plain = run(scenarioFromYaml(scenario({ istio: base })));
    const tls = run(scenarioFromYaml(scenario({ istio: `${base}---\n${simple}` })));
    expect(edge(tls, 'istio-egressgateway', 'edition.cnn.com').mtls).toBe(false);
    expect(tls.resources.by_component.gateway!.cpu_cores).toBeGreaterThan(plain.resources.by_component.gateway!.cpu_cores);
    expect(tls.connections.opened).toBe(plain.connections.opened);
  });
});

describe('what the sidecar still enforces', () => {
  it('REGISTRY_ONLY: without a ServiceEntry the sidecar answers 502 (block_all) before any route to the gateway', () => {
    const text = scenario({ istio: `${GATEWAY}---\n${DR}---\n${VS}`, mesh: ', outboundTrafficPolicy: {mode: REGISTRY_ONLY}' });
    expect(warningsOf(text)).toMatch(/egress host "edition.cnn.com" has no ServiceEntry/);
    const r = run(scenarioFromYaml(text));
    expect(edge(r, 'app', 'edition.cnn.com').by_code).toEqual({ '502': edge(r, 'app', 'edition.cnn.com').requests });
    expect(r.gateways?.[0]?.requests).toBe(0);
  });

  it('ALLOW_ANY and no ServiceEntry: the sidecar sends the call out through PassthroughCluster, not to the gateway', () => {
    const r = run(scenarioFromYaml(scenario({ istio: `${GATEWAY}---\n${DR}---\n${VS}` })));
    // The host is outside the registry: the sidecar's allow_any route never meets the VirtualService.
    expect(r.gateways?.[0]?.requests ?? 0).toBe(0);
    expect(edge(r, 'app', 'edition.cnn.com').by_code['200']).toBeGreaterThan(0);
  });
});

describe('incomplete egress gateway config is warned about and fails as Istio does', () => {
  it('a VirtualService sending to the egress gateway with no Gateway selecting it: warning, connections fail (503 UF)', () => {
    const text = scenario({ istio: `${SE}---\n${DR}---\n${VS}` });
    expect(warningsOf(text)).toMatch(/no Gateway selects it/);
    const r = run(scenarioFromYaml(text));
    const app = edge(r, 'app', 'edition.cnn.com');
    expect(app.by_code['503']).toBe(app.requests);
    expect(app.by_flag.UF).toBe(app.requests);
  });

  it('ISTIO_MUTUAL on the Gateway server without a DestinationRule saying so: no auto mTLS to gateways, connections fail', () => {
    const mutual = GATEWAY.replace('hosts: [edition.cnn.com]', 'hosts: [edition.cnn.com]\n    tls: {mode: ISTIO_MUTUAL}').replace(
      'protocol: HTTP}',
      'protocol: HTTPS}',
    );
    const text = scenario({ istio: `${SE}---\n${mutual}---\n${DR}---\n${VS}` });
    expect(warningsOf(text)).toMatch(/sends plaintext to the egress gateway/);
    expect(edge(run(scenarioFromYaml(text)), 'app', 'edition.cnn.com').by_flag.UF).toBeGreaterThan(0);
  });

  it('in other modes the mesh routes are not run: a run-time warning, and calls go straight out', () => {
    const r = run(scenarioFromYaml(scenario({ istio: `${SE}---\n${GATEWAY}---\n${DR}---\n${VS}` })), { mode: 'ambient' });
    expect(r.warnings.join('\n')).toMatch(/istio-egressgateway is reached through sidecar routes/);
    expect(r.gateways).toBeUndefined();
  });
});

describe('scenarios/egress-gateway.yaml (the TLS origination task, config unchanged)', () => {
  it('mTLS from the sidecar to the gateway, TLS origination to edition.cnn.com:443 on the gateway', () => {
    const r = run(scenarioFromFile('scenarios/egress-gateway.yaml'));
    expect(edge(r, 'newsroom', 'edition.cnn.com').mtls).toBe(true);
    expect(edge(r, 'istio-egressgateway', 'edition.cnn.com').mtls).toBe(false);
    expect(Object.keys(r.clusters)).toContain('outbound|443||edition.cnn.com');
    const gw = r.gateways![0]!;
    expect(gw.replicas).toBe(2);
    expect(gw.tls_handshakes).toBe(gw.connections);
    // REGISTRY_ONLY still applies at the sidecar for a host no ServiceEntry declares.
    expect(edge(r, 'newsroom', 'tracking.example.com').by_code).toEqual({ '502': edge(r, 'newsroom', 'tracking.example.com').requests });
    // The 30-45 s failures of CNN reach newsroom through the gateway.
    expect(edge(r, 'newsroom', 'edition.cnn.com').by_code['503']).toBe(edge(r, 'istio-egressgateway', 'edition.cnn.com').by_code['503']);
  });
});
