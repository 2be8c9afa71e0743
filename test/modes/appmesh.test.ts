/**
 * Mode `appmesh`: App Mesh CRDs on the Envoy engine (aws-app-mesh-controller-for-k8s v1beta2 CRDs;
 * defaults https://docs.aws.amazon.com/app-mesh/latest/userguide/envoy-defaults.html), warned as
 * past end of support (2026-09-30).
 */
import { describe, expect, it } from 'vitest';
import { meshMode } from '../../src/modes/registry.js';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const yaml = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: am}
spec:
  seed: 2
  duration: 20s
  mesh: {mode: appmesh}
  cluster: {nodes: 2}
  services:
    - name: web
      serviceTime: {distribution: constant, value: 1ms}
      calls: [{service: payment, path: /pay}]
    - name: payment
      versions: [{name: v1, replicas: 2}, {name: v2, replicas: 1}]
      serviceTime: {distribution: constant, value: 2ms}
      failure: {rate: 0.2, status: 503}
  workload: [{name: users, target: web, rate: 100}]
  appmesh: |
    apiVersion: appmesh.k8s.aws/v1beta2
    kind: VirtualNode
    metadata: {name: payment-v1}
    spec:
      podSelector: {matchLabels: {app: payment, version: v1}}
      listeners: [{portMapping: {port: 8080, protocol: http}}]
      serviceDiscovery: {dns: {hostname: payment.default.svc.cluster.local}}
    ---
    apiVersion: appmesh.k8s.aws/v1beta2
    kind: VirtualNode
    metadata: {name: payment-v2}
    spec:
      podSelector: {matchLabels: {app: payment, version: v2}}
      listeners: [{portMapping: {port: 8080, protocol: http}}]
      serviceDiscovery: {dns: {hostname: payment.default.svc.cluster.local}}
    ---
    apiVersion: appmesh.k8s.aws/v1beta2
    kind: VirtualRouter
    metadata: {name: payment-router}
    spec:
      listeners: [{portMapping: {port: 8080, protocol: http}}]
      routes:
      - name: pay
        httpRoute:
          match: {prefix: /}
          action: {weightedTargets: [{virtualNodeRef: {name: payment-v1}, weight: 50}, {virtualNodeRef: {name: payment-v2}, weight: 50}]}
    ---
    apiVersion: appmesh.k8s.aws/v1beta2
    kind: VirtualService
    metadata: {name: payment}
    spec:
      provider: {virtualRouter: {virtualRouterRef: {name: payment-router}}}
`;

describe('mode appmesh', () => {
  it('routes by the VirtualRouter weights, plaintext by default, with the hidden default retry policy (2 retries on 503)', () => {
    const r = run(scenarioFromYaml(yaml));
    const e = r.edges.find((x) => x.destination === 'payment');
    const v1 = e?.by_version.v1 ?? 0;
    const v2 = e?.by_version.v2 ?? 0;
    expect(v2 / (v1 + v2)).toBeGreaterThan(0.4);
    expect(v2 / (v1 + v2)).toBeLessThan(0.6);
    expect(e?.mtls).toBe(false);
    // 0.2^3 of calls fail after 2 retries.
    expect(r.requests.failed / r.requests.total).toBeLessThan(0.03);
    expect(r.services.payment?.retries).toBeGreaterThan(0);
    expect(Object.keys(r.resources.by_component)).toContain('appmesh-envoy');
  });

  it('warns that App Mesh is past its end of support', () => {
    const w = meshMode('appmesh').configWarnings?.(scenarioFromYaml(yaml)) ?? [];
    expect(w[0]?.message).toMatch(/end of support on 2026-09-30/);
  });
});
