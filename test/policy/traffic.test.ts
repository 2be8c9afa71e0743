/**
 * VirtualService and DestinationRule behaviour as Istio documents it (istio/api
 * networking/v1alpha3/virtual_service.proto and destination_rule.proto), run through the whole simulator: loader → data plane → results.json.
 */
import { describe, expect, it } from 'vitest';
import { compare, edge, run, scenarioFromYaml } from '../dataplane/run-scenario.js';

interface Opts {
  mode?: string;
  rate?: number;
  duration?: string;
  v1?: number;
  v2?: number;
  reviews?: string;
  headers?: string;
  istio: string;
  waypoints?: string;
  faults?: string;
}

/** A client calling `reviews` (v1 and v2 pods) directly, with the given Istio config. */
function scenario(o: Opts): string {
  const indent = (s: string, n: number) =>
    s
      .trim()
      .split('\n')
      .map((l) => ' '.repeat(n) + l)
      .join('\n');
  return `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: traffic}
spec:
  seed: 3
  duration: ${o.duration ?? '20s'}
  mesh: {mode: ${o.mode ?? 'sidecar'}${o.waypoints ? `, waypoints: [${o.waypoints}]` : ''}}
  cluster: {nodes: 2}
  services:
    - name: reviews
      ${o.reviews?.includes('concurrency') ? '' : 'concurrency: 64'}
      ${o.reviews ?? 'serviceTime: {distribution: constant, value: 2ms}'}
      versions: [{name: v1, replicas: ${o.v1 ?? 3}}, {name: v2, replicas: ${o.v2 ?? 1}}]
  workload:
    - name: users
      target: reviews
      rate: ${o.rate ?? 200}
      requests: [{path: /reviews/1${o.headers ? `, headers: ${o.headers}` : ''}}]
  istio: |
${indent(o.istio, 4)}
${o.faults ? `  faults:\n${indent(o.faults, 4)}` : ''}
`;
}

const SUBSETS = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const split = (w1: number, w2: number) => `${SUBSETS}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${w1}}
    - {destination: {host: reviews, subset: v2}, weight: ${w2}}
`;

describe('VirtualService weights', () => {
  it('a 90/10 split converges to 90/10, and weights 9/1 behave the same (weights are relative)', () => {
    const a = run(scenarioFromYaml(scenario({ istio: split(90, 10), duration: '60s' })));
    const b = run(scenarioFromYaml(scenario({ istio: split(9, 1), duration: '60s' })));
    const e = edge(a, 'users', 'reviews');
    const share = (e.by_version.v2 ?? 0) / e.requests;
    expect(e.requests).toBeGreaterThan(10_000);
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    expect(edge(b, 'users', 'reviews').by_version).toEqual(e.by_version);
  });

  it('a 50/50 split over 3 v1 pods and 1 v2 pod is 50/50 with sidecars or a waypoint, 75/25 with ztunnel alone', () => {
    // Long requests keep ~500 app connections open: ztunnel balances connections, so it needs many.
    const share = (mode: string, waypoints?: string) => {
      const r = run(
        scenarioFromYaml(
          scenario({
            istio: split(50, 50),
            mode,
            waypoints,
            duration: '30s',
            rate: 500,
            reviews: 'concurrency: 2000\n      cpuShare: 0\n      serviceTime: {distribution: constant, value: 1s}',
          }),
        ),
      );
      const e = edge(r, 'users', 'reviews');
      return (e.by_version.v2 ?? 0) / e.requests;
    };
    expect(share('sidecar')).toBeCloseTo(0.5, 1);
    expect(share('ambient', 'reviews')).toBeCloseTo(0.5, 1);
    // ztunnel ignores VirtualServices and balances over all four pods.
    expect(share('ambient')).toBeCloseTo(0.25, 1);
  });
});

