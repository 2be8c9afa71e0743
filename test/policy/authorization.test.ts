/**
 * AuthorizationPolicy evaluation (src/policy/authorization.ts) at sidecars (HTTP and TCP chains)
 * and at ztunnel, per the istio/api AuthorizationPolicy docs (authorization_policy.proto) and
 * https://istio.io/latest/docs/ambient/usage/l4-policy/.
 */
import { describe, expect, it } from 'vitest';
import {
  authorizationWarnings,
  authorizeHttp,
  authorizeTcp,
  authorizeZtunnel,
  matchesPattern,
  parseCidr,
  projectToZtunnel,
  RBAC_DENIED_BODY,
  selectAuthorizationPolicies,
  selectWaypointPolicies,
  selectZtunnelPolicies,
  type AuthorizationPolicy,
  type AuthorizationPolicySpec,
  type HttpRequestAttributes,
} from '../../src/policy/authorization.js';

const ap = (name: string, spec: AuthorizationPolicySpec, namespace = 'foo'): AuthorizationPolicy => ({ name, namespace, spec });

const SLEEP = 'cluster.local/ns/default/sa/sleep';
const req = (over: Partial<HttpRequestAttributes> = {}): HttpRequestAttributes => ({
  sourcePrincipal: SLEEP,
  sourceIp: '10.1.2.3',
  method: 'GET',
  path: '/',
  host: 'httpbin.foo:8000',
  port: 8080,
  headers: {},
  ...over,
});
const plaintext = (over: Partial<HttpRequestAttributes> = {}) => req({ sourcePrincipal: undefined, ...over });
const allowed = (policies: AuthorizationPolicy[], r: HttpRequestAttributes) => authorizeHttp(policies, r).allowed;

describe('decision order', () => {
  it('allows everything when no policy applies', () => {
    expect(authorizeHttp([], req())).toEqual({ allowed: true, audited: false });
  });

  it('spec: {} is allow-nothing: every HTTP request gets 403 [none] and TCP is closed (semantics §13 M)', () => {
    const d = authorizeHttp([ap('allow-nothing', {})], req());
    expect(d).toEqual({ allowed: false, reason: 'rbac_access_denied_matched_policy[none]', status: 403, audited: false });
    expect(RBAC_DENIED_BODY).toBe('RBAC: access denied');
    expect(authorizeTcp([ap('allow-nothing', {})], { port: 3306, sourcePrincipal: SLEEP })).toEqual({
      allowed: false,
      reason: 'rbac_access_denied_matched_policy[none]',
      audited: false,
    });
  });

  it('rules: [{}] allows everything; DENY rules: [{}] denies everything, naming the rule', () => {
    expect(allowed([ap('allow-all', { rules: [{}] })], plaintext())).toBe(true);
    expect(authorizeHttp([ap('deny-all', { action: 'DENY', rules: [{}] })], req())).toMatchObject({
      allowed: false,
      status: 403,
      reason: 'rbac_access_denied_matched_policy[ns[foo]-policy[deny-all]-rule[0]]',
      matched: { namespace: 'foo', name: 'deny-all', rule: 0 },
    });
  });

  it('DENY wins over a matching ALLOW', () => {
    const policies = [
      ap('allow-all', { rules: [{}] }),
      ap('deny-post', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] }),
    ];
    expect(allowed(policies, req({ method: 'POST' }))).toBe(false);
    expect(allowed(policies, req({ method: 'GET' }))).toBe(true);
  });

  it('with ALLOW policies present, a request is allowed only if one of them matches', () => {
    const policies = [
      ap('get-only', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
      ap('from-admin', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/ops/sa/admin'] } }] }] }),
    ];
    expect(allowed(policies, req({ method: 'GET' }))).toBe(true);
    expect(allowed(policies, req({ method: 'DELETE', sourcePrincipal: 'cluster.local/ns/ops/sa/admin' }))).toBe(true);
    expect(authorizeHttp(policies, req({ method: 'DELETE' })).reason).toBe('rbac_access_denied_matched_policy[none]');
  });

  it('AUDIT never changes the decision but is reported', () => {
    const audit = ap('audit-post', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] });
    expect(authorizeHttp([audit], req({ method: 'POST' }))).toEqual({ allowed: true, audited: true });
    expect(authorizeHttp([audit, ap('nothing', {})], req({ method: 'POST' }))).toMatchObject({ allowed: false, audited: true });
  });

  it('CUSTOM with an undeclared provider is a DENY of its own rules (builder.go getBadCustomDenyRules), warned about', () => {
    const custom = ap('ext-authz', { action: 'CUSTOM', provider: { name: 'my-authz' }, rules: [{}] });
    expect(allowed([custom], req())).toBe(false);
    expect(authorizeHttp([custom], req()).reason).toMatch(/-deny-due-to-bad-CUSTOM-action\]$/);
    expect(authorizationWarnings([custom])[0]?.message).toMatch(/CUSTOM provider "my-authz" is not in spec.mesh.extensionProviders/);
    // A declared provider is consulted by ext_authz instead: RBAC alone allows.
    expect(authorizeHttp([custom], req(), new Set(['my-authz'])).allowed).toBe(true);
    expect(authorizationWarnings([custom], new Set(['my-authz']))).toEqual([]);
  });

  it("reports the name-ordered first matching DENY rule, as Envoy's RBAC map does", () => {
    const policies = [
      ap('zeta', { action: 'DENY', rules: [{}] }),
      ap('alpha', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['PUT'] } }] }, {}] }),
    ];
    expect(authorizeHttp(policies, req()).reason).toBe('rbac_access_denied_matched_policy[ns[foo]-policy[alpha]-rule[1]]');
  });
});

