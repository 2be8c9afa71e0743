/**
 * RequestAuthentication token locations, several jwtRules, and nested / list-valued claims, as
 * Envoy's jwt_authn filter enforces the config istiod generates:
 * - locations: istio/api security/v1beta1/request_authentication.proto JWTRule (fromHeaders,
 *   fromParams, fromCookies; default `Authorization: Bearer` and `access_token`), Envoy
 *   source/extensions/filters/http/jwt_authn/extractor.cc;
 * - several rules: istio/istio pilot/pkg/security/authn/policy_applier.go convertToEnvoyJwtConfig
 *   (`requires_any [P…, requires_all [any(P, allow_missing)…]]`), Envoy verifier.cc / authenticator.cc;
 * - claims: https://istio.io/latest/docs/reference/config/security/conditions/ (request.auth.claims,
 *   nested since Istio 1.10), pilot/pkg/security/authz/matcher/metadata.go (list or string match),
 *   ClaimToHeader ("Nested claims of type string/int/bool is supported").
 */
import { describe, expect, it } from 'vitest';
import { jwtToken as token } from './jwt-token.js';
import type { JwtRule } from '../../src/config/istio/authn-schemas.js';
import { authenticate, claimValues, extractToken, headersAfterAuthn } from '../../src/policy/request-authentication.js';
import { InputError } from '../../src/config/diagnostics.js';
import { edge, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const ISS = 'https://auth.example.com';

const bearer = { header: 'authorization', prefix: 'Bearer ' };

describe('token locations (jwt_authn extractor.cc)', () => {
  const plain: JwtRule = { issuer: ISS };
  it('a rule without locations reads Authorization: Bearer and the access_token query parameter only', () => {
    expect(extractToken(plain, bearer)).toBe('token');
    expect(extractToken(plain, { param: 'access_token' })).toBe('token');
    expect(extractToken(plain, { param: 'token' })).toBe('missing');
    expect(extractToken(plain, { header: 'x-jwt-assertion', prefix: '' })).toBe('missing');
    expect(extractToken(plain, { cookie: 'session' })).toBe('missing');
  });

  it('explicit fromHeaders/fromParams/fromCookies replace the defaults', () => {
    const r: JwtRule = { issuer: ISS, fromHeaders: [{ name: 'X-Jwt-Assertion' }], fromParams: ['my_token'], fromCookies: ['session'] };
    expect(extractToken(r, { header: 'x-jwt-assertion', prefix: '' })).toBe('token');
    expect(extractToken(r, { param: 'my_token' })).toBe('token');
    expect(extractToken(r, { cookie: 'session' })).toBe('token');
    expect(extractToken(r, bearer)).toBe('missing');
    expect(extractToken(r, { param: 'access_token' })).toBe('missing');
  });

  it('a header value without the rule’s prefix is skipped (missing); no prefix takes the whole value, so "Bearer …" is garbled', () => {
    const prefixed: JwtRule = { issuer: ISS, fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }] };
    expect(extractToken(prefixed, { header: 'authorization', prefix: '' })).toBe('missing');
    // The prefix is found anywhere in the value and is case-sensitive (value_str.find).
    expect(extractToken(prefixed, { header: 'authorization', prefix: 'bearer ' })).toBe('missing');
    expect(extractToken({ issuer: ISS, fromHeaders: [{ name: 'authorization', prefix: 'Bearer' }] }, bearer)).toBe('token');
    const raw: JwtRule = { issuer: ISS, fromHeaders: [{ name: 'authorization' }] };
    expect(extractToken(raw, bearer)).toBe('malformed');
    expect(authenticate([raw], token())).toMatchObject({ status: 401, reason: 'Jwt header is an invalid Base64url encoded' });
  });

  it('a token in a location the rule does not read counts as missing: it passes authentication unauthenticated', () => {
    const r = authenticate([{ issuer: ISS, fromHeaders: [{ name: 'x-jwt' }] }], token({ expired: true }));
    expect(r.kind).toBe('none');
  });

  it('a verified token is removed from a header or query parameter but stays in a cookie (JwtCookieLocation::removeJwt is a no-op)', () => {
    const rule: JwtRule = { issuer: ISS, fromParams: ['t'], fromCookies: ['session'] };
    expect(authenticate([rule], token({ location: { param: 't' } }))).toMatchObject({ kind: 'valid', strip: true });
    expect(authenticate([rule], token({ location: { cookie: 'session' } }))).toMatchObject({ kind: 'valid', strip: false });
    expect(authenticate([{ ...rule, forwardOriginalToken: true }], token({ location: { param: 't' } }))).toMatchObject({ strip: false });
  });
});

