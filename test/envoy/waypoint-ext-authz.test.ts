/**
 * ext_authz at ambient waypoints. A CUSTOM AuthorizationPolicy bound to a waypoint by targetRefs
 * (kind Gateway naming the waypoint, or kind Service for a service using it) is enforced by the
 * waypoint's ext_authz filter, first in its chain (istio/istio
 * pilot/pkg/networking/core/listener_waypoint.go buildWaypointHTTPFilters; Istio docs
 * https://istio.io/latest/docs/ambient/usage/l7-features/). The waypoint calls the provider's
 * service itself; latency, failures, failOpen and statusOnError behave as at sidecars (Envoy
 * ext_authz.proto). A CUSTOM policy with a selector is not supported by ztunnel ("ztunnel does not
 * support the CUSTOM action", pilot/pkg/serviceregistry/ambient/authorization.go) and waypoints
 * ignore selector policies: it is enforced nowhere, with a warning.
 */
import { describe, expect, it } from 'vitest';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import type { CallRecord } from '../../src/telemetry/observer.js';
import { accessLog } from '../../src/report/access-log.js';
import { loadScenarioSource } from '../../src/analysis/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';

const yaml = (o: { bind: string; waypoint?: boolean; provider?: string; authz?: string }) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: waypoint-ext-authz}
spec:
  duration: 20s
  mesh:
    mode: ambient
    ${o.waypoint === false ? '' : 'waypoints: [api]'}
    extensionProviders:
      - name: my-ext-authz
        envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local, port: "8080"${o.provider ?? ''}}
  services:
    - {name: api, replicas: 2, serviceTime: 5ms}
    - name: ext-authz
      replicas: 2
      serviceTime: 3ms
      ${o.authz ?? ''}
  istio: |
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: ext, namespace: default}
    spec:
      ${o.bind}
      action: CUSTOM
      provider: {name: my-ext-authz}
      rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
  workload:
    - name: users
      target: api
      rate: 100
      requests:
        - {path: /admin/users, weight: 1}
        - {path: /public, weight: 1}
`;
const byService = 'targetRefs: [{kind: Service, group: "", name: api}]';
const byGateway = 'targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: api-waypoint}]';
const bySelector = 'selector: {matchLabels: {app: api}}';

describe('CUSTOM AuthorizationPolicy at an ambient waypoint', () => {
  it('bound to the service (targetRefs kind Service): the waypoint checks the matching requests with the provider, adding its latency', () => {
    const r = run(scenarioFromYaml(yaml({ bind: byService })));
    expect(r.requests.succeeded).toBe(r.requests.total);
    const check = r.edges.find((e) => e.source === 'api-waypoint' && e.destination === 'ext-authz');
    expect(check?.requests).toBeGreaterThan(r.requests.total * 0.4);
    expect(check?.requests).toBeLessThan(r.requests.total * 0.6);
    const without = run(scenarioFromYaml(yaml({ bind: bySelector })));
    expect(without.edges.some((e) => e.destination === 'ext-authz')).toBe(false);
    expect(r.latency_ms.p90).toBeGreaterThan(without.latency_ms.p90);
  });

  it('bound to the waypoint (targetRefs kind Gateway) as well', () => {
    const r = run(scenarioFromYaml(yaml({ bind: byGateway })));
    expect(r.edges.find((e) => e.source === 'api-waypoint' && e.destination === 'ext-authz')?.requests).toBeGreaterThan(0);
  });

  it('a denial reaches the client with the provider’s status, and the waypoint logs UAEX (ext_authz_denied)', () => {
    const records: CallRecord[] = [];
    const s = scenarioFromYaml(yaml({ bind: byService, authz: 'failure: {rate: 1, status: 401}' }));
    simulate(s, { observers: [{ onCall: (c) => records.push(c) }] });
    const denied = records.filter((c) => c.call.service.model.key === 'api' && c.status === 401);
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((c) => c.flags === 'UAEX' && c.pod === undefined)).toBe(true);
    const log = accessLog([{ record: denied[0]!, requestId: 'r1' }], 'ambient', 0);
    expect(log).toMatch(/^api-waypoint .* 401 UAEX ext_authz_denied /);
  });

  it('a failing provider gives statusOnError (403 by default); failOpen lets requests through', () => {
    const closed = run(scenarioFromYaml(yaml({ bind: byService, authz: 'failure: {rate: 1, status: 503}' })));
    expect((closed.requests.by_code['403'] ?? 0) / closed.requests.total).toBeGreaterThan(0.4);
    const open = run(scenarioFromYaml(yaml({ bind: byService, provider: ', failOpen: true', authz: 'failure: {rate: 1, status: 503}' })));
    expect(open.requests.succeeded).toBe(open.requests.total);
  });

  it('with a selector instead, ztunnel does not support CUSTOM and waypoints ignore it: no check anywhere, and a warning says so', () => {
    const text = yaml({ bind: bySelector, authz: 'failure: {rate: 1, status: 401}' });
    const r = run(scenarioFromYaml(text));
    expect(r.requests.succeeded).toBe(r.requests.total);
    const { warnings } = loadScenarioSource(new YamlSource('w.yaml', text));
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/ztunnel does not support the CUSTOM action.*targetRefs/);
  });

  it('targetRefs naming a service without a waypoint: warned, the check runs nowhere', () => {
    const text = yaml({ bind: byService, waypoint: false, authz: 'failure: {rate: 1, status: 401}' });
    const { warnings } = loadScenarioSource(new YamlSource('w.yaml', text));
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/CUSTOM targetRefs Service api is not a waypoint/);
    expect(run(scenarioFromYaml(text)).requests.succeeded).toBeGreaterThan(0);
  });
});
