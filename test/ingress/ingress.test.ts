/**
 * The ingress path as Istio builds it, run through the whole simulator (loader → gateway Envoy →
 * mesh → results.json). Sources: istio/api networking/v1alpha3/gateway.proto and
 * virtual_service.proto (`gateways`, the reserved `mesh`); istio/istio pilot/pkg/networking/core/route/route.go
 * (sourceMatchHTTP: match.gateways, sourceLabels, port); pilot/pkg/config/kube/gateway/conversion.go
 * and deploymentcontroller.go (Gateway API: `<name>-istio`, HTTPRoute rules, weights, timeouts, retries);
 * Istio's Bookinfo getting-started guide (samples/bookinfo/networking/bookinfo-gateway.yaml).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/config/diagnostics.js';
import { loadScenarioSource } from '../../src/analysis/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { edge, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const indent = (s: string, n: number) =>
  s
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

/** Clients outside the cluster → gateway → `web` (v1, v2) → `api`. */
function scenario(o: { istio: string; workload?: string; mode?: string; services?: string; duration?: string }): string {
  return `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: ingress}
spec:
  seed: 5
  duration: ${o.duration ?? '10s'}
  mesh: {mode: ${o.mode ?? 'sidecar'}}
  cluster: {nodes: 2}
  services:
${indent(
  o.services ??
    `- name: web
  versions: [{name: v1, replicas: 2}, {name: v2, replicas: 1}]
  serviceTime: 1ms
  calls: [{service: api}]
- name: api
  serviceTime: 1ms`,
  4,
)}
  workload:
${indent(o.workload ?? '- {name: users, gateway: web-gateway, rate: 200, requests: [{path: /}]}', 4)}
  istio: |
${indent(o.istio, 4)}
`;
}

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
`;

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const boundVs = (extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web-ingress}
spec:
  hosts: ["*"]
  gateways: [web-gateway${extra}]
  http:
  - match: [{uri: {prefix: /}}]
    route:
    - destination: {host: web, subset: v2}
`;

describe('Bookinfo through its own gateway (the getting-started guide)', () => {
  it('drives all four services from bookinfo-gateway.yaml, with reviews split about 80/20 by the VirtualService', () => {
    const r = run(scenarioFromFile('scenarios/bookinfo-gateway.yaml'), { durationUs: 30e6 });
    const reviews = edge(r, 'productpage', 'reviews');
    const v1 = reviews.by_version.v1 ?? 0;
    const v2 = reviews.by_version.v2 ?? 0;
    expect(v1 / (v1 + v2)).toBeGreaterThan(0.77);
    expect(v1 / (v1 + v2)).toBeLessThan(0.83);
    expect(reviews.by_version.v3 ?? 0).toBe(0);
    // Istio reports the gateway as the source workload of what it forwards.
    expect(edge(r, 'istio-ingressgateway', 'productpage').requests).toBeGreaterThan(2000);
    expect(edge(r, 'productpage', 'details').by_code['200']).toBe(edge(r, 'istio-ingressgateway', 'productpage').by_code['200']);
    expect(edge(r, 'reviews', 'ratings').requests).toBe(v2);
    expect(edge(r, 'istio-ingressgateway', 'productpage').mtls).toBe(true);
    // /admin has no route on the gateway: 404 NR from the gateway itself.
    expect(r.requests.by_flag.NR).toBeGreaterThan(0);
    expect(r.requests.by_code['404']).toBe(r.requests.by_flag.NR);
    expect(r.resources.by_component.gateway?.instances).toBe(1);
    expect(r.gateways?.[0]).toMatchObject({ deployment: 'istio-ingressgateway', namespace: 'istio-system', replicas: 1 });
  });
});