describe('VirtualService matching', () => {
  const jason = `${SUBSETS}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`;
  it('end-user: jason goes to v2', () => {
    const e = edge(run(scenarioFromYaml(scenario({ istio: jason, headers: '{end-user: jason}' }))), 'users', 'reviews');
    expect(e.requests).toBeGreaterThan(1000);
    expect(e.by_version).toEqual({ v2: e.requests });
  });

  it('end-user: Jason does not match exact: jason (values are case-sensitive)', () => {
    const e = edge(run(scenarioFromYaml(scenario({ istio: jason, headers: '{end-user: Jason}' }))), 'users', 'reviews');
    expect(e.by_version).toEqual({ v1: e.requests });
  });

  it('no matching rule gives 404 NR', () => {
    const istio = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
`;
    const r = run(scenarioFromYaml(scenario({ istio })));
    expect(r.requests.by_code).toEqual({ 404: r.requests.total });
    expect(r.requests.by_flag.NR).toBe(r.requests.total);
    expect(r.services.reviews?.requests.total).toBe(0);
  });

  it('a subset missing from every DestinationRule gives 503 NC; a subset selecting no pods gives 503 UH', () => {
    const route = (subset: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v9, labels: {version: v9}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: ${subset}}}]}]
`;
    const nc = run(scenarioFromYaml(scenario({ istio: route('v5') })));
    expect(nc.requests.by_code).toEqual({ 503: nc.requests.total });
    expect(nc.requests.by_flag.NC).toBe(nc.requests.total);
    const uh = run(scenarioFromYaml(scenario({ istio: route('v9') })));
    expect(uh.requests.by_flag.UH).toBe(uh.requests.total);
  });
});

describe('retries and timeouts', () => {
  const retries = (extra: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
${extra}`;

  it('3 retries on 5xx against pods failing 30%: 0.3^4 of requests fail, 1.417 attempts per request', () => {
    const r = run(
      scenarioFromYaml(
        scenario({
          istio: retries('    retries: {attempts: 3, retryOn: 5xx}'),
          reviews: 'serviceTime: {distribution: constant, value: 1ms}\n      failure: {rate: 0.3, status: 503}',
          rate: 1000,
          duration: '60s',
        }),
      ),
    );
    const total = r.requests.total;
    const attempts = r.services.reviews?.requests.total ?? 0;
    expect(attempts / total).toBeCloseTo(1 + 0.3 + 0.09 + 0.027, 2);
    expect(r.requests.failed / total).toBeGreaterThan(0.0081 * 0.8);
    expect(r.requests.failed / total).toBeLessThan(0.0081 * 1.2);
    expect(r.requests.by_flag.URX).toBe(r.requests.failed);
    expect(r.services.reviews?.retries).toBe(attempts - total);
  });

  it('without a retry policy a 503 answer is not retried (Istio default retries only connect failures)', () => {
    const r = run(
      scenarioFromYaml(
        scenario({
          istio: retries(''),
          reviews: 'serviceTime: {distribution: constant, value: 1ms}\n      failure: {rate: 0.3, status: 503}',
          rate: 500,
        }),
      ),
    );
    expect(r.services.reviews?.requests.total).toBe(r.requests.total);
    expect(r.services.reviews?.retries).toBe(0);
    expect(r.requests.failed / r.requests.total).toBeCloseTo(0.3, 1);
  });

  it('a 3 s upstream with perTryTimeout 2s, 3 retries on gateway-error and timeout 5s ends every request at 5 s with 504 UT after 3 tries', () => {
    const r = run(
      scenarioFromYaml(
        scenario({
          istio: retries('    timeout: 5s\n    retries: {attempts: 3, perTryTimeout: 2s, retryOn: gateway-error}'),
          reviews: 'serviceTime: {distribution: constant, value: 3s}\n      cpuShare: 0',
          rate: 5,
          duration: '30s',
        }),
      ),
    );
    const total = r.requests.total;
    expect(r.requests.by_code).toEqual({ 504: total });
    expect(r.requests.by_flag.UT).toBe(total);
    expect(r.latency_ms.p50).toBeCloseTo(5000, -1);
    // 5 s at the client's sidecar, plus its own response leg on the way back to the app.
    expect(r.latency_ms.max).toBeLessThan(5002);
    expect(r.latency_ms.mean).toBeGreaterThan(5000);
    // 3 tries per request (2 retries); a 4th would start after the route timeout. Tries still
    // running at the pods when the last requests time out are not counted as answered.
    expect(r.services.reviews?.retries).toBe(2 * total);
    expect(r.services.reviews?.requests.total).toBeGreaterThan(3 * total - 15);
  });

  it('a 100% abort with retries never reaches the upstream (FI, no retry)', () => {
    const istio = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - fault: {abort: {httpStatus: 500, percentage: {value: 100}}}
    retries: {attempts: 5, retryOn: 5xx}
    route: [{destination: {host: reviews}}]
`;
    const r = run(scenarioFromYaml(scenario({ istio })));
    expect(r.requests.by_code).toEqual({ 500: r.requests.total });
    expect(r.requests.by_flag.FI).toBe(r.requests.total);
    expect(r.services.reviews?.requests.total).toBe(0);
    expect(r.services.reviews?.retries).toBe(0);
  });

  it('an injected delay adds its fixed delay to the requests it hits (DI)', () => {
    const istio = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - fault: {delay: {fixedDelay: 7s, percentage: {value: 100}}}
    route: [{destination: {host: reviews}}]
`;
    const r = run(scenarioFromYaml(scenario({ istio, rate: 10 })));
    expect(r.requests.by_flag.DI).toBe(r.requests.total);
    expect(r.latency_ms.p50).toBeGreaterThan(7000);
    expect(r.latency_ms.p50).toBeLessThan(7010);
  });
});

describe('config changes at simulated times', () => {
  it('a weight shift applies after the propagation delay', () => {
    const faults = `
- at: 10s
  apply: |
${split(0, 100)
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
    const r = run(scenarioFromYaml(scenario({ istio: split(100, 0), faults, duration: '20s' })));
    const e = edge(r, 'users', 'reviews');
    // v1 until 10 s + 1 s propagation, v2 afterwards: about 11/20 and 9/20.
    expect((e.by_version.v1 ?? 0) / e.requests).toBeCloseTo(0.55, 1);
    expect((e.by_version.v2 ?? 0) / e.requests).toBeCloseTo(0.45, 1);
  });
});

