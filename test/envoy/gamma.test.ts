/**
 * GAMMA: Gateway API HTTPRoutes whose parentRef is a Service route the mesh's calls to it
 * (https://gateway-api.sigs.k8s.io/mesh/; Istio: https://istio.io/latest/docs/tasks/traffic-management/request-routing/,
 * "Gateway API" tab). Istio converts them into VirtualServices for the `mesh` gateway (istio/istio
 * pilot/pkg/config/kube/gateway/conversion.go, route_collections.go), applied by client sidecars
 * and, in ambient, by the Service's waypoint only.
 */
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/analysis/load.js';
import { convertHttpRoute, sortHttpRoutes } from '../../src/policy/gateway-api-conversion.js';
import { CURRENT_MESH_DEFAULTS, MeshPolicy } from '../../src/policy/mesh-policy.js';
import { requestMatches } from '../../src/policy/match.js';
import { rewritePath } from '../../src/policy/request-rewrite.js';
import { gammaWarnings } from '../../src/modes/gamma-warnings.js';
import type { MeshResource } from '../../src/config/mesh-kinds.js';
import type { HttpRouteSpec } from '../../src/config/gateway-api/routes.js';
import type { Scenario } from '../../src/config/model.js';
import { repoPath, run } from '../dataplane/run-scenario.js';
import { loadScenarioSource } from '../../src/analysis/load.js';
import { YamlSource } from '../../src/config/yaml-source.js';

const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n');

/** Bookinfo (the sample's manifests plus its per-version Services) with productpage calling reviews. */
function bookinfo(
  routes: string,
  opts: { mode?: string; extra?: string; requests?: string } = {},
): { scenario: Scenario; warnings: string[] } {
  const text = `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: gamma}
spec:
  seed: 5
  duration: 10s
  mesh: {${opts.mode ?? 'mode: sidecar'}}
  cluster: {nodes: 3}
  istioFiles: [istio/bookinfo.yaml, istio/bookinfo-versions.yaml]
  services:
    - name: productpage
      port: 9080
      serviceTime: 2ms
      propagateHeaders: [end-user]
      calls: [{service: reviews, path: /reviews/0}]
    - {name: reviews, port: 9080, serviceTime: 2ms}
    - {name: details, port: 9080, serviceTime: 1ms}
    - {name: ratings, port: 9080, serviceTime: 1ms}
${opts.extra ?? ''}
  workload:
    - name: readers
      target: productpage
      rate: 200
${opts.requests ? indent(opts.requests, 6) : ''}
  istio: |
${indent(routes, 4)}
`;
  const loaded = loadScenarioSource(new YamlSource(repoPath('scenarios/gamma-test.yaml'), text));
  return { scenario: loaded.scenario, warnings: loaded.warnings.map((w) => w.message) };
}

/** The HTTPRoute `reviews` with these rules, its parent the reviews Service (on the Service port unless `port: false`). */
const reviewsRoute = (rules: string, { port = true } = {}) => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews${port ? ', port: 9080' : ''}}]
  rules:
${rules.replace(/^\n/, '')}`;

const SPLIT_90_10 = reviewsRoute(`
  - backendRefs:
    - {name: reviews-v1, port: 9080, weight: 90}
    - {name: reviews-v2, port: 9080, weight: 10}
`);

const reviewsEdge = (r: ReturnType<typeof run>) => r.edges.find((e) => e.source === 'productpage' && e.destination === 'reviews')!;

describe('GAMMA routes in sidecar mode (applied by the client sidecar)', () => {
  it('splits reviews 90/10 between the reviews-v1 and reviews-v2 Services (samples/bookinfo/gateway-api/route-reviews-90-10.yaml)', () => {
    const r = run(bookinfo(SPLIT_90_10).scenario);
    const e = reviewsEdge(r);
    const v1 = e.by_version.v1 ?? 0;
    const v2 = e.by_version.v2 ?? 0;
    expect(e.by_version.v3 ?? 0).toBe(0);
    expect(v1 / (v1 + v2)).toBeGreaterThan(0.87);
    expect(v1 / (v1 + v2)).toBeLessThan(0.93);
    // Each backend Service is a cluster of its own (outbound|port||host).
    expect(Object.keys(r.clusters)).toEqual(
      expect.arrayContaining([
        'outbound|9080||reviews-v1.default.svc.cluster.local',
        'outbound|9080||reviews-v2.default.svc.cluster.local',
      ]),
    );
  });

  it('routes by header match (request-routing task: end-user jason → reviews-v2, others → reviews-v1)', () => {
    const route = reviewsRoute(`
  - matches: [{headers: [{type: Exact, name: end-user, value: jason}]}]
    backendRefs: [{name: reviews-v2, port: 9080}]
  - backendRefs: [{name: reviews-v1, port: 9080}]