describe('VirtualService gateways (virtual_service.proto: "mesh" is implied only when no gateway is listed)', () => {
  it('a VirtualService bound to a gateway does not route sidecar traffic unless it also lists mesh', () => {
    const mesh = (gateways: string) =>
      run(
        scenarioFromYaml(
          scenario({
            workload: '- {name: users, target: web, rate: 100}',
            istio: `${GATEWAY}---\n${DR}---\n${boundVs(gateways)}`,
          }),
        ),
      );
    const only = edge(mesh(''), 'users', 'web').by_version;
    expect(only.v1).toBeGreaterThan(0); // the gateway-bound rule (all to v2) is not on the sidecars
    const both = edge(mesh(', mesh'), 'users', 'web').by_version;
    expect(both.v1 ?? 0).toBe(0);
  });

  it('match.gateways picks which proxies build a rule: the gateway sends to v2, the mesh keeps v1', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web, "*"]
  gateways: [web-gateway, mesh]
  http:
  - match: [{gateways: [web-gateway]}]
    route: [{destination: {host: web, subset: v2}}]
  - match: [{gateways: [mesh]}]
    route: [{destination: {host: web, subset: v1}}]
`;
    const r = run(
      scenarioFromYaml(
        scenario({
          workload: '- {name: users, gateway: web-gateway, rate: 100}\n- {name: inside, target: web, rate: 100}',
          istio: `${GATEWAY}---\n${DR}---\n${vs}`,
        }),
      ),
    );
    expect(edge(r, 'istio-ingressgateway', 'web').by_version).toEqual({ v2: edge(r, 'istio-ingressgateway', 'web').requests });
    expect(edge(r, 'inside', 'web').by_version).toEqual({ v1: edge(r, 'inside', 'web').requests });
  });

  it('sourceLabels and port select the proxies a match is built for (route.go sourceMatchHTTP, translateRoute)', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{sourceLabels: {app: api}}]
    route: [{destination: {host: web, subset: v2}}]
  - match: [{port: 9999}]
    route: [{destination: {host: web, subset: v2}}]
  - route: [{destination: {host: web, subset: v1}}]
`;
    const r = run(
      scenarioFromYaml(scenario({ workload: '- {name: inside, target: web, rate: 100}', istio: `${GATEWAY}---\n${DR}---\n${vs}` })),
    );
    // The client has no app=api label and web listens on 8080: only the last rule applies.
    expect(edge(r, 'inside', 'web').by_version).toEqual({ v1: edge(r, 'inside', 'web').requests });
  });
});

describe('the gateway Deployment', () => {
  it('terminates TLS on an HTTPS server: one handshake per downstream connection, on the gateway Envoy', () => {
    const https = GATEWAY.replace('{number: 8080, name: http, protocol: HTTP}', '{number: 443, name: https, protocol: HTTPS}').replace(
      'hosts: ["*"]',
      'hosts: ["*"]\n    tls: {mode: SIMPLE, credentialName: web-cert}',
    );
    const plain = run(scenarioFromYaml(scenario({ istio: `${GATEWAY}---\n${boundVs()}` })));
    const tls = run(scenarioFromYaml(scenario({ istio: `${https}---\n${boundVs()}` })));
    expect(plain.gateways?.[0]?.tls_handshakes).toBe(0);
    expect(tls.gateways?.[0]?.tls_handshakes).toBe(tls.gateways?.[0]?.connections);
    expect(tls.gateways?.[0]?.connections).toBeGreaterThan(0);
    expect(tls.resources.by_component.gateway!.cpu_cores).toBeGreaterThan(plain.resources.by_component.gateway!.cpu_cores);
  });

  it('runs spec.mesh.gatewayReplicas pods, counted in resources', () => {
    const text = scenario({ istio: `${GATEWAY}---\n${boundVs()}` }).replace(
      'mesh: {mode: sidecar}',
      'mesh: {mode: sidecar, gatewayReplicas: 3}',
    );
    const r = run(scenarioFromYaml(text));
    expect(r.resources.by_component.gateway?.instances).toBe(3);
    expect(r.gateways?.[0]?.replicas).toBe(3);
  });

  it('a Gateway whose selector matches no gateway Deployment is warned about (IST0101) and refuses connections', () => {
    const text = scenario({ istio: `${GATEWAY.replace('istio: ingressgateway', 'istio: ingress')}---\n${boundVs()}` });
    const loaded = loadScenarioSource(new YamlSource('x.yaml', text));
    expect(loaded.warnings.map((w) => w.message).join('\n')).toMatch(/Referenced selector not found/);
    const r = run(loaded.scenario);
    expect(r.requests.by_code['0']).toBe(r.requests.total);
  });

  it('a VirtualService naming a gateway that does not exist is warned about (IST0101)', () => {
    const text = scenario({ workload: '- {name: users, target: web, rate: 10}', istio: `${GATEWAY}---\n${boundVs(', other-gw')}` });
    const loaded = loadScenarioSource(new YamlSource('x.yaml', text));
    expect(loaded.warnings.map((w) => w.message).join('\n')).toMatch(/Referenced gateway not found: "default\/other-gw"/);
  });

  it('a workload naming an unknown gateway is an input error at its position', () => {
    const text = scenario({ workload: '- {name: users, gateway: nope, rate: 10}', istio: GATEWAY });
    expect(() => loadScenarioSource(new YamlSource('x.yaml', text))).toThrow(InputError);
  });
});