describe('where policy runs per mode', () => {
  it('mode none ignores VirtualServices: no faults, no retries', () => {
    const istio = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - fault: {abort: {httpStatus: 500, percentage: {value: 100}}}
    route: [{destination: {host: reviews}}]
`;
    const r = compare(scenarioFromYaml(scenario({ istio })), ['none', 'ambient']);
    expect(r.none?.requests.total).toBeGreaterThan(1000);
    for (const m of ['none', 'ambient']) expect(r[m]?.requests.by_code).toEqual({ 200: r[m]?.requests.total });
  });
});

describe("Istio's fault-injection task (scenarios/bookinfo-fault-delay.yaml)", () => {
  it("jason's pages take about 6 s (productpage: 3 s timeout, one retry); other users are unaffected", async () => {
    const { scenarioFromFile } = await import('../dataplane/run-scenario.js');
    const r = run(scenarioFromFile('scenarios/bookinfo-fault-delay.yaml'));
    const toReviews = edge(r, 'productpage', 'reviews');
    const ratings = edge(r, 'reviews', 'ratings');
    // Every delayed ratings call makes productpage time out once, then once more on its retry
    // (a few delayed calls of the last pages still run when the run ends, 7 s after their start).
    expect(toReviews.by_code['0']).toBeGreaterThanOrEqual(ratings.by_flag.DI ?? 0);
    expect((toReviews.by_code['0'] ?? 0) - (ratings.by_flag.DI ?? 0)).toBeLessThan(10);
    expect((ratings.by_flag.DI ?? 0) / r.requests.total).toBeGreaterThan(2 * 0.08);
    expect((ratings.by_flag.DI ?? 0) / r.requests.total).toBeLessThan(2 * 0.12);
    // productpage carries on without reviews: users get 200, jason after two 3 s timeouts.
    expect(r.requests.by_code).toEqual({ 200: r.requests.total });
    expect(r.latency_ms.p99).toBeGreaterThan(6000);
    expect(r.latency_ms.max).toBeLessThan(6100);
    expect(r.latency_ms.p50).toBeLessThan(50);
  });
});
