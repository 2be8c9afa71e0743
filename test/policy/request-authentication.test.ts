/**
 * RequestAuthentication (istio/api security/v1beta1/request_authentication.proto) as Envoy's
 * jwt_authn filter enforces it with the config istiod generates (istio/istio
 * pilot/pkg/security/authn/policy_applier.go: each provider `requires_any {provider, allow_missing}`):
 * a missing token passes authentication and is judged by AuthorizationPolicy (403 "RBAC: access
 * denied"); an invalid one is rejected with 401 (Envoy jwt_authn / jwt_verify_lib status messages).
 * https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#end-user-authentication
 */
import { describe, expect, it } from 'vitest';
import { authenticate, claimPath, rulesForWorkload } from '../../src/policy/request-authentication.js';
import { jwtToken as token } from './jwt-token.js';
import { edge, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const rules = [{ issuer: 'https://auth.example.com', audiences: ['orders'] }];

describe('jwt_authn verdicts', () => {
  it('JWT missing vs invalid: no token passes unauthenticated; an invalid one is 401 with Envoy’s reason', () => {
    expect(authenticate(rules, undefined)).toMatchObject({ kind: 'none' });
    expect(authenticate(rules, token({ issuer: 'https://evil.example.net' }))).toMatchObject({
      status: 401,
      reason: 'Jwt issuer is not configured',
    });
    expect(authenticate(rules, token({ expired: true, audiences: ['orders'] }))).toMatchObject({ status: 401, reason: 'Jwt is expired' });
    expect(authenticate(rules, token({ badSignature: true, audiences: ['orders'] }))).toMatchObject({ reason: 'Jwt verification fails' });
    expect(authenticate(rules, token({ audiences: ['billing'] }))).toMatchObject({ reason: 'Audiences in Jwt are not allowed' });
  });

  it('a valid token gives the request principal <iss>/<sub>; the token is removed unless forwardOriginalToken', () => {
    const ok = authenticate(rules, token({ audiences: ['orders'] }));
    expect(ok).toMatchObject({ kind: 'valid', principal: 'https://auth.example.com/alice', forward: false });
    expect(authenticate([{ ...rules[0]!, forwardOriginalToken: true }], token({ audiences: ['orders'] }))).toMatchObject({ forward: true });
  });

  it('outputClaimToHeaders copies string claims into request headers', () => {
    const r = authenticate(
      [{ issuer: 'https://auth.example.com', outputClaimToHeaders: [{ header: 'X-Tenant', claim: 'tenant' }] }],
      token({ claims: { tenant: 'acme' } }),
    );
    expect(r).toMatchObject({ headers: { 'x-tenant': 'acme' } });
  });

  it('with no RequestAuthentication selecting the workload, tokens are not verified at all', () => {
    expect(authenticate([], token({ expired: true }))).toEqual({ kind: 'none' });
    const ra = (name: string, namespace: string, labels?: Record<string, string>) => ({
      kind: 'RequestAuthentication',
      name,
      namespace,
      order: 0,
      src: undefined as never,
      spec: { jwtRules: [{ issuer: name }], ...(labels ? { selector: { matchLabels: labels } } : {}) },
    });
    const w = { namespace: 'shop', labels: { app: 'orders' } };
    const picked = rulesForWorkload(
      [ra('mesh', 'istio-system'), ra('ns', 'shop'), ra('sel', 'shop', { app: 'cart' }), ra('other', 'ops')],
      w,
    );
    expect(picked.map((r) => r.issuer)).toEqual(['mesh', 'ns']);
  });

  it('request.auth.claims[...] keys are parsed as Istio writes them', () => {
    expect(claimPath('request.auth.claims[groups]')).toEqual(['groups']);
    expect(claimPath('request.auth.claims[nested][key]')).toEqual(['nested', 'key']);
    expect(claimPath('request.auth.principal')).toBeUndefined();
  });
});

describe('JWT in a run', () => {
  it('scenarios/jwt-auth.yaml: 401 for expired and wrong-issuer tokens, 403 for no token and non-admin /admin, 200 otherwise', () => {
    const r = run(scenarioFromFile('scenarios/jwt-auth.yaml'));
    const share = (code: string) => (r.requests.by_code[code] ?? 0) / r.requests.total;
    // The request mix: 80% allowed, 10% invalid tokens (5% expired + 5% wrong issuer), 10% denied (5% none + 5% non-admin).
    expect(share('200')).toBeGreaterThan(0.78);
    expect(share('200')).toBeLessThan(0.83);
    expect(share('401')).toBeGreaterThan(0.08);
    expect(share('401')).toBeLessThan(0.12);
    expect(share('403')).toBeGreaterThan(0.08);
    expect(share('403')).toBeLessThan(0.12);
    expect(Object.keys(r.requests.by_code).sort()).toEqual(['200', '401', '403']);
  });

  it('the token reaches a downstream service only if the app copies Authorization and the sidecar forwarded it', () => {
    const yaml = (forward: boolean) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: jwt-chain}
spec:
  duration: 5s
  mesh: {mode: sidecar}
  services:
    - {name: front, serviceTime: 1ms, propagateHeaders: [authorization], calls: [{service: back}]}
    - {name: back, serviceTime: 1ms}
  workload:
    - {name: users, target: front, rate: 20, requests: [{jwt: {issuer: "https://auth.example.com", subject: alice}}]}
  istio: |
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata: {name: all, namespace: istio-system}
    spec:
      jwtRules: [{issuer: "https://auth.example.com", forwardOriginalToken: ${forward}}]
    ---
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: back, namespace: default}
    spec:
      selector: {matchLabels: {app: back}}
      rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]
`;
    const stripped = edge(run(scenarioFromYaml(yaml(false))), 'front', 'back');
    expect(stripped.by_code).toEqual({ '403': stripped.requests });
    const forwarded = edge(run(scenarioFromYaml(yaml(true))), 'front', 'back');
    expect(forwarded.by_code).toEqual({ '200': forwarded.requests });
  });

  it('ambient: a waypoint enforces a RequestAuthentication bound to its service (targetRefs)', () => {
    const r = run(
      scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: jwt-waypoint}
spec:
  duration: 5s
  mesh: {mode: ambient, waypoints: [api]}
  services: [{name: api, serviceTime: 1ms}]
  workload:
    - name: users
      target: api
      rate: 40
      requests:
        - {weight: 1, jwt: {issuer: "https://auth.example.com", subject: alice}}
        - {weight: 1, jwt: {issuer: "https://auth.example.com", subject: bob, expired: true}}
  istio: |
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata: {name: api, namespace: default}
    spec:
      targetRefs: [{kind: Service, group: "", name: api}]
      jwtRules: [{issuer: "https://auth.example.com"}]
`),
    );
    expect(Object.keys(r.requests.by_code).sort()).toEqual(['200', '401']);
  });
});