const API_GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
`;

describe('Gateway API on Istio (conversion.go)', () => {
  const route = (rules: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: web-gateway}]
  rules:
${indent(rules, 2)}
`;
  it('deploys <name>-istio and splits by backendRef weights', () => {
    const svc = `- name: web
  serviceTime: 1ms
- name: api
  serviceTime: 1ms`;
    const r = run(
      scenarioFromYaml(
        scenario({
          services: svc,
          istio: `${API_GATEWAY}---\n${route('- backendRefs: [{name: web, port: 8080, weight: 3}, {name: api, port: 8080, weight: 1}]')}`,
        }),
      ),
    );
    const web = edge(r, 'web-gateway-istio', 'web').requests;
    const api = edge(r, 'web-gateway-istio', 'api').requests;
    expect(web / (web + api)).toBeGreaterThan(0.7);
    expect(web / (web + api)).toBeLessThan(0.8);
    expect(r.gateways?.[0]?.deployment).toBe('web-gateway-istio');
  });

  it('orders rules exact before prefix and longer prefixes first; no backend answers 500', () => {
    const svc = `- name: web
  serviceTime: 1ms
- name: api
  serviceTime: 1ms`;
    const rules = `- matches: [{path: {type: PathPrefix, value: /}}]
  backendRefs: [{name: web, port: 8080}]
- matches: [{path: {type: PathPrefix, value: /api}}]
  backendRefs: [{name: api, port: 8080}]
- matches: [{path: {type: Exact, value: /api/broken}}]`;
    const r = run(
      scenarioFromYaml(
        scenario({
          services: svc,
          workload: '- {name: users, gateway: web-gateway, rate: 100, requests: [{path: /api/x}, {path: /apix}, {path: /api/broken}]}',
          istio: `${API_GATEWAY}---\n${route(rules)}`,
        }),
      ),
    );
    const api = edge(r, 'web-gateway-istio', 'api').requests;
    const web = edge(r, 'web-gateway-istio', 'web').requests;
    // "/apix" is not under the path-separated prefix "/api": it goes to "/".
    expect(api / (api + web)).toBeGreaterThan(0.4);
    expect(api / (api + web)).toBeLessThan(0.6);
    expect(r.requests.by_code['500']).toBeGreaterThan(0);
  });

  it('timeouts.request is the route timeout and backendRequest the per-try timeout when retry is set', () => {
    const svc = `- name: web
  serviceTime: 50ms`;
    const request = run(
      scenarioFromYaml(
        scenario({
          services: svc,
          istio: `${API_GATEWAY}---\n${route('- backendRefs: [{name: web, port: 8080}]\n  timeouts: {request: 20ms}')}`,
        }),
      ),
    );
    expect(request.requests.by_code['504']).toBe(request.requests.total);
    expect(request.requests.by_flag.UT).toBe(request.requests.total);
    const perTry = run(
      scenarioFromYaml(
        scenario({
          services: svc,
          istio: `${API_GATEWAY}---\n${route('- backendRefs: [{name: web, port: 8080}]\n  timeouts: {request: 1s, backendRequest: 20ms}\n  retry: {attempts: 1, codes: [503]}')}`,
        }),
      ),
    );
    // Each try times out after 20 ms; Istio's HTTPRoute retry_on has no "reset", so it is not retried.
    expect(perTry.requests.by_code['504']).toBe(perTry.requests.total);
    expect(perTry.latency_ms.p50).toBeLessThan(40);
  });
});
