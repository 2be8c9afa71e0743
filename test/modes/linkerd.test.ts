/**
 * Mode `linkerd` end to end: always-on mTLS between meshed pods (https://linkerd.io/2-edge/features/automatic-mtls/),
 * the retry budget of a ServiceProfile (https://linkerd.io/2-edge/reference/service-profiles/),
 * retry annotations with their limit (https://linkerd.io/2.18/reference/retries/), failure accrual
 * (https://linkerd.io/2-edge/reference/circuit-breaking/), HTTPRoute traffic splits and 404 for
 * unmatched routes, authorization 403 (https://linkerd.io/2.18/reference/authorization-policy/).
 */
import { describe, expect, it } from 'vitest';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const base = (extra: string, opts: { rate?: number; failure?: string; duration?: string } = {}) => `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: l5d}
spec:
  seed: 3
  duration: ${opts.duration ?? '30s'}
  mesh: {mode: linkerd}
  cluster: {nodes: 2}
  services:
    - name: web
      replicas: 2
      serviceTime: {distribution: constant, value: 1ms}
      calls: [{service: api, method: GET, path: /items}]
    - name: api
      replicas: 2
      serviceTime: {distribution: constant, value: 2ms}
${opts.failure ?? ''}
    - name: api-v2
      replicas: 1
      serviceTime: {distribution: constant, value: 2ms}
  workload:
    - name: users
      target: web
      rate: ${opts.rate ?? 100}
${extra}`;

describe('mode linkerd', () => {
  it('encrypts every call between meshed pods (mTLS always on), with HTTP/2 connection reuse', () => {
    const r = run(scenarioFromYaml(base('')));
    expect(r.edges.every((e) => e.mtls)).toBe(true);
    expect(r.requests.failed).toBe(0);
    expect(r.resources.by_component['linkerd-proxy']?.instances).toBe(6); // 5 pods + the users' client
  });

  it('retry budget: at most 20% of requests + 10/s are retried, whatever the failure rate', () => {
    const r = run(
      scenarioFromYaml(
        base(
          `  linkerd: |
    apiVersion: linkerd.io/v1alpha2
    kind: ServiceProfile
    metadata: {name: api.default.svc.cluster.local}
    spec:
      routes:
      - {name: items, condition: {method: GET, pathRegex: /items}, isRetryable: true}
`,
          { rate: 200, failure: '      failure: {rate: 0.9, status: 503}' },
        ),
      ),
    );
    const retries = r.services.api?.retries ?? 0;
    const requests = r.requests.total;
    // 2 web proxies, each: 0.2 × its deposits + 10/s over 30 s (+ the first window's reserve).
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 2 * 10 * 30 + 2 * 100);
    expect(retries).toBeGreaterThan(0);
  });

  it('retry annotations: limit 2 retries on 5xx', () => {
    const r = run(
      scenarioFromYaml(
        base(
          `  linkerd: |
    apiVersion: v1
    kind: Service
    metadata:
      name: api
      annotations: {retry.linkerd.io/http: 5xx, retry.linkerd.io/limit: "2"}
    spec: {selector: {app: api}, ports: [{port: 8080}]}
`,
          { failure: '      failure: {rate: 0.5, status: 503}' },
        ),
      ),
    );
    const api = r.services.api?.requests.total ?? 0;
    const calls = r.edges.find((e) => e.source === 'web' && e.destination === 'api')?.requests ?? 0;
    // 1 + 0.5 + 0.25 attempts per call; users see 0.5^3 failures.
    expect(api / calls).toBeGreaterThan(1.6);
    expect(api / calls).toBeLessThan(1.9);
    expect(r.requests.failed / r.requests.total).toBeLessThan(0.2);
  });

  it('failure accrual: a failing endpoint is shut after 7 consecutive failures and probed', () => {
    const yaml = base(
      `  linkerd: |
    apiVersion: v1
    kind: Service
    metadata:
      name: api
      annotations: {balancer.linkerd.io/failure-accrual: consecutive}
    spec: {selector: {app: api}, ports: [{port: 8080}]}
  faults:
    - {at: 5s, target: {service: api, pod: 0}, inject: {errorRate: 1.0, status: 503}}
`,
      { duration: '40s' },
    );
    const r = run(scenarioFromYaml(yaml));
    const noBreaker = run(scenarioFromYaml(yaml.replace('balancer.linkerd.io/failure-accrual: consecutive', 'x: y')));
    expect(r.requests.failed).toBeLessThan(noBreaker.requests.failed / 10);
    expect(r.requests.failed).toBeGreaterThanOrEqual(14); // 7 per web proxy before shutting
  });

  it('HTTPRoute backendRefs split traffic by weight; an unmatched route is 404', () => {
    const r = run(
      scenarioFromYaml(
        base(`  linkerd: |
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: api-split}
    spec:
      parentRefs: [{group: core, kind: Service, name: api, port: 8080}]
      rules:
      - matches: [{path: {type: PathPrefix, value: /items}}]
        backendRefs: [{name: api, port: 8080, weight: 80}, {name: api-v2, port: 8080, weight: 20}]
`),
      ),
    );
    const v2 = r.services['api-v2']?.requests.total ?? 0;
    const v1 = r.services.api?.requests.total ?? 0;
    expect(v2 / (v1 + v2)).toBeGreaterThan(0.15);
    expect(v2 / (v1 + v2)).toBeLessThan(0.25);
    const r404 = run(
      scenarioFromYaml(
        base(`  linkerd: |
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: api-other}
    spec:
      parentRefs: [{kind: Service, name: api}]
      rules: [{matches: [{path: {type: Exact, value: /other}}]}]
`),
      ),
    );
    expect(r404.edges.find((e) => e.destination === 'api')?.by_code['404']).toBeGreaterThan(0);
  });

  it('a Server without authorization denies its port with 403', () => {
    const r = run(
      scenarioFromYaml(
        base(`  linkerd: |
    apiVersion: policy.linkerd.io/v1beta3
    kind: Server
    metadata: {name: api-http}
    spec: {podSelector: {matchLabels: {app: api}}, port: 8080, proxyProtocol: HTTP/1}
`),
      ),
    );
    expect(r.edges.find((e) => e.destination === 'api')?.by_code['403']).toBeGreaterThan(0);
  });
});

describe('mode linkerd metrics', () => {
  it("writes linkerd2-proxy's request_total, response_total and response_latency_ms with Linkerd's buckets, not istio_*", async () => {
    const { runObservers } = await import('../../src/report/outputs.js');
    const { simulate } = await import('../../src/sim/simulate.js');
    const { LINKERD_LATENCY_BUCKETS_MS } = await import('../../src/telemetry/mesh-metrics.js');
    const s = scenarioFromYaml(base(''));
    const obs = runObservers(s, { mode: 'linkerd' });
    simulate(s, { mode: 'linkerd', observers: obs.list });
    obs.metrics.finish(s.durationUs);
    const fams = obs.metrics.families();
    expect(fams.map((f) => f.name)).toEqual(['request', 'response', 'response_latency_ms']);
    expect(fams[2]?.buckets).toEqual(LINKERD_LATENCY_BUCKETS_MS);
    const out = fams[1]?.series.find((x) => x.labels.some(([k, v]) => k === 'direction' && v === 'outbound'));
    expect(Object.fromEntries(out?.labels ?? [])).toMatchObject({ tls: 'true', classification: 'success', job: 'linkerd-proxy' });
  });
});
