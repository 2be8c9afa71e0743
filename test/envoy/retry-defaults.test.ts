/**
 * Retry back-off as current Envoy computes it, and the version-dependent default retry policy.
 * Sources: envoyproxy/envoy source/common/common/backoff_strategy.cc (JitteredExponentialBackOffStrategy);
 * istio/istio pilot/pkg/networking/core/route/retry/retry.go (defaultPolicy) and PR #52111
 * (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, first released in Istio 1.24).
 */
import { describe, expect, it } from 'vitest';
import { backoffIntervalMs, backoffUs, compileRetryPolicy, defaultRetryPolicy, isRetriable } from '../../src/policy/retry-policy.js';
import { loadProfile, withCompatibilityVersion } from '../../src/config/profile.js';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';

describe('retry back-off (backoff_strategy.cc JitteredExponentialBackOffStrategy::nextBackOffMs)', () => {
  it('draws from an interval that starts at the base and doubles while below max/2, then is max (10 × base)', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffIntervalMs(n, 25))).toEqual([25, 50, 100, 200, 250, 250]);
    expect([1, 2, 3].map((n) => backoffIntervalMs(n, 100))).toEqual([100, 200, 400]);
  });

  it('waits random() % interval whole milliseconds: [0, 25), [0, 50), [0, 100) ms, not the 2018 0-24/0-74/0-174 ms', () => {
    expect(backoffUs(1, () => 0.9999, 25_000)).toBe(24_000);
    expect(backoffUs(2, () => 0.9999, 25_000)).toBe(49_000);
    expect(backoffUs(3, () => 0.9999, 25_000)).toBe(99_000);
    expect(backoffUs(3, () => 0, 25_000)).toBe(0);
  });

  it('three retries add Envoy’s mean back-off (12 + 24.5 + 49.5 = 86 ms) to a request that fails every attempt', () => {
    const yaml = (attempts: number) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: backoff}
spec:
  duration: 200s
  mesh: {mode: sidecar}
  cluster: {nodes: 1}
  services:
    - name: api
      replicas: 1
      serviceTime: 1ms
      failure: {rate: 1, status: 503}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: api}
    spec:
      hosts: [api]
      http:
        - route: [{destination: {host: api}}]
          retries: ${attempts ? `{attempts: ${attempts}, retryOn: 5xx}` : '{attempts: 0}'}
  workload:
    - {name: users, target: api, rate: 10, arrival: constant}
`;
    const three = run(scenarioFromYaml(yaml(3)));
    const none = run(scenarioFromYaml(yaml(0)));
    expect(three.requests.by_flag.URX).toBe(three.requests.total);
    // Four attempts each cost what the single attempt costs; what is left is the back-off.
    const backoff = three.latency_ms.mean - 4 * none.latency_ms.mean;
    expect(backoff).toBeGreaterThan(82);
    expect(backoff).toBeLessThan(90);
  });
});

describe('default retry policy by Istio version (retry.go defaultPolicy, PR #52111)', () => {
  it('profiles carry the flag with its release: 1.24 excludes 503, 1.22 and 1.20 retry it, compatibilityVersion 1.23 restores it', () => {
    expect(loadProfile('istio').features.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).toBe(true);
    expect(loadProfile('istio-1.22').features.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).toBe(false);
    expect(loadProfile('istio-1.20').features.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).toBe(false);
    expect(withCompatibilityVersion(loadProfile('istio-1.24'), '1.23').features.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY).toBe(false);
    expect(withCompatibilityVersion(loadProfile('istio-1.24'), '1.23').compatibilityVersion).toBe('1.23');
  });

  it('a VirtualService retry without retryOn keeps the default status codes; with retryOn it replaces them', () => {
    const old = [503];
    expect(isRetriable(defaultRetryPolicy(false, old), { kind: 'status', status: 503 })).toBe(true);
    expect(isRetriable(defaultRetryPolicy(false, []), { kind: 'status', status: 503 })).toBe(false);
    const kept = compileRetryPolicy({ attempts: 3 }, false, old);
    expect(kept && isRetriable(kept, { kind: 'status', status: 503 })).toBe(true);
    const replaced = compileRetryPolicy({ attempts: 3, retryOn: 'connect-failure' }, false, old);
    expect(replaced && isRetriable(replaced, { kind: 'status', status: 503 })).toBe(false);
  });

  const scenario = (profile: string, compat = '') =>
    scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: default-503}
spec:
  duration: 30s
  mesh: {mode: sidecar, profile: ${profile}${compat ? `, compatibilityVersion: "${compat}"` : ''}}
  services:
    - {name: api, replicas: 3, serviceTime: 2ms}
  workload:
    - {name: users, target: api, rate: 100}
  faults:
    - {at: 0s, target: {service: api, pod: 0}, inject: {errorRate: 1, status: 503}}
`);

  it('istio-1.22 retries a 503 by default (on other hosts): users see almost none', () => {
    const r = run(scenario('istio-1.22'));
    expect(r.requests.by_code['503'] ?? 0).toBeLessThan(r.requests.total * 0.01);
    expect(r.services.api?.retries).toBeGreaterThan(r.requests.total * 0.25);
  });

  it('istio (1.24) does not: about a third of the requests get the 503', () => {
    const r = run(scenario('istio'));
    expect((r.requests.by_code['503'] ?? 0) / r.requests.total).toBeGreaterThan(0.25);
    expect(r.services.api?.retries).toBe(0);
  });

  it('istio with compatibilityVersion "1.23" retries it again', () => {
    const r = run(scenario('istio', '1.23'));
    expect(r.requests.by_code['503'] ?? 0).toBeLessThan(r.requests.total * 0.01);
  });
});