`);
    const r = run(bookinfo(route, { requests: 'requests:\n  - {weight: 1, headers: {end-user: jason}}\n  - {weight: 3}' }).scenario);
    const e = reviewsEdge(r);
    const v2 = e.by_version.v2 ?? 0;
    expect(v2 / e.requests).toBeGreaterThan(0.2);
    expect(v2 / e.requests).toBeLessThan(0.3);
    expect(e.by_version.v3 ?? 0).toBe(0);
  });

  it('a backendRef naming no Service answers 500 (NC) for its share, as Istio does for unresolved backends', () => {
    const route = SPLIT_90_10.replace('reviews-v2, port: 9080, weight: 10', 'reviews-v9, port: 9080, weight: 50').replace(
      'weight: 90',
      'weight: 50',
    );
    const { scenario, warnings } = bookinfo(route);
    expect(warnings.join('\n')).toMatch(
      /backend reviews-v9\.default\.svc\.cluster\.local not found \(ResolvedRefs=False, BackendNotFound\)/,
    );
    const e = reviewsEdge(run(scenario));
    const share500 = (e.by_code['500'] ?? 0) / e.requests;
    expect(share500).toBeGreaterThan(0.4);
    expect(share500).toBeLessThan(0.6);
    expect(e.by_flag.NC).toBe(e.by_code['500']);
  });

  it('timeouts.request is the route timeout: a slower backend gets 504 UT', () => {
    const route = reviewsRoute(
      `
  - backendRefs: [{name: reviews, port: 9080}]
    timeouts: {request: 1ms}
`,
      { port: false },
    );
    const e = reviewsEdge(run(bookinfo(route).scenario));
    expect(e.by_code['504']).toBe(e.requests);
    expect(e.by_flag.UT).toBe(e.requests);
  });

  it('a RequestRedirect filter is answered by the sidecar with 302 (the CRD default statusCode)', () => {
    const route = reviewsRoute(
      `
  - filters: [{type: RequestRedirect, requestRedirect: {hostname: example.com}}]
