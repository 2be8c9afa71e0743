/**
 * CUSTOM AuthorizationPolicy and ext_authz.
 * - Undeclared provider: istiod generates a DENY of the policy's own rules
 *   (istio/istio pilot/pkg/security/authz/builder/builder.go getBadCustomDenyRules): matching
 *   requests get 403, the others are untouched.
 * - Declared provider (meshConfig.extensionProviders, istio/api mesh/v1alpha1/config.proto): the
 *   server sidecar asks the provider's service first; denial status forwarded (HTTP provider);
 *   errors and timeouts give statusOnError (default 403) unless failOpen (Envoy ext_authz.proto
 *   failure_mode_allow, status_on_error; envoyproxy/envoy#14001 for 5xx).
 */
import { describe, expect, it } from 'vitest';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import type { CallRecord } from '../../src/telemetry/observer.js';
import { accessLog } from '../../src/report/access-log.js';

/** The CUSTOM policy both scenarios apply, indented for their `istio: |` block: api's /admin* asks my-ext-authz. */
const CUSTOM_ON_ADMIN = `    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: ext, namespace: default}
    spec:
      selector: {matchLabels: {app: api}}
      action: CUSTOM
      provider: {name: my-ext-authz}
      rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
`;

const scenario = (providers: string, authz: { serviceTime?: string; failure?: string } = {}) =>
  scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: custom-authz}
spec:
  duration: 20s
  mesh:
    mode: sidecar
${providers ? `    extensionProviders:\n${providers}` : ''}
  services:
    - {name: api, replicas: 2, serviceTime: 5ms}
    - name: ext-authz
      replicas: 2
      serviceTime: ${authz.serviceTime ?? '3ms'}
      ${authz.failure ? `failure: ${authz.failure}` : ''}
  istio: |
${CUSTOM_ON_ADMIN}  workload:
    - name: users
      target: api
      rate: 100
      requests:
        - {path: /admin/users, weight: 1}
        - {path: /public, weight: 1}
`);

const http = (extra = '') =>
  `      - name: my-ext-authz\n        envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local, port: "8080"${extra}}\n`;

describe('CUSTOM AuthorizationPolicy', () => {
  it('with a provider that is not declared, denies exactly the requests its rules match (403), as istiod generates it', () => {
    const r = run(scenario(''));
    const denied = r.requests.by_code['403'] ?? 0;
    expect(denied / r.requests.total).toBeGreaterThan(0.4);
    expect(denied / r.requests.total).toBeLessThan(0.6);
    expect((r.requests.by_code['200'] ?? 0) + denied).toBe(r.requests.total);
    expect(r.edges.some((e) => e.destination === 'ext-authz')).toBe(false);
  });

  it('with a declared provider, matching requests are checked by its service, which adds its latency', () => {
    const r = run(scenario(http()));
    expect(r.requests.succeeded).toBe(r.requests.total);
    const check = r.edges.find((e) => e.source === 'api' && e.destination === 'ext-authz');
    expect(check?.requests).toBeGreaterThan(r.requests.total * 0.4);
    expect(check?.requests).toBeLessThan(r.requests.total * 0.6);
    const none = run(scenario(''));
    // Only /public requests succeed without the provider; with it, /admin ones take ≥ the 3 ms check.
    expect(r.latency_ms.p90).toBeGreaterThan(none.latency_ms.p90);
  });

  it('an HTTP provider’s denial status reaches the client', () => {
    const r = run(scenario(http(), { failure: '{rate: 1, status: 401}' }));
    expect((r.requests.by_code['401'] ?? 0) / r.requests.total).toBeGreaterThan(0.4);
  });

  it('a failing provider (5xx) gives statusOnError, 403 by default; failOpen lets the requests through', () => {
    const closed = run(scenario(http(), { failure: '{rate: 1, status: 503}' }));
    expect((closed.requests.by_code['403'] ?? 0) / closed.requests.total).toBeGreaterThan(0.4);
    expect(closed.requests.by_code['503'] ?? 0).toBe(0);
    const open = run(scenario(http(', failOpen: true'), { failure: '{rate: 1, status: 503}' }));
    expect(open.requests.succeeded).toBe(open.requests.total);
  });

  it('a provider slower than its timeout is an error: statusOnError "503" after the timeout', () => {
    const r = run(scenario(http(', timeout: 50ms, statusOnError: "503"'), { serviceTime: '1s' }));
    expect((r.requests.by_code['503'] ?? 0) / r.requests.total).toBeGreaterThan(0.4);
    expect(r.latency_ms.p99).toBeGreaterThan(50);
    expect(r.latency_ms.p99).toBeLessThan(80);
  });

  it('an ext_authz denial is logged by the server sidecar with Envoy’s UAEX flag (ext_authz_denied), the client sidecar sees only the status', () => {
    const records: CallRecord[] = [];
    simulate(scenario(http(), { failure: '{rate: 1, status: 401}' }), { observers: [{ onCall: (r) => records.push(r) }] });
    const denied = records.filter((r) => r.call.service.model.key === 'api' && r.status === 401);
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((r) => r.serverFlags === 'UAEX' && r.flags === '')).toBe(true);
    const log = accessLog([{ record: denied[0]!, requestId: 'r1' }], 'sidecar', 0).split('\n');
    expect(log[0]).toMatch(/^users-client\.sidecar .* 401 - via_upstream /);
    expect(log[1]).toMatch(/^api-v1-\d\.sidecar .* 401 UAEX ext_authz_denied /);
  });
});

describe('filter order at the server sidecar', () => {
  it('CUSTOM ext_authz runs before jwt_authn: an expired token on a path the provider denies gets its 403, not 401 (listener_builder.go)', () => {
    const iss = 'https://issuer.example.com';
    const r = run(
      scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: order}
spec:
  duration: 10s
  mesh:
    mode: sidecar
    extensionProviders:
${http()}  services:
    - {name: api, replicas: 2, serviceTime: 5ms}
    - {name: ext-authz, replicas: 2, serviceTime: 3ms, failure: {rate: 1, status: 403}}
  istio: |
${CUSTOM_ON_ADMIN}    ---
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata: {name: jwt, namespace: default}
    spec:
      selector: {matchLabels: {app: api}}
      jwtRules: [{issuer: "${iss}"}]
  workload:
    - name: users
      target: api
      rate: 50
      requests:
        - {path: /admin/users, weight: 1, jwt: {issuer: "${iss}", subject: a, expired: true}}
        - {path: /public, weight: 1, jwt: {issuer: "${iss}", subject: b, expired: true}}
`),
    );
    // /admin: the provider (which denies everything) is asked first and answers 403.
    // /public: ext_authz lets it through, then jwt_authn refuses the expired token.
    const admin = r.requests.by_code['403'] ?? 0;
    const expired = r.requests.by_code['401'] ?? 0;
    expect(admin).toBeGreaterThan(0);
    expect(expired).toBeGreaterThan(0);
    expect(admin + expired).toBe(r.requests.total);
  });
});
