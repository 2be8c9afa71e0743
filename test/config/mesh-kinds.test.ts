/**
 * Linkerd, Cilium, App Mesh and Gateway API kinds (src/config/mesh-kinds.ts): real YAML from the
 * projects' docs loads; invalid fields are positioned errors naming the field.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../src/config/diagnostics.js';
import { emptyMeshResources, readMeshResource, readServiceAnnotations, type MeshResources } from '../../src/config/mesh-kinds.js';
import { effectiveRetryBudget } from '../../src/config/linkerd/service-profile.js';
import { parseLinkerdAnnotations } from '../../src/config/linkerd/annotations.js';
import { YamlSource } from '../../src/config/yaml-source.js';

function load(text: string): { res: MeshResources; errors: string[]; warnings: string[] } {
  const res = emptyMeshResources();
  const problems = { errors: [] as Diagnostic[], warnings: [] as Diagnostic[] };
  YamlSource.all('mesh.yaml', text).forEach((src, order) => {
    const raw = src.doc.toJS() as Record<string, unknown>;
    const meta = raw.metadata as { name: string; namespace?: string };
    const doc = {
      raw,
      apiVersion: raw.apiVersion as string,
      kind: raw.kind as string,
      name: meta.name,
      namespace: meta.namespace ?? 'default',
      src,
      order,
    };
    if (doc.kind === 'Service') readServiceAnnotations(doc, res, problems);
    else expect(readMeshResource(doc, res, problems)).toBe(true);
  });
  return { res, errors: problems.errors.map(formatDiagnostic), warnings: problems.warnings.map(formatDiagnostic) };
}

describe('Gateway API and Linkerd routes', () => {
  it('loads a GAMMA HTTPRoute with weighted backendRefs, timeouts and Linkerd retry annotations', () => {
    const { res, errors } = load(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web-split
  annotations:
    retry.linkerd.io/http: 5xx,429
    retry.linkerd.io/limit: "2"
    retry.linkerd.io/timeout: 300ms
spec:
  parentRefs:
    - {group: core, kind: Service, name: web, port: 80}
  rules:
    - backendRefs:
        - {name: web-v1, port: 80, weight: 90}
        - {name: web-v2, port: 80, weight: 10}
      timeouts: {request: 2s}
`);
    expect(errors).toEqual([]);
    const r = res.httpRoutes[0]!;
    expect(r.family).toBe('gateway-api');
    expect(r.spec.rules[0]!.backendRefs.map((b) => b.weight)).toEqual([90, 10]);
    expect(r.spec.rules[0]!.timeouts?.request).toBe(2_000_000);
    expect(r.spec.rules[0]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(r.linkerd?.retry).toEqual({
      http: [
        [500, 599],
        [429, 429],
      ],
      limit: 2,
      timeoutUs: 300_000,
    });
  });

  it('loads policy.linkerd.io HTTPRoute as Linkerd family', () => {
    const { res, errors } = load(`apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{kind: Server, group: policy.linkerd.io, name: web-http}]
  rules: [{matches: [{path: {value: /api, type: PathPrefix}, method: GET}]}]
`);
    expect(errors).toEqual([]);
    expect(res.httpRoutes[0]!.family).toBe('linkerd');
  });

  it('bad route values are positioned errors', () => {
    const { errors } = load(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad}
spec:
  parentRefs: [{kind: Service, name: web}]
  rules:
    - timeouts: {request: 2 seconds}
      backendRefs: [{name: web, weigth: 3}]
`);
    expect(errors).toContain(
      'mesh.yaml:7:27: error: HTTPRoute bad: spec.rules[0].timeouts.request: invalid duration "2 seconds": Gateway API durations match ^([0-9]{1,5}(h|m|s|ms)){1,4}$ (GEP-2257)',
    );
    expect(errors.some((e) => e.startsWith('mesh.yaml:8:') && e.includes('unknown field "weigth"'))).toBe(true);
  });

  it('a wrong apiVersion for a known kind is an error at apiVersion', () => {
    const { errors } = load(`apiVersion: policy.linkerd.io/v9
kind: Server
metadata: {name: s}
spec: {podSelector: {}, port: 80}
`);
    expect(errors[0]).toMatch(/^mesh\.yaml:1:13: error: Server s: apiVersion must be one of policy\.linkerd\.io\/v1beta3/);
  });
});

describe('Linkerd annotations', () => {
  it('reads failure accrual with defaults 7 / 1s / 60s / 0.5', () => {
    const { res, errors } = load(`apiVersion: v1
kind: Service
metadata:
  name: payment
  annotations:
    balancer.linkerd.io/failure-accrual: consecutive
spec: {ports: [{port: 80}]}
`);
    expect(errors).toEqual([]);
    expect(res.linkerdServiceAnnotations[0]!.spec.failureAccrual).toEqual({
      kind: 'consecutive',
      maxFailures: 7,
      minPenaltyUs: 1e6,
      maxPenaltyUs: 60e6,
      jitterRatio: 0.5,
    });
  });

  it('invalid annotation values are errors at the annotation', () => {
    const { errors } = load(`apiVersion: v1
kind: Service
metadata:
  name: payment
  annotations:
    retry.linkerd.io/http: 5xx,700
    timeout.linkerd.io/request: 1.5s
    balancer.linkerd.io/failure-accrual: consecutive
    balancer.linkerd.io/failure-accrual-consecutive-min-penalty: 2m
    balancer.linkerd.io/failure-accrual-consecutive-max-penalty: 1m
`);
    expect(errors).toEqual([
      'mesh.yaml:6:28: error: Service payment: annotation retry.linkerd.io/http: invalid status range "700": use 5xx, gateway-error, a code or a range a-b within 100-599',
      'mesh.yaml:7:33: error: Service payment: annotation timeout.linkerd.io/request: invalid duration "1.5s": use an integer with ms, s, m, h or d (e.g. 300ms)',
      'mesh.yaml:9:66: error: Service payment: annotation balancer.linkerd.io/failure-accrual-consecutive-min-penalty: min-penalty must not exceed max-penalty',
    ]);
  });

  it('limit defaults to 1 when any retry key is present, and 0 counts as unset', () => {
    expect(parseLinkerdAnnotations({ 'retry.linkerd.io/http': 'gateway-error' }).value.retry).toEqual({ http: [[502, 504]], limit: 1 });
    expect(parseLinkerdAnnotations({ 'retry.linkerd.io/limit': '0' }).value.retry?.limit).toBe(1);
  });
});

describe('ServiceProfile', () => {
  it('fills the default retry budget (0.2, 10/s, 10s) when the profile omits it', () => {
    const { res, errors } = load(`apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: books.default.svc.cluster.local, namespace: default}
spec:
  routes:
    - name: GET /books
      condition: {method: GET, pathRegex: /books}
      isRetryable: true
      timeout: 300ms
`);
    expect(errors).toEqual([]);
    expect(effectiveRetryBudget(res.linkerdServiceProfiles[0]!.spec)).toEqual({
      retryRatio: 0.2,
      minRetriesPerSecond: 10,
      ttlUs: 10_000_000,
    });
  });
});

describe('Cilium', () => {
  it('loads the star-wars L7 policy and a clusterwide policy with specs', () => {
    const { res, errors } = load(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rule1}
spec:
  description: L7 policy to restrict access to specific HTTP call
  endpointSelector: {matchLabels: {org: empire, class: deathstar}}
  ingress:
    - fromEndpoints: [{matchLabels: {org: empire}}]
      toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules:
            http: [{method: POST, path: /v1/request-landing}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: cw}
specs:
  - endpointSelector: {}
    egress: [{toEntities: [cluster]}]
`);
    expect(errors).toEqual([]);
    expect(res.ciliumNetworkPolicies.map((p) => p.spec.length)).toEqual([1, 1]);
  });

  it('unknown fields and bad entities are positioned errors', () => {
    const { errors } = load(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: bad}
spec:
  endpointSelector: {}
  ingress:
    - fromEntitys: [world]
      toPorts: [{ports: [{port: "80", protocol: HTTP}]}]
`);
    expect(
      errors.some((e) => e.startsWith('mesh.yaml:7:') && e.includes('unknown field "fromEntitys" (did you mean "fromEntities"?)')),
    ).toBe(true);
    expect(errors.some((e) => e.startsWith('mesh.yaml:8:') && e.includes('protocol: must be one of'))).toBe(true);
  });

  it('recognises CiliumEnvoyConfig', () => {
    const { res, errors } = load(`apiVersion: cilium.io/v2
kind: CiliumEnvoyConfig
metadata: {name: envoy-lb}
spec:
  services: [{name: echo-service, namespace: default}]
  resources:
    - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
      name: envoy-lb-listener
`);
    expect(errors).toEqual([]);
    expect(res.ciliumEnvoyConfigs[0]!.spec.services?.[0]?.name).toBe('echo-service');
  });
});

describe('App Mesh', () => {
  it('loads a VirtualRouter route with retryPolicy and timeout, warning that App Mesh is past end of support', () => {
    const { res, errors, warnings } = load(`apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualRouter
metadata: {name: payment-router}
spec:
  listeners: [{portMapping: {port: 8080, protocol: http}}]
  routes:
    - name: payment-route
      httpRoute:
        match: {prefix: /}
        action:
          weightedTargets:
            - {virtualNodeRef: {name: payment-v1}, weight: 90}
            - {virtualNodeRef: {name: payment-v2}, weight: 10}
        retryPolicy:
          maxRetries: 3
          perRetryTimeout: {unit: ms, value: 500}
          httpRetryEvents: [server-error, gateway-error]
          tcpRetryEvents: [connection-error]
        timeout: {perRequest: {unit: s, value: 5}}
`);
    expect(errors).toEqual([]);
    expect(warnings[0]).toMatch(/end of support on 2026-09-30/);
    const route = res.appMeshVirtualRouters[0]!.spec.routes![0]!;
    expect(route.httpRoute?.retryPolicy).toMatchObject({ maxRetries: 3, perRetryTimeout: 500_000 });
    expect(route.httpRoute?.timeout?.perRequest).toBe(5_000_000);
  });

  it('outlierDetection fields are required and bounded', () => {
    const { errors } = load(`apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: payment-v1}
spec:
  listeners:
    - portMapping: {port: 8080, protocol: http}
      outlierDetection:
        maxServerErrors: 0
        interval: {unit: s, value: 10}
        baseEjectionDuration: {unit: minutes, value: 1}
        maxEjectionPercent: 50
`);
    expect(errors.some((e) => e.startsWith('mesh.yaml:8:26:') && e.includes('maxServerErrors: must be >= 1'))).toBe(true);
    expect(errors.some((e) => e.startsWith('mesh.yaml:10:38:') && e.includes('unit: must be one of s, ms'))).toBe(true);
  });
});