describe('several jwtRules (policy_applier.go convertToEnvoyJwtConfig)', () => {
  it('a token is accepted if any rule reading its location verifies it (same issuer, different audiences)', () => {
    const rules: JwtRule[] = [
      { issuer: ISS, audiences: ['orders'] },
      { issuer: ISS, audiences: ['billing'] },
    ];
    expect(authenticate(rules, token({ audiences: ['billing'] }))).toMatchObject({ kind: 'valid' });
    expect(authenticate(rules, token({ audiences: ['search'] }))).toMatchObject({
      kind: 'invalid',
      reason: 'Audiences in Jwt are not allowed',
    });
  });

  it('a token whose issuer no rule has is 401 "Jwt issuer is not configured"', () => {
    const rules: JwtRule[] = [{ issuer: ISS }, { issuer: 'https://b.example.com' }];
    expect(authenticate(rules, token({ issuer: 'https://evil.example.net' }))).toMatchObject({
      status: 401,
      reason: 'Jwt issuer is not configured',
    });
    expect(authenticate(rules, token({ issuer: 'https://b.example.com' }))).toMatchObject({ kind: 'valid' });
  });

  it('a token invalid for its issuer’s rule is 401 even though another issuer’s rule reads the same location', () => {
    const rules: JwtRule[] = [{ issuer: ISS }, { issuer: 'https://b.example.com' }];
    expect(authenticate(rules, token({ expired: true }))).toMatchObject({ status: 401, reason: 'Jwt is expired' });
  });

  it('each issuer reads only its own locations: a token where only another issuer looks is "Jwt issuer is not configured"', () => {
    const rules: JwtRule[] = [{ issuer: ISS, fromHeaders: [{ name: 'x-a' }] }, { issuer: 'https://b.example.com' }];
    expect(authenticate(rules, token({ location: { header: 'x-a', prefix: '' } }))).toMatchObject({ kind: 'valid' });
    expect(authenticate(rules, token())).toMatchObject({ status: 401, reason: 'Jwt issuer is not configured' });
  });

  it('a rule checks time, then audiences, then the signature (authenticator.cc startVerify)', () => {
    expect(authenticate([{ issuer: ISS }], token({ expired: true, badSignature: true }))).toMatchObject({ reason: 'Jwt is expired' });
    expect(authenticate([{ issuer: ISS, audiences: ['x'] }], token({ badSignature: true }))).toMatchObject({
      reason: 'Audiences in Jwt are not allowed',
    });
  });
});

describe('claims (request.auth.claims, outputClaimToHeaders)', () => {
  const t = token({
    claims: {
      groups: ['dev', 'admin'],
      realm_access: { roles: ['viewer', 'editor'], tier: 'gold' },
      scope: 'read write',
      level: 3,
      beta: true,
    },
  });
  it('nested claims are walked one bracket at a time; a list matches if any element does', () => {
    expect(claimValues(t, ['groups'])).toEqual(['dev', 'admin']);
    expect(claimValues(t, ['realm_access', 'roles'])).toEqual(['viewer', 'editor']);
    expect(claimValues(t, ['realm_access', 'tier'])).toEqual(['gold']);
    expect(claimValues(t, ['realm_access'])).toEqual([]); // an object never matches a string
    expect(claimValues(t, ['level'])).toEqual([]); // nor does a number
    expect(claimValues(t, ['realm_access', 'missing'])).toEqual([]);
  });

  it('scope and permission (and spaceDelimitedClaims) match word by word', () => {
    expect(claimValues(t, ['scope'])).toEqual(['read', 'write']);
    expect(claimValues(token({ claims: { roles: 'a b' } }), ['roles'])).toEqual(['a b']);
    expect(claimValues(token({ claims: { roles: 'a b' } }), ['roles'], ['roles'])).toEqual(['a', 'b']);
  });

  it('outputClaimToHeaders copies nested (dotted) string, integer and boolean claims, not lists', () => {
    const rule: JwtRule = {
      issuer: ISS,
      outputClaimToHeaders: [
        { header: 'x-tier', claim: 'realm_access.tier' },
        { header: 'x-level', claim: 'level' },
        { header: 'x-beta', claim: 'beta' },
        { header: 'x-groups', claim: 'groups' },
      ],
    };
    expect(authenticate([rule], t)).toMatchObject({ headers: { 'x-tier': 'gold', 'x-level': '3', 'x-beta': 'true' } });
    expect(authenticate([rule], t)).not.toHaveProperty('headers.x-groups');
  });

  it('a client cannot forge a claim header: jwt_authn removes it before verifying, token or not', () => {
    const rule: JwtRule = { issuer: ISS, outputClaimToHeaders: [{ header: 'x-tenant', claim: 'tenant' }] };
    const forged = { 'X-Tenant': 'evil', other: '1' };
    expect(headersAfterAuthn(forged, authenticate([rule], undefined))).toEqual({ other: '1' });
    expect(headersAfterAuthn(forged, authenticate([rule], token({ claims: { tenant: 'acme' } })))).toEqual({
      other: '1',
      'x-tenant': 'acme',
    });
  });
});

