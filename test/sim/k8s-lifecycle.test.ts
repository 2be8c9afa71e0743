/**
 * The Kubernetes lifecycle inside whole runs: what a crash does to traffic once the kubelet, the
 * EndpointSlice and istiod's push take the pod out (pod-lifecycle.md; istio
 * pilot/pkg/xds/discovery.go debounce; envoy cluster_manager_impl.cc drainConnPools), and the
 * lifecycle fields read from scenario services and Deployment YAML.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/report/results.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';

const crashScenario = (mode: string, extra = '') => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: crash}
spec:
  seed: 3
  duration: 40s
  mesh: {mode: ${mode}}
  services:
    - {name: web, replicas: 2, serviceTime: 1ms, calls: [{service: api}]}
    - {name: api, replicas: 3, serviceTime: {distribution: exponential, mean: 5ms}${extra}}
  workload: [{name: users, target: web, rate: 200}]
  faults:
    - {at: 10s, until: 20s, target: {service: api, pod: 0}, inject: {crash: true}}
`;

describe('a crash heals (sidecar mode, Istio default retry policy)', () => {
  const state = simulate(scenarioFromYaml(crashScenario('sidecar')));
  const r = buildResults(state);
  const events = state.timeline.events;
  const removed = events.find((e) => e.type === 'endpoint_removed');
  const added = events.find((e) => e.type === 'endpoint_added');

  it('takes the pod out of every endpoint list within a relist (1 s) and a debounce (100 ms)', () => {
    expect(removed).toMatchObject({ t_s: 11.1, pod: 'api-v1-0', slice_s: 11 });
    // Restarts at 11 (dies), 21 (healthy: the fault ended at 20 s).
    expect(events.filter((e) => e.type === 'container_restart').map((e) => e.t_s)).toEqual([11, 21]);
    expect(added).toMatchObject({ t_s: 21.1, pod: 'api-v1-0' });
  });

  it('retries stay in the tens (only until the endpoint is gone), and no request fails', () => {
    expect(r.services.api?.retries).toBeGreaterThan(5);
    expect(r.services.api?.retries).toBeLessThan(100);
    expect(r.requests.failed).toBe(0);
  });

  it('sends the crashed pod nothing between its removal and its return', () => {
    const served: number[] = [];
    simulate(scenarioFromYaml(crashScenario('sidecar')), {
      observers: [{ onCall: () => {}, onServed: (x) => x.pod.name === 'api-v1-0' && x.status === 200 && served.push(x.endUs / 1e6) }],
    });
    expect(served.some((t) => t < 10)).toBe(true);
    expect(served.some((t) => t > 21.1)).toBe(true);
    expect(served.filter((t) => t > 10 && t < 21.1)).toEqual([]);
  });

  it('results.json lists the lifecycle events', () => {
    expect(r.events?.map((e) => e.type)).toEqual([
      'pod_crash',
      'pod_not_ready',
      'container_restart',
      'endpoint_removed',
      'container_restart',
      'pod_ready',
      'endpoint_added',
    ]);
  });
});

describe('a crash in mode none', () => {
  it('leaves kube-proxy routing to the pod until its rules sync; connections to it fail meanwhile', () => {
    const state = simulate(scenarioFromYaml(crashScenario('none')));
    expect(state.timeline.events.find((e) => e.type === 'endpoint_removed')).toMatchObject({ t_s: 11, pod: 'api-v1-0' });
    // Apps keep their keep-alive connections to the healthy pods; only new connections can fail.
    expect(buildResults(state).requests.failed).toBeLessThan(200);
  });
});

describe('lifecycle fields', () => {
  it('reads probes, terminationGracePeriodSeconds, preStop and strategy from a services entry', () => {
    const s = scenarioFromYaml(
      crashScenario(
        'sidecar',
        ', readinessProbe: {periodSeconds: 2, failureThreshold: 5}, terminationGracePeriodSeconds: 60, lifecycle: {preStop: {sleep: {seconds: 5}}}, strategy: {rollingUpdate: {maxSurge: 2, maxUnavailable: "50%"}}',
      ),
    );
    const api = s.services.find((x) => x.name === 'api');
    expect(api?.lifecycle).toMatchObject({
      readinessProbe: { periodUs: 2e6, failureThreshold: 5, timeoutUs: 1e6, successThreshold: 1, initialDelayUs: 0 },
      terminationGraceUs: 60e6,
      preStopUs: 5e6,
      strategy: { maxSurge: { kind: 'int', value: 2 }, maxUnavailable: { kind: 'percent', value: 50 } },
    });
  });

  it('reads them from Deployment YAML (app container, not istio-proxy)', () => {
    const s = scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: manifests}
spec:
  duration: 10s
  istio: |
    apiVersion: v1
    kind: Service
    metadata: {name: api}
    spec: {selector: {app: api}, ports: [{port: 8080}]}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api-v1}
    spec:
      replicas: 4
      strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
      minReadySeconds: 3
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api, version: v1}}
        spec:
          terminationGracePeriodSeconds: 45
          containers:
          - name: api
            image: api:1
            readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5}
            livenessProbe: {tcpSocket: {port: 8080}, failureThreshold: 6}
            lifecycle: {preStop: {exec: {command: ["/bin/sh", "-c", "sleep 10"]}}}
  workload: [{name: users, target: api, rate: 1}]
`);
    expect(s.services[0]?.lifecycle).toMatchObject({
      readinessProbe: { periodUs: 5e6, failureThreshold: 3 },
      livenessProbe: { failureThreshold: 6, periodUs: 10e6 },
      terminationGraceUs: 45e6,
      preStopUs: 10e6,
      strategy: { maxSurge: { kind: 'int', value: 0 }, maxUnavailable: { kind: 'int', value: 1 }, minReadyUs: 3e6 },
    });
  });
});