`,
      { port: false },
    );
    const e = reviewsEdge(run(bookinfo(route).scenario));
    expect(e.by_code['302']).toBe(e.requests);
  });

  it('a parentRef port other than the Service port applies to no calls (augmentPortMatch), with a warning', () => {
    const { scenario, warnings } = bookinfo(SPLIT_90_10.replace('port: 9080}]', 'port: 8000}]'));
    expect(warnings.join('\n')).toMatch(/port 8000 is not the port of reviews\.default\.svc\.cluster\.local \(9080\)/);
    expect(reviewsEdge(run(scenario)).by_version.v3).toBeGreaterThan(0);
  });
});

describe('GAMMA routes in ambient mode (applied by the waypoint only)', () => {
  it('the reviews waypoint applies the split', () => {
    const e = reviewsEdge(run(bookinfo(SPLIT_90_10, { mode: 'mode: ambient, waypoints: [reviews]' }).scenario));
    expect(e.by_version.v3 ?? 0).toBe(0);
    expect((e.by_version.v1 ?? 0) / e.requests).toBeGreaterThan(0.85);
  });

  it('without a waypoint the route is not respected, and the run says so (conditions.go WaypointErrorMsgMissingLabel)', () => {
    const { scenario } = bookinfo(SPLIT_90_10, { mode: 'mode: ambient' });
    expect(reviewsEdge(run(scenario)).by_version.v3).toBeGreaterThan(0);
    expect(gammaWarnings(scenario, 'ambient').map((d) => d.message)).toEqual([
      expect.stringMatching(/HTTPRoute default\/reviews: in ambient mode, route will not be respected: reviews has no waypoint/),
    ]);
    expect(gammaWarnings(scenario, 'sidecar')).toEqual([]);
  });
});

describe('which route a proxy uses (route.go, virtualservice.go SelectVirtualServices)', () => {
  const VS_ALL_V3 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v3}}]}]
`;
  const reviews = (s: Scenario) => s.services.find((x) => x.name === 'reviews')!;

  it('an HTTPRoute in the proxy namespace wins over an older VirtualService for the same host; both are named in a warning', () => {
    const { scenario } = bookinfo(`${VS_ALL_V3}\n---\n${SPLIT_90_10}`);
    const policy = new MeshPolicy(scenario.istio, scenario.services, CURRENT_MESH_DEFAULTS);
    expect(policy.virtualServiceFor(reviews(scenario), 'default')?.name).toBe('default~9080~reviews.default.svc.cluster.local');
    // A proxy elsewhere takes the older one: the VirtualService.
    expect(policy.virtualServiceFor(reviews(scenario), 'other')?.name).toBe('reviews');
    expect(
      gammaWarnings(scenario, 'sidecar')
        .map((d) => d.message)
        .join('\n'),
    ).toMatch(/VirtualService default\/reviews also routes/);
  });

  it('a consumer route (in the client namespace, parent in another) applies only to proxies of its namespace', () => {
    const consumer = SPLIT_90_10.replace('metadata: {name: reviews}', 'metadata: {name: reviews, namespace: shop}').replace(
      'name: reviews, port: 9080}]',
      'name: reviews, namespace: default, port: 9080}]',
    );
    const { scenario } = bookinfo(consumer.replaceAll('port: 9080, weight', 'namespace: default, port: 9080, weight'));
    const policy = new MeshPolicy(scenario.istio, scenario.services, CURRENT_MESH_DEFAULTS);
    expect(policy.virtualServiceFor(reviews(scenario), 'shop')?.namespace).toBe('shop');
    expect(policy.virtualServiceFor(reviews(scenario), 'default')).toBeUndefined();
  });
});

