/**
 * DestinationRule `loadBalancer.warmup` (Envoy slow start) and `portLevelSettings`.
 * Slow start: Envoy source/common/upstream/load_balancer_impl.cc EdfLoadBalancerBase::applySlowStartFactor
 * and docs/root/intro/arch_overview/upstream/load_balancing/slow_start.rst: weight × max(MinWeightPercent,
 * TimeFactor^(1/Aggression)), TimeFactor = max(age, 1)/window, ROUND_ROBIN and LEAST_REQUEST only;
 * Istio warmup {duration, minimumPercent: 10, aggression: 1.0}. Port-level settings replace the four
 * policy blocks for their port (istio/istio pilot/pkg/networking/util/util.go MergeTrafficPolicy).
 */
import { describe, expect, it } from 'vitest';
import { EdfPicker, slowStartFactor, slowStartOf } from '../../src/policy/slow-start.js';
import { MeshPolicy } from '../../src/policy/mesh-policy.js';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';

describe('slow start factor (applySlowStartFactor)', () => {
  const c = slowStartOf({ simple: 'ROUND_ROBIN', warmup: { duration: 60e6 } })!;
  it('Istio’s defaults: minimumPercent 10, aggression 1.0', () => expect(c).toEqual({ windowUs: 60e6, minWeight: 0.1, aggression: 1 }));
  it('grows linearly with age over the window, never below the minimum, 1 after it', () => {
    expect(slowStartFactor(30e6, c)).toBeCloseTo(0.5, 12);
    expect(slowStartFactor(1e6, c)).toBe(0.1); // 1/60 < 10%
    expect(slowStartFactor(60e6, c)).toBe(1);
  });
  it('aggression bends the ramp: time^(1/aggression)', () => {
    expect(slowStartFactor(15e6, { ...c, aggression: 2 })).toBeCloseTo(0.5, 12);
    expect(slowStartFactor(30e6, { ...c, aggression: 0.5 })).toBeCloseTo(0.25, 12);
  });
  it('only ROUND_ROBIN and LEAST_REQUEST (the default) slow-start; the older warmupDurationSecs works too', () => {
    expect(slowStartOf({ simple: 'RANDOM', warmup: { duration: 1e6 } })).toBeUndefined();
    expect(slowStartOf({ warmupDurationSecs: 5e6 })).toEqual({ windowUs: 5e6, minWeight: 0.1, aggression: 1 });
  });
  it('the EDF scheduler picks hosts in proportion to their weights', () => {
    const a = { n: 'a' };
    const b = { n: 'b' };
    const edf = new EdfPicker<{ n: string }>();
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 1100; i++) counts[edf.pick([a, b], (h) => (h === a ? 1 : 0.1)).n as 'a' | 'b']++;
    expect(counts.a).toBe(1000);
    expect(counts.b).toBe(100);
  });
});

const scaleUp = (warmup: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: warmup}
spec:
  duration: 40s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
    - {name: api, replicas: 2, serviceTime: 1ms}
  workload:
    - {name: users, target: api, rate: 200, arrival: constant}
  faults:
    - {at: 10s, target: {service: api}, inject: {scale: {replicas: 3}}}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      trafficPolicy:
        loadBalancer: {simple: ROUND_ROBIN${warmup}}
`;

describe('warmup in a run: a pod added by a scale-up ramps up instead of taking its full share at once', () => {
  it('the new pod serves far fewer requests during its 30 s window than without warmup', () => {
    const plain = run(scenarioFromYaml(scaleUp('')));
    const warm = run(scenarioFromYaml(scaleUp(', warmup: {duration: 30s}')));
    const newPod = (r: ReturnType<typeof run>) => r.services.api!.pods['api-v1-2']!.requests;
    // Without warmup it gets a third of ~29 s of traffic; with a linear 30 s ramp from 10% about half that.
    expect(newPod(plain)).toBeGreaterThan(1800);
    expect(newPod(warm)).toBeLessThan(newPod(plain) * 0.65);
    expect(newPod(warm)).toBeGreaterThan(newPod(plain) * 0.35);
    expect(warm.requests.failed).toBe(0);
  });
});

describe('portLevelSettings (MergeTrafficPolicy)', () => {
  const policyOf = (tp: string) => {
    const s = scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: ports}
spec:
  duration: 1s
  services: [{name: api, port: 8080}]
  workload: [{name: users, target: api, rate: 1}]
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      trafficPolicy:
${tp}
      subsets:
        - name: v1
          labels: {version: v1}
          trafficPolicy:
            portLevelSettings:
              - port: {number: 8080}
                loadBalancer: {simple: RANDOM}
`);
    return new MeshPolicy(s.istio, s.services);
  };
  const tp = `        connectionPool: {http: {http1MaxPendingRequests: 7}}
        loadBalancer: {simple: ROUND_ROBIN}
        portLevelSettings:
          - port: {number: 8080}
            outlierDetection: {consecutive5xxErrors: 2}
          - port: {number: 9090}
            loadBalancer: {simple: LEAST_REQUEST}`;

  it('the entry for the service’s port replaces connectionPool, outlierDetection, loadBalancer and tls wholesale', () => {
    const p = policyOf(tp);
    const api = p.services[0]!;
    const got = p.trafficPolicy(api, undefined, 'default');
    expect(got.outlierDetection?.consecutive5xxErrors).toBe(2);
    expect(got.connectionPool).toBeUndefined(); // not inherited: Envoy's defaults
    expect(got.loadBalancer).toBeUndefined();
  });

  it('a subset’s own port-level settings apply last', () => {
    const p = policyOf(tp);
    const got = p.trafficPolicy(p.services[0]!, 'v1', 'default');
    expect(got.loadBalancer?.simple).toBe('RANDOM');
    expect(got.outlierDetection).toBeUndefined();
  });
});
