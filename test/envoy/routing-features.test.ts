/**
 * VirtualService route actions beyond route/retries/faults, as Istio configures Envoy
 * (istio/api networking/v1alpha3/virtual_service.proto; istio/istio pilot/pkg/networking/core/route/route.go):
 * mirroring (Envoy request_mirror_policies, source/common/router/shadow_writer_impl.cc: fire and
 * forget, answers dropped, Host `-shadow`), redirects (HTTPRedirect.redirectCode, default 301 =
 * Envoy RedirectAction MOVED_PERMANENTLY), direct responses (HTTPDirectResponse), rewrites and
 * header operations (applied after matching, seen by the destination and whatever it forwards),
 * and delegate VirtualServices (pilot/pkg/model/virtualservice.go mergeVirtualServicesIfNeeded).
 */
import { describe, expect, it } from 'vitest';
import { applyHeaderOps, rewritePath, routedResponseHeaders, upstreamRequest } from '../../src/policy/request-rewrite.js';
import { accessLog } from '../../src/report/access-log.js';
import { simulate } from '../../src/sim/simulate.js';
import { TraceObserver } from '../../src/telemetry/traces.js';
import { edge, run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const base = (istio: string, extra = '', rate = 50) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: routing}
spec:
  seed: 3
  duration: 20s
  mesh: {mode: sidecar}
  cluster:
    nodes: [{name: a, cpu: 64}, {name: b, cpu: 64}, {name: c, cpu: 64}]
  services:
    - name: web
      replicas: 2
      node: a
      serviceTime: 1ms
      propagateHeaders: [x-qa, x-route]
      calls: [{service: api, path: /v1/items?page=2}]
    - name: api
      node: b
      propagateHeaders: [x-qa, x-route]
      versions:
        - {name: v1, replicas: 2}
        - {name: v2, replicas: 2}
      serviceTime: 2ms
${extra}
  workload:
    - name: users
      target: web
      rate: ${rate}
      requests:
        - {weight: 3}
        - {weight: 1, headers: {x-qa: "true"}}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
    ---