describe('HTTPRoute → VirtualService conversion (conversion.go)', () => {
  const route = (spec: HttpRouteSpec): MeshResource<HttpRouteSpec> =>
    ({
      family: 'gateway-api',
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      name: 'r',
      namespace: 'ns',
      spec,
    }) as MeshResource<HttpRouteSpec>;
  const rule = (r: Partial<HttpRouteSpec['rules'][number]>) => ({
    matches: [{ path: { type: 'PathPrefix' as const, value: '/' } }],
    backendRefs: [],
    ...r,
  });
  /** A route with these rules, no parents, every backend resolvable. */
  const convert = (...rules: HttpRouteSpec['rules']) => convertHttpRoute(route({ parentRefs: [], rules }), () => true);

  it('filters become headers, rewrite, mirrors and CORS; a trailing slash of a prefix is dropped', () => {
    const c = convert(
      rule({
        matches: [{ path: { type: 'PathPrefix', value: '/api/' }, method: 'GET', queryParams: [{ type: 'Exact', name: 'q', value: '1' }] }],
        backendRefs: [{ name: 'b', port: 80, weight: 1 }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [
                { name: 'X-A', value: '1' },
                { name: 'x-a', value: '2' },
              ],
              remove: ['x-b'],
            },
          },
          { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2/' }, hostname: 'h' } },
          { type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 80 }, fraction: { numerator: 1, denominator: 4 } } },
        ],
      }),
    );
    expect(c.rejected).toBeUndefined();
    expect(c.rules).toEqual([
      {
        id: 'ns/r#0',
        http: {
          match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' }, queryParams: { q: { exact: '1' } } }],
          headers: { request: { set: { 'x-a': '1' }, remove: ['x-b'] } },
          rewrite: { uri: '/v2', authority: 'h' },
          mirrors: [{ destination: { host: 'm.ns.svc.cluster.local' }, percentage: { value: 25 } }],
          route: [{ destination: { host: 'b.ns.svc.cluster.local', port: { number: 80 } }, weight: 1 }],
        },
      },
    ]);
  });

  it('backend header filters become the destination headers (request and response, buildHTTPDestination)', () => {
    const c = convert(
      rule({
        backendRefs: [
          {
            name: 'b',
            port: 80,
            weight: 1,
            filters: [
              { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-b', value: '1' }] } },
              { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['server'] } },
            ],
          },
        ],
      }),
    );
    expect(c.rules[0]?.http.route?.[0]?.headers).toEqual({ request: { add: { 'x-b': '1' } }, response: { remove: ['server'] } });
  });

  it('rejects a route with an ExtensionRef filter or a Service backendRef without port; no backends → direct 500', () => {
    const ext = convert(rule({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'g', kind: 'K', name: 'n' } }] }));
    expect(ext.rejected).toBe('unsupported filter type "ExtensionRef"');
    expect(convert(rule({ backendRefs: [{ name: 'b', weight: 1 }] })).rejected).toBe('port is required in backendRef');
    expect(convert(rule({})).rules[0]?.http.directResponse).toEqual({
      status: 500,
    });
  });

  it('sorts Exact > PathPrefix > RegularExpression, then longer paths (sortHTTPRoutes)', () => {
    const c = convert(
      rule({
        matches: [
          { path: { type: 'RegularExpression', value: '/a.*' } },
          { path: { type: 'PathPrefix', value: '/a' } },
          { path: { type: 'PathPrefix', value: '/a/b' } },
          { path: { type: 'Exact', value: '/a' } },
        ],
      }),
    );
    expect(sortHttpRoutes(c.rules).map((r) => r.http.match?.[0]?.uri)).toEqual([
      { exact: '/a' },
      { prefix: '/a/b' },
      { prefix: '/a' },
      { regex: '/a.*' },
    ]);
  });

  it('gateway prefixes match path-separated; a rewrite to / strips the prefix (route.go)', () => {
    const m = { uri: { prefix: '/reviews' } };
    const req = (path: string) => ({ method: 'GET', path, headers: {} }) as never;
    expect(requestMatches(m, req('/reviews/0'), true)).toBe(true);
    expect(requestMatches(m, req('/reviews'), true)).toBe(true);
    expect(requestMatches(m, req('/reviewsx'), true)).toBe(false);
    expect(requestMatches(m, req('/reviewsx'), false)).toBe(true);
    expect(rewritePath('/reviews/0?x=1', { uri: '/' }, m, true)).toBe('/0?x=1');
    expect(rewritePath('/reviews', { uri: '/' }, m, true)).toBe('/');
    expect(rewritePath('/reviews/0', { uri: '/v2' }, m, true)).toBe('/v2/0');
  });
});

// Istio's own GAMMA sample, unmodified beside the sample's manifests (../shared/fixtures/istio).
const FIXTURES = repoPath('../shared/fixtures/istio');
describe.skipIf(!existsSync(join(FIXTURES, 'bookinfo__gateway-api__route-reviews-90-10.yaml')))('Istio GAMMA sample, unmodified', () => {
  it('samples/bookinfo/gateway-api/route-reviews-90-10.yaml splits reviews 90/10 in sidecar mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-gamma-'));
    const files = [
      'bookinfo__platform__kube__bookinfo.yaml',
      'bookinfo__platform__kube__bookinfo-versions.yaml',
      'bookinfo__gateway-api__route-reviews-90-10.yaml',
    ];
    for (const f of files) copyFileSync(join(FIXTURES, f), join(dir, f));
    writeFileSync(
      join(dir, 's.yaml'),
      `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: sample}
spec:
  duration: 10s
  mesh: {mode: sidecar}
  istioFiles: [${files.join(', ')}]
  services:
    - {name: productpage, port: 9080, calls: [{service: reviews}]}
    - {name: reviews, port: 9080}
  workload: [{name: users, target: productpage, rate: 200}]
`,
    );
    const e = reviewsEdge(run(loadScenario(join(dir, 's.yaml')).scenario));
    expect(e.by_version.v3 ?? 0).toBe(0);
    expect((e.by_version.v1 ?? 0) / e.requests).toBeGreaterThan(0.87);
  });
});