const scenario = (requests: string, rules: string, policy = '') => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: jwt-loc}
spec:
  duration: 5s
  mesh: {mode: sidecar}
  services:
    - {name: front, serviceTime: 1ms, propagateHeaders: [x-tier, cookie, x-jwt], calls: [{service: back}]}
    - {name: back, serviceTime: 1ms}
  workload:
    - name: users
      target: front
      rate: 40
      requests:
${requests}
  istio: |
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata: {name: all, namespace: istio-system}
    spec:
      jwtRules:
${rules}
${policy}`;

/** An AuthorizationPolicy letting only requests with a validated token reach `app`. */
const requireToken = (app: string) => `    ---
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: ${app}, namespace: default}
    spec:
      selector: {matchLabels: {app: ${app}}}
      rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]`;

describe('JWT locations and claims in a run', () => {
  it('tokens in a custom header, a query parameter and a cookie are verified where the rule reads them', () => {
    const yaml = scenario(
      `        - {weight: 1, jwt: {issuer: "${ISS}", subject: a, location: {header: x-jwt}}}
        - {weight: 1, jwt: {issuer: "${ISS}", subject: b, expired: true, location: {param: my_token}}}
        - {weight: 1, jwt: {issuer: "${ISS}", subject: c, expired: true, location: {cookie: session}}}
        - {weight: 1, jwt: {issuer: "${ISS}", subject: d, expired: true}}`,
      `        - {issuer: "${ISS}", fromHeaders: [{name: x-jwt}], fromParams: [my_token]}`,
      requireToken('front'),
    );
    const r = run(scenarioFromYaml(yaml));
    // x-jwt: valid → 200; param: expired → 401; cookie and Authorization: not read → missing → 403.
    expect(Object.keys(r.requests.by_code).sort()).toEqual(['200', '401', '403']);
    const share = (c: string) => (r.requests.by_code[c] ?? 0) / r.requests.total;
    expect(share('200')).toBeGreaterThan(0.15);
    expect(share('200')).toBeLessThan(0.35);
    expect(share('403')).toBeGreaterThan(0.4);
  });

  it('a nested claim condition and a nested claim header (seen by the next hop through propagation)', () => {
    const yaml = scenario(
      `        - {weight: 1, jwt: {issuer: "${ISS}", subject: a, claims: {realm_access: {roles: [viewer, admin], tier: gold}}}}
        - {weight: 1, jwt: {issuer: "${ISS}", subject: b, claims: {realm_access: {roles: [viewer], tier: free}}}}`,
      `        - {issuer: "${ISS}", outputClaimToHeaders: [{header: x-tier, claim: realm_access.tier}]}`,
      `    ---
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: front, namespace: default}
    spec:
      selector: {matchLabels: {app: front}}
      rules: [{when: [{key: "request.auth.claims[realm_access][roles]", values: [admin]}]}]
    ---
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: back, namespace: default}
    spec:
      selector: {matchLabels: {app: back}}
      rules: [{when: [{key: "request.headers[x-tier]", values: [gold]}]}]`,
    );
    const r = run(scenarioFromYaml(yaml));
    const e = edge(r, 'front', 'back');
    expect(e.by_code).toEqual({ '200': e.requests }); // only admins reach back, and they carry x-tier: gold
    expect(Object.keys(r.requests.by_code).sort()).toEqual(['200', '403']);
  });

  it('a token in a cookie stays in the request even when not forwarded: an app copying cookie passes it on', () => {
    const yaml = scenario(
      `        - {jwt: {issuer: "${ISS}", subject: a, location: {cookie: session}}}`,
      `        - {issuer: "${ISS}", fromCookies: [session]}`,
      requireToken('back'),
    );
    const e = edge(run(scenarioFromYaml(yaml)), 'front', 'back');
    expect(e.by_code).toEqual({ '200': e.requests });
    // The same token in a header the app also copies is removed by front's sidecar: back sees none.
    const header = yaml
      .replace('location: {cookie: session}', 'location: {header: x-jwt}')
      .replace('fromCookies: [session]', 'fromHeaders: [{name: x-jwt}]');
    const h = edge(run(scenarioFromYaml(header)), 'front', 'back');
    expect(h.by_code).toEqual({ '403': h.requests });
  });
});

describe('scenarios/jwt-token-locations.yaml', () => {
  it('80% 200 (Bearer, cookie, partner header, admin), 10% 401 (partner token where only the accounts rule looks), 10% 403 (access_token not read; non-admin /admin)', () => {
    const r = run(scenarioFromFile('scenarios/jwt-token-locations.yaml'));
    const share = (c: string) => (r.requests.by_code[c] ?? 0) / r.requests.total;
    expect(Object.keys(r.requests.by_code).sort()).toEqual(['200', '401', '403']);
    expect(share('200')).toBeGreaterThan(0.77);
    expect(share('200')).toBeLessThan(0.83);
    for (const c of ['401', '403']) {
      expect(share(c)).toBeGreaterThan(0.08);
      expect(share(c)).toBeLessThan(0.12);
    }
  });
});

describe('at a waypoint, routes see the request jwt_authn left (clear_route_cache for non-sidecar proxies)', () => {
  it('a VirtualService matches the header outputClaimToHeaders set from a nested claim; a forged one is removed first', () => {
    const yaml = (rules: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: jwt-waypoint-route}
spec:
  duration: 5s
  mesh: {mode: ambient, waypoints: [api]}
  services:
    - name: api
      serviceTime: 1ms
      versions: [{name: v1, replicas: 1}, {name: v2, replicas: 1}]
  workload:
    - name: users
      target: api
      rate: 40
      requests:
        - {weight: 1, headers: {x-tier: gold}, jwt: {issuer: "${ISS}", subject: a, claims: {plan: {tier: gold}}}}
        - {weight: 1, headers: {x-tier: gold}, jwt: {issuer: "${ISS}", subject: b, claims: {plan: {tier: free}}}}
  istio: |
    apiVersion: security.istio.io/v1
    kind: RequestAuthentication
    metadata: {name: api, namespace: default}
    spec:
      targetRefs: [{kind: Service, group: "", name: api}]
      jwtRules: [{issuer: "${ISS}"${rules}}]
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: api}
    spec:
      hosts: [api]
      http:
        - match: [{headers: {x-tier: {exact: gold}}}]
          route: [{destination: {host: api, subset: v2}}]
        - route: [{destination: {host: api, subset: v1}}]
`;
    const byVersion = (text: string) => edge(run(scenarioFromYaml(text)), 'users', 'api').by_version;
    // Without claim headers the clients' own x-tier: gold sends everything to v2.
    expect(Object.keys(byVersion(yaml('')))).toEqual(['v2']);
    // With outputClaimToHeaders the forged header is dropped and only the gold token's claim routes to v2.
    const fromClaim = byVersion(yaml(', outputClaimToHeaders: [{header: x-tier, claim: plan.tier}]'));
    expect(Object.keys(fromClaim).sort()).toEqual(['v1', 'v2']);
  });
});