${istio
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const mirrorVs = (extra: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
    - route: [{destination: {host: api, subset: v1}}]
${extra}`;

const slowV2 = `
    - name: shadowed
      node: c
      replicas: 1
      serviceTime: 1ms`;

describe('mirror / mirrors (Envoy request_mirror_policies)', () => {
  const withMirror = base(mirrorVs('      mirror: {host: api, subset: v2}'), slowV2).replace(
    '        - {name: v2, replicas: 2}',
    '        - {name: v2, replicas: 2, serviceTime: 30ms, failure: {rate: 0.5, status: 503}}',
  );
  const without = withMirror.replace(/ *mirror: \{host: api, subset: v2\}\n/, '');

  it('mirrored traffic adds load but not latency: v2 serves a copy of every request, users’ latency is unchanged', () => {
    const m = run(scenarioFromYaml(withMirror));
    const n = run(scenarioFromYaml(without));
    expect(n.services.api!.pods['api-v2-0']!.requests).toBe(0);
    const v2 = m.services.api!.pods['api-v2-0']!.requests + m.services.api!.pods['api-v2-1']!.requests;
    const v1 = m.services.api!.pods['api-v1-0']!.requests + m.services.api!.pods['api-v1-1']!.requests;
    // mirrorPercentage absent = 100% (a few copies are still in flight when the run ends).
    expect(v2).toBeGreaterThan(v1 * 0.99);
    expect(v2).toBeLessThanOrEqual(v1);
    expect(m.requests.total).toBe(n.requests.total);
    expect(m.latency_ms).toEqual(n.latency_ms);
    // The copies cost the mirror target CPU.
    expect(m.resources.by_component.app!.cpu_cores).toBeGreaterThan(n.resources.by_component.app!.cpu_cores + 0.5);
  });

  it('its failures are invisible to callers: v2 answers 503 to half the copies, users and the web → api edge see none', () => {
    const m = run(scenarioFromYaml(withMirror));
    expect(m.services.api!.requests.by_code['503']).toBeGreaterThan(100);
    expect(m.requests.failed).toBe(0);
    expect(edge(m, 'web', 'api').by_code).toEqual({ '200': edge(m, 'web', 'api').requests });
    expect(edge(m, 'web', 'api').by_version).toEqual({ v1: edge(m, 'web', 'api').requests });
  });

  it('mirrorPercentage copies that share of requests; mirrors[] with its own percentage likewise', () => {
    const half = run(scenarioFromYaml(base(mirrorVs('      mirror: {host: api, subset: v2}\n      mirrorPercentage: {value: 25}'))));
    const list = run(scenarioFromYaml(base(mirrorVs('      mirrors: [{destination: {host: api, subset: v2}, percentage: {value: 25}}]'))));
    for (const r of [half, list]) {
      const v2 = r.services.api!.pods['api-v2-0']!.requests + r.services.api!.pods['api-v2-1']!.requests;
      const share = v2 / edge(r, 'web', 'api').requests;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
  });
});

describe('redirect and directResponse: the proxy answers, nothing goes upstream', () => {
  it('a redirect answers 301 by default (HTTPRedirect.redirectCode), or its redirectCode', () => {
    const r = run(
      scenarioFromYaml(
        base(mirrorVs('').replace('    - route: [{destination: {host: api, subset: v1}}]', '    - redirect: {uri: /v2/items}')),
      ),
    );
    expect(edge(r, 'web', 'api').by_code).toEqual({ '301': edge(r, 'web', 'api').requests });
    expect(r.services.api!.requests.total).toBe(0);
    const r308 = run(
      scenarioFromYaml(
        base(
          mirrorVs('').replace('    - route: [{destination: {host: api, subset: v1}}]', '    - redirect: {uri: /v2, redirectCode: 308}'),
        ),
      ),
    );
    expect(Object.keys(edge(r308, 'web', 'api').by_code)).toEqual(['308']);
  });

  it('a directResponse answers its status (HTTPDirectResponse) and the destination sees nothing', () => {
    const r = run(
      scenarioFromYaml(
        base(
          mirrorVs('').replace(
            '    - route: [{destination: {host: api, subset: v1}}]',
            '    - directResponse: {status: 503, body: {string: down}}',
          ),
        ),
      ),
    );
    expect(edge(r, 'web', 'api').by_code).toEqual({ '503': edge(r, 'web', 'api').requests });
    expect(r.services.api!.requests.total).toBe(0);
  });
});

describe('rewrite and headers apply after matching and are seen downstream', () => {
  it('uri rewrite replaces the matched prefix and keeps the query (Envoy prefix_rewrite); regex rewrite substitutes \\1 groups', () => {
    expect(rewritePath('/v1/items?page=2', { uri: '/v2/' }, { uri: { prefix: '/v1/' } })).toBe('/v2/items?page=2');
    expect(rewritePath('/v1/items', { uri: '/v2' }, { uri: { exact: '/v1/items' } })).toBe('/v2');
    expect(rewritePath('/api', { uri: '/x' }, undefined)).toBe('/xapi');
    expect(rewritePath('/users/42/profile', { uriRegexRewrite: { match: '^/users/([0-9]+)/(.*)$', rewrite: '/\\2/\\1' } }, undefined)).toBe(
      '/profile/42',
    );
  });

  it('header operations: removals before additions; set overwrites, add appends (comma-joined); destination first, then route', () => {
    expect(applyHeaderOps({ a: '1', b: '2' }, { remove: ['a'], set: { a: 'x' }, add: { b: '3' } })).toEqual({ a: 'x', b: '2,3' });
    const r = upstreamRequest(
      { method: 'GET', path: '/', headers: { x: 'orig' }, requestSize: 1, responseSize: 1 },
      { destinationHeaders: { set: { x: 'dest' } }, routeHeaders: { set: { x: 'route' } } },
    );
    expect(r.headers).toEqual({ x: 'route' });
  });

  it('a header a route sets is matched by the next hop’s VirtualService (the app propagates it)', () => {
    const yaml = base(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
    - route: [{destination: {host: web}}]
      headers: {request: {set: {x-route: canary}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
    - match: [{headers: {x-route: {exact: canary}}}]
      route: [{destination: {host: api, subset: v2}}]
    - route: [{destination: {host: api, subset: v1}}]
`);
    const r = run(scenarioFromYaml(yaml));
    expect(edge(r, 'web', 'api').by_version).toEqual({ v2: edge(r, 'web', 'api').requests });
  });

  it('matching sees the original request: a rewritten path does not change which rule was chosen, the destination sees the new path', () => {
    const yaml = base(
      `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
    - match: [{uri: {prefix: /v1/}}]
      rewrite: {uri: /v2/}
      route: [{destination: {host: api, subset: v1}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-v2-paths}
spec:
  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules: [{to: [{operation: {paths: ["/v2/*"]}}]}]
`,
    );
    const r = run(scenarioFromYaml(yaml));
    // Allowed only because the api's sidecar sees /v2/items (RBAC runs on the rewritten request).
    expect(edge(r, 'web', 'api').by_code).toEqual({ '200': edge(r, 'web', 'api').requests });
    const denied = run(scenarioFromYaml(yaml.replace(/ *rewrite: \{uri: \/v2\/\}\n/, '')));
    expect(Object.keys(edge(denied, 'web', 'api').by_code)).toEqual(['403']);
  });
});