describe('sources', () => {
  const from = (source: Record<string, string[]>) => [ap('p', { rules: [{ from: [{ source }] }] })];

  it('matches principals exactly, by prefix, suffix and presence; plaintext has no principal', () => {
    expect(allowed(from({ principals: [SLEEP] }), req())).toBe(true);
    expect(allowed(from({ principals: ['cluster.local/ns/default/*'] }), req())).toBe(true);
    expect(allowed(from({ principals: ['*/sa/sleep'] }), req())).toBe(true);
    expect(allowed(from({ principals: ['*'] }), req())).toBe(true);
    expect(allowed(from({ principals: ['*'] }), plaintext())).toBe(false);
    expect(allowed(from({ notPrincipals: ['*'] }), plaintext())).toBe(true);
    expect(allowed(from({ principals: ['cluster.local/ns/default/sa/other'] }), req())).toBe(false);
  });

  it('reads namespaces and service accounts from the peer principal (`sa` means the policy namespace)', () => {
    expect(allowed(from({ namespaces: ['default'] }), req())).toBe(true);
    expect(allowed(from({ namespaces: ['default'] }), plaintext({ sourceNamespace: 'default' }))).toBe(false);
    expect(allowed(from({ notNamespaces: ['default'] }), req())).toBe(false);
    expect(allowed(from({ serviceAccounts: ['default/sleep'] }), req())).toBe(true);
    expect(allowed(from({ serviceAccounts: ['sleep'] }), req())).toBe(false); // policy is in foo
    expect(allowed(from({ serviceAccounts: ['sleep'] }), req({ sourcePrincipal: 'cluster.local/ns/foo/sa/sleep' }))).toBe(true);
  });

  it('matches IPv4 and IPv6 blocks and their negations', () => {
    expect(allowed(from({ ipBlocks: ['10.1.0.0/16'] }), req())).toBe(true);
    expect(allowed(from({ ipBlocks: ['10.2.0.0/16', '10.1.2.3'] }), req())).toBe(true);
    expect(allowed(from({ ipBlocks: ['10.1.2.0/25'] }), req({ sourceIp: '10.1.2.200' }))).toBe(false);
    expect(allowed(from({ notIpBlocks: ['10.0.0.0/8'] }), req())).toBe(false);
    expect(allowed(from({ ipBlocks: ['2001:db8::/32'] }), req({ sourceIp: '2001:db8:0:1::5' }))).toBe(true);
    expect(allowed(from({ ipBlocks: ['2001:db8::/32'] }), req({ sourceIp: '2001:db9::5' }))).toBe(false);
    expect(allowed(from({ remoteIpBlocks: ['192.168.0.0/16'] }), req({ remoteIp: '192.168.7.7' }))).toBe(true);
  });

  it('ANDs fields within a source and ORs sources and values', () => {
    const policies = [
      ap('p', {
        rules: [
          {
            from: [
              { source: { namespaces: ['prod', 'test'], notIpBlocks: ['203.0.113.4'] } },
              { source: { principals: ['cluster.local/ns/ops/sa/admin'] } },
            ],
          },
        ],
      }),
    ];
    expect(allowed(policies, req({ sourcePrincipal: 'cluster.local/ns/test/sa/x' }))).toBe(true);
    expect(allowed(policies, req({ sourcePrincipal: 'cluster.local/ns/test/sa/x', sourceIp: '203.0.113.4' }))).toBe(false);
    expect(allowed(policies, req({ sourcePrincipal: 'cluster.local/ns/ops/sa/admin', sourceIp: '203.0.113.4' }))).toBe(true);
  });

  it('has no JWT: requestPrincipals never match unless the caller supplies one', () => {
    const policies = from({ requestPrincipals: ['*'] });
    expect(allowed(policies, req())).toBe(false);
    expect(allowed(policies, req({ requestPrincipal: 'issuer.example.com/alice' }))).toBe(true);
    expect(authorizationWarnings(policies)[0]?.message).toMatch(/RequestAuthentication/);
  });
});

