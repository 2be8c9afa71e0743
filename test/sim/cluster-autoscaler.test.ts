/**
 * The cluster autoscaler during a run (kubernetes/autoscaler cluster-autoscaler/FAQ.md defaults):
 * a pod Pending by its requests makes it add a node at its next 10 s scan, Ready after the
 * provisioning delay, and the pod is scheduled there; a node below 50 % of its allocatable
 * requests for 10 minutes is drained and removed, never below `min`; node cost counts each node
 * for the time it existed.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/report/results.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';

const yaml = `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: ca}
spec:
  seed: 5
  duration: 1500s
  mesh: {mode: none}
  cluster:
    nodes: [{name: node-0, cpu: "2", memory: 8Gi}]
    autoscale: {min: 1, max: 6, provisioningDelay: 30s}
  services:
    - name: web
      replicas: 1
      concurrency: 8
      serviceTime: {distribution: exponential, mean: 5ms}
      resources: {requests: {cpu: 250m, memory: 256Mi}}
  workload:
    - {name: users, target: web, steps: [{at: 0s, rate: 300}, {at: 200s, rate: 20}]}
  istio: |
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      minReplicas: 1
      maxReplicas: 12
      metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
`;

describe('cluster autoscaler in a run', () => {
  const r = buildResults(simulate(scenarioFromYaml(yaml)));
  const events = r.events ?? [];
  const of = (type: string) => events.filter((e) => e.type === type);

  it('adds a node 10 s scan + provisioning delay after pods go Pending, and schedules them there', () => {
    const added = of('node_added');
    expect(added.length).toBeGreaterThan(0);
    for (const e of added) {
      expect((e.triggered_s as number) % 10).toBe(0);
      expect(e.t_s).toBeCloseTo((e.triggered_s as number) + 30, 6);
    }
    // Pods created on the new nodes' behalf became Ready only after their node joined.
    const firstAdd = added[0]!.t_s;
    const readyAfter = of('pod_ready').filter((e) => e.t_s >= firstAdd);
    expect(readyAfter.length).toBeGreaterThan(0);
    expect(r.cluster.autoscale?.nodes_max).toBe(1 + added.length);
  });

  it('removes a node unneeded for 10 minutes once the HPA has scaled down, never below min', () => {
    const drained = of('node_drain');
    const removed = of('node_removed');
    expect(removed.length).toBeGreaterThan(0);
    expect(drained.length).toBe(removed.length);
    const lastAdd = Math.max(...of('node_added').map((e) => e.t_s));
    const firstDown = of('hpa_scale').find((e) => (e.to as number) < (e.from as number))!;
    // Unneeded from around the HPA's scale-down; 10 minutes later (and 10 minutes after the last add).
    expect(drained[0]!.t_s).toBeGreaterThanOrEqual(firstDown.t_s + 600 - 10);
    expect(drained[0]!.t_s).toBeGreaterThanOrEqual(lastAdd + 600);
    expect(r.cluster.nodes).toBeGreaterThanOrEqual(1);
    expect(r.cluster.nodes).toBe(r.cluster.autoscale!.nodes_max - removed.length);
    expect(r.requests.failed).toBe(0);
  });

  it('costs each node for the time it existed, and samples nodes and CPU every 10 s', () => {
    const a = r.cluster.autoscale!;
    // node_hours: node-0 the whole run plus each added node from its add to its removal (or the end).
    const adds = of('node_added').map((e) => ({ node: e.node as string, from: e.t_s }));
    const removedAt = new Map(of('node_removed').map((e) => [e.node as string, e.t_s]));
    const seconds = 1500 + adds.reduce((t, x) => t + ((removedAt.get(x.node) ?? 1500) - x.from), 0);
    expect(a.node_hours).toBeCloseTo(seconds / 3600, 5);
    // e2 prices: 2 vCPU × $0.021811 + 8 GiB × $0.002923 per hour, × 730 h, × average node count.
    const perNodeMonth = (2 * 0.021811 + 8 * 0.002923) * 730;
    expect(r.cluster.node_monthly_cost_usd).toBeCloseTo((perNodeMonth * seconds) / 1500, 1);
    expect(a.timeline.length).toBe(150);
    expect(a.timeline.every((x) => x.cpu_cores === 2 * x.nodes)).toBe(true);
  });
});