describe('response header operations (headers.response on the rule and on each destination)', () => {
  it('the router sets x-envoy-upstream-service-time, then the destination’s operations, then the route’s (router.cc onUpstreamHeaders, finalizeResponseHeaders)', () => {
    expect(routedResponseHeaders({}, 7)).toBeUndefined();
    expect(routedResponseHeaders({ routeHeaders: { set: { 'x-served-by': 'route' } } }, 7)).toEqual({
      'x-envoy-upstream-service-time': '7',
      'x-served-by': 'route',
    });
    expect(
      routedResponseHeaders(
        { destinationHeaders: { set: { 'x-served-by': 'v2' } }, routeHeaders: { remove: ['x-envoy-upstream-service-time'] } },
        7,
      ),
    ).toEqual({ 'x-served-by': 'v2' });
    // A router-made reply (no upstream answer) has no service time, but still gets the operations.
    expect(routedResponseHeaders({ routeHeaders: { add: { 'x-a': '1' } } }, undefined)).toEqual({ 'x-a': '1' });
  });

  it('access.log %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% shows what the client sidecar returned after the route’s operations', () => {
    const yaml = (ops: string) =>
      base(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api]
  http:
    - route:
        - {destination: {host: api, subset: v1}, weight: 50, headers: {response: {set: {x-envoy-upstream-service-time: "999"}}}}
        - {destination: {host: api, subset: v2}, weight: 50}
      ${ops}
`);
    const log = (text: string) => {
      const scenario = scenarioFromYaml(text);
      const traces = new TraceObserver({ seed: scenario.seed, network: scenario.network, sampleRate: 0.2 });
      simulate(scenario, { observers: [traces], durationUs: 5e6 });
      // The outbound lines of web's sidecars calling api: the 14th space-separated field is the service time.
      return accessLog(traces.sampledCalls(), 'sidecar', Date.UTC(2026, 0, 1))
        .split('\n')
        .filter((l) => l.includes('outbound|') && l.includes('"api:'))
        .map((l) => l.split(' ')[13]);
    };
    const kept = log(yaml(''));
    expect(kept.length).toBeGreaterThan(10);
    expect(kept).toContain('999'); // v1's destination set it
    expect(kept.some((v) => /^\d+$/.test(v!) && v !== '999')).toBe(true); // v2 keeps the router's value
    const removed = log(yaml('headers: {response: {remove: [x-envoy-upstream-service-time]}}'));
    expect(new Set(removed)).toEqual(new Set(['-'])); // the route's removal runs after the destination's set
  });
});

describe('delegate VirtualServices (mergeVirtualServicesIfNeeded)', () => {
  const yaml = (delegateMatch: string) =>
    base(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-root}
spec:
  hosts: [api]
  http:
    - match: [{uri: {prefix: /v1/}}]
      delegate: {name: api-team}
      timeout: 5s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-team}
spec:
  http:
    - match: [${delegateMatch}]
      route: [{destination: {host: api, subset: v2}}]
    - route: [{destination: {host: api, subset: v1}}]
`);

  it('the delegate’s rules replace the root rule; their matches hold together with the root’s', () => {
    const r = run(scenarioFromYaml(yaml('{headers: {x-qa: {exact: "true"}}}')));
    const byVersion = edge(r, 'web', 'api').by_version;
    expect(byVersion.v2! / edge(r, 'web', 'api').requests).toBeGreaterThan(0.18);
    expect(byVersion.v2! / edge(r, 'web', 'api').requests).toBeLessThan(0.32);
    expect(byVersion.v1).toBeGreaterThan(byVersion.v2!);
  });

  it('a request the root rule does not match gets no route (404 NR), whatever the delegate says', () => {
    const r = run(scenarioFromYaml(yaml('{headers: {x-qa: {exact: "true"}}}').replace('prefix: /v1/', 'prefix: /v3/')));
    expect(Object.keys(edge(r, 'web', 'api').by_code)).toEqual(['404']);
  });
});