describe('requests[].jwt.location is validated', () => {
  const errors = (location: string, headers = '{}') => {
    try {
      scenarioFromYaml(
        scenario(
          `        - {headers: ${headers}, jwt: {issuer: "${ISS}", subject: a, location: ${location}}}`,
          `        - {issuer: "${ISS}"}`,
        ),
      );
    } catch (e) {
      if (e instanceof InputError) return e.diagnostics.map((d) => d.message);
      throw e;
    }
    return [];
  };
  it('exactly one of header, param, cookie; prefix only with a header; unknown fields and header clashes are errors', () => {
    expect(errors('{header: x-a, param: b}')).toEqual([expect.stringMatching(/exactly one of header, param or cookie/)]);
    expect(errors('{}')).toEqual([expect.stringMatching(/exactly one of header, param or cookie/)]);
    expect(errors('{param: t, prefix: "Bearer "}')).toEqual([expect.stringMatching(/prefix needs header/)]);
    expect(errors('{query: t}').join()).toMatch(/query/);
    expect(errors('{header: "x a"}').join()).toMatch(/HTTP header name/);
    expect(errors('{header: X-Jwt}', '{x-jwt: abc}')).toEqual([expect.stringMatching(/travels in header x-jwt/)]);
    expect(errors('{cookie: session}')).toEqual([]);
  });
});