describe('operations and conditions', () => {
  const to = (operation: Record<string, string[]>) => [ap('p', { rules: [{ to: [{ operation }] }] })];

  it('matches methods, ports and case-insensitive hosts', () => {
    expect(allowed(to({ methods: ['GET', 'HEAD'] }), req())).toBe(true);
    expect(allowed(to({ methods: ['get'] }), req())).toBe(false);
    expect(allowed(to({ ports: ['8080'] }), req())).toBe(true);
    expect(allowed(to({ notPorts: ['8080'] }), req())).toBe(false);
    expect(allowed(to({ hosts: ['*.EXAMPLE.com'] }), req({ host: 'api.example.COM' }))).toBe(true);
    expect(allowed(to({ notHosts: ['httpbin*'] }), req())).toBe(false);
  });

  it('matches paths by prefix, suffix and template, ignoring the query string', () => {
    expect(allowed(to({ paths: ['/api/*'] }), req({ path: '/api/v1/items?x=1' }))).toBe(true);
    expect(allowed(to({ paths: ['*/info'] }), req({ path: '/status/info?verbose' }))).toBe(true);
    expect(allowed(to({ paths: ['/headers'] }), req({ path: '/headers?a=b' }))).toBe(true);
    expect(allowed(to({ notPaths: ['/admin*'] }), req({ path: '/admin/users' }))).toBe(false);
    expect(allowed(to({ paths: ['/store/{*}/buy'] }), req({ path: '/store/42/buy' }))).toBe(true);
    expect(allowed(to({ paths: ['/store/{*}/buy'] }), req({ path: '/store/4/2/buy' }))).toBe(false);
    expect(allowed(to({ paths: ['/files/{**}'] }), req({ path: '/files/a/b/c.txt' }))).toBe(true);
  });

  it('needs every when condition; header values match whole or per comma-separated element', () => {
    const policies = [
      ap('p', {
        rules: [
          {
            when: [
              { key: 'request.headers[X-Group]', values: ['admin'] },
              { key: 'source.ip', values: ['10.0.0.0/8'] },
              { key: 'destination.port', notValues: ['9090'] },
            ],
          },
        ],
      }),
    ];
    expect(allowed(policies, req({ headers: { 'x-group': 'dev,admin' } }))).toBe(true);
    expect(allowed(policies, req({ headers: { 'x-group': 'dev,admin' }, port: 9090 }))).toBe(false);
    expect(allowed(policies, req({ headers: { 'x-group': 'administrators' } }))).toBe(false);
    expect(allowed(policies, req({ headers: {}, sourceIp: '10.0.0.1' }))).toBe(false);
  });

  it('source.trustDomain matches the trust domain of the peer identity (istio/api authorization.proto conditions)', () => {
    const policies = [ap('p', { rules: [{ when: [{ key: 'source.trustDomain', values: ['cluster.*'] }] }] })];
    expect(allowed(policies, req())).toBe(true);
    expect(allowed(policies, req({ sourcePrincipal: 'other.org/ns/default/sa/sleep' }))).toBe(false);
  });

  it('treats unmodelled condition keys as absent and warns', () => {
    const policies = [ap('p', { rules: [{ when: [{ key: 'connection.sni', notValues: ['x.example.com'] }] }] })];
    expect(allowed(policies, req())).toBe(true);
    expect(authorizationWarnings(policies).map((w) => w.message)).toEqual([expect.stringMatching(/connection\.sni is not modelled/)]);
  });
});

describe('sidecar TCP filter chain', () => {
  const conn = { port: 8080, sourcePrincipal: SLEEP, sourceIp: '10.1.2.3' };

  it('drops ALLOW rules that need HTTP attributes, so GET-only denies all TCP', () => {
    expect(authorizeTcp([ap('get-only', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], conn).allowed).toBe(false);
    expect(authorizeTcp([ap('port-only', { rules: [{ to: [{ operation: { ports: ['8080'] } }] }] })], conn).allowed).toBe(true);
  });

  it('ignores HTTP-only constraints in DENY rules: DENY POST on 8080 denies all TCP to 8080 (istio/api doc)', () => {
    const deny = [ap('deny-post-8080', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8080'] } }] }] })];
    expect(authorizeTcp(deny, conn)).toMatchObject({
      allowed: false,
      reason: 'rbac_access_denied_matched_policy[ns[foo]-policy[deny-post-8080]-rule[0]]',
    });
    expect(authorizeTcp(deny, { ...conn, port: 9000 }).allowed).toBe(true);
    expect(authorizeHttp(deny, req({ method: 'GET' })).allowed).toBe(true);
  });
});

describe('policy selection', () => {
  const httpbin = { namespace: 'foo', labels: { app: 'httpbin', version: 'v1' } };
  const policies = [
    ap('ns-wide', {}),
    ap('httpbin', { selector: { matchLabels: { app: 'httpbin' } } }),
    ap('other', { selector: { matchLabels: { app: 'other' } } }),
    ap('mesh', {}, 'istio-system'),
    ap('mesh-sel', { selector: { matchLabels: { app: 'httpbin' } } }, 'istio-system'),
    ap('bar', {}, 'bar'),
    ap('waypoint', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] }),
    ap('svc', { targetRefs: [{ kind: 'Service', group: '', name: 'httpbin' }] }),
    ap('all-waypoints', { targetRefs: [{ kind: 'GatewayClass', name: 'istio-waypoint' }] }, 'istio-system'),
  ];

  it('gives a workload its namespace, root-namespace and matching selector policies, never targetRef ones', () => {
    expect(selectAuthorizationPolicies(policies, httpbin).map((p) => p.name)).toEqual(['ns-wide', 'httpbin', 'mesh', 'mesh-sel']);
    expect(selectAuthorizationPolicies(policies, { namespace: 'bar', labels: {} }).map((p) => p.name)).toEqual(['mesh', 'bar']);
  });

  it('gives a waypoint the policies that target it, its service or the istio-waypoint class', () => {
    expect(
      selectWaypointPolicies(policies, { name: 'waypoint', namespace: 'foo' }, { name: 'httpbin', namespace: 'foo' }).map((p) => p.name),
    ).toEqual(['waypoint', 'svc', 'all-waypoints']);
    expect(selectWaypointPolicies(policies, { name: 'waypoint', namespace: 'bar' }).map((p) => p.name)).toEqual(['all-waypoints']);
  });
});

describe('ambient: the ztunnel projection', () => {
  const conn = { port: 8000, sourcePrincipal: SLEEP, sourceIp: '10.1.2.3' };
  const z = (policies: AuthorizationPolicy[]) => projectToZtunnel(policies);

  it('drops an ALLOW rule with any L7 attribute, so an L7-only ALLOW denies every connection (semantics §13 N)', () => {
    const { policies, warnings } = z([
      ap('get-only', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    ]);
    expect(policies[0]?.rules).toEqual([]);
    expect(authorizeZtunnel(policies, conn)).toEqual({ allowed: false, reason: 'rbac_access_denied_matched_policy[none]', audited: false });
    expect(warnings[0]?.message).toMatch(/L7 policy bound to ztunnel.*\(found: methods\).*ALLOW/);
  });

  it('skips a DENY rule left with nothing L4, so a methods-only DENY has no effect', () => {
    const { policies, warnings } = z([ap('deny-post', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })]);
    expect(authorizeZtunnel(policies, conn).allowed).toBe(true);
    expect(warnings[0]?.message).toMatch(/no effect/);
  });

  it('keeps the L4 part of a DENY rule: POST on port 8000 denies every connection to 8000', () => {
    const { policies, warnings } = z([
      ap('deny', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8000'] } }] }] }),
    ]);
    expect(authorizeZtunnel(policies, conn)).toMatchObject({ allowed: false, matched: { name: 'deny', rule: 0 } });
    expect(authorizeZtunnel(policies, { ...conn, port: 9000 }).allowed).toBe(true);
    expect(warnings[0]?.message).toMatch(/more restrictive/);
  });

  it('a DENY clause with only L7 content never matches, even next to an L4 clause', () => {
    const { policies } = z([
      ap('deny', {
        action: 'DENY',
        rules: [
          {
            from: [{ source: { namespaces: ['default'] } }],
            when: [{ key: 'request.headers[x-user]', values: ['bob'] }],
          },
        ],
      }),
    ]);
    expect(authorizeZtunnel(policies, conn).allowed).toBe(true);
  });

  it('enforces L4 ALLOW rules: principals, namespaces, service accounts, ports and when keys', () => {
    const { policies, warnings } = z([
      ap('l4', {
        rules: [
          { from: [{ source: { principals: ['cluster.local/ns/ops/*'] } }] },
          { from: [{ source: { serviceAccounts: ['default/sleep'] } }], to: [{ operation: { ports: ['8000'] } }] },
          { when: [{ key: 'source.ip', values: ['192.168.0.0/16'] }] },
        ],
      }),
    ]);
    expect(warnings).toEqual([]);
    expect(authorizeZtunnel(policies, conn).allowed).toBe(true);
    expect(authorizeZtunnel(policies, { ...conn, port: 9000 }).allowed).toBe(false);
    expect(authorizeZtunnel(policies, { port: 9000, sourcePrincipal: 'cluster.local/ns/ops/sa/x' }).allowed).toBe(true);
    expect(authorizeZtunnel(policies, { port: 9000, sourceIp: '192.168.1.1' }).allowed).toBe(true);
    expect(authorizeZtunnel(policies, { port: 9000, sourceIp: '10.0.0.1' }).allowed).toBe(false);
  });

  it('keeps allow-all and allow-nothing, and drops only the L7 rules of a mixed ALLOW', () => {
    expect(authorizeZtunnel(z([ap('all', { rules: [{}] })]).policies, conn).allowed).toBe(true);
    expect(authorizeZtunnel(z([ap('none', {})]).policies, conn).allowed).toBe(false);
    const mixed = z([
      ap('mixed', { rules: [{ to: [{ operation: { paths: ['/admin'] } }] }, { from: [{ source: { namespaces: ['default'] } }] }] }),
    ]);
    expect(mixed.policies[0]?.rules.map((r) => r.index)).toEqual([1]);
    expect(authorizeZtunnel(mixed.policies, conn).allowed).toBe(true);
  });

  it('does not support CUSTOM or AUDIT and leaves targetRef policies to waypoints', () => {
    const { policies, warnings } = z([
      ap('custom', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] }),
      ap('audit', { action: 'AUDIT', rules: [{}] }),
      ap('wp', { targetRefs: [{ kind: 'Gateway', name: 'waypoint' }], rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    ]);
    expect(policies).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/ztunnel does not support the CUSTOM action/),
      expect.stringMatching(/ztunnel does not support the AUDIT action/),
    ]);
  });

  it('selects projected policies like sidecar ones', () => {
    const { policies } = z([
      ap('sel', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{}] }),
      ap('ns', { action: 'DENY', rules: [{}] }, 'bar'),
    ]);
    expect(selectZtunnelPolicies(policies, { namespace: 'foo', labels: { app: 'httpbin' } }).map((p) => p.name)).toEqual(['sel']);
    expect(selectZtunnelPolicies(policies, { namespace: 'foo', labels: { app: 'other' } })).toEqual([]);
  });
});

describe('primitives', () => {
  it('implements Istio string patterns', () => {
    expect([
      matchesPattern('*', ''),
      matchesPattern('*', 'x'),
      matchesPattern('abc*', 'abc'),
      matchesPattern('*abc', 'xabc'),
      matchesPattern('abc', 'abcd'),
    ]).toEqual([false, true, true, true, false]);
  });

  it('parses IPs and CIDRs and rejects malformed ones', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ bytes: [10, 0, 0, 0], prefix: 8 });
    expect(parseCidr('::1')?.prefix).toBe(128);
    for (const bad of ['10.0.0.256', '10.0.0.0/33', '1.2.3', '2001:db8:::1', 'abc', '10.0.0.0/8/1']) expect(parseCidr(bad)).toBeUndefined();
  });
});
