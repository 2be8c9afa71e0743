/**
 * HPAs in a whole run (`simulate()`): the replica timeline of a traffic ramp against a trace of the
 * HorizontalPodAutoscaler computed by hand, step by step, from the documented algorithm:
 * - sync every 15 s; a pod's CPU is a metrics-server rate over the 15 s between two scrapes, so a
 *   pod created at a sync has no sample at the next one ("missing");
 * - utilization = Σ usage / Σ requests of ALL the pod's containers (the sidecar's 100m included),
 *   in integer percent; desired = ceil(ratio × counted pods); nothing within the 0.1 tolerance;
 * - within the 5 min CPU initialization period a pod whose sample predates Ready + one window is
 *   set aside; set-aside and missing pods count 0 % on a scale-up (100 % for missing on a
 *   scale-down), and a recomputation that flips direction or lands in tolerance changes nothing;
 * - scale-up at most max(+100 %, +4 pods) per 15 s; scale-down the highest recommendation of the
 *   last 300 s; clamped to [minReplicas, maxReplicas].
 * Sources: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go (GetResourceReplicas,
 * groupPods), horizontal.go (normalizeDesiredReplicasWithBehaviors); https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/.
 * The trace knows only the arrival rate, the CPU per request and the pod requests, not the run.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/analysis/load.js';
import { simulate } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/report/results.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';
import type { Scenario } from '../../src/config/model.js';

interface HandPod {
  createdS: number;
  /** When its endpoint starts taking traffic (Ready + endpoint push). */
  servingS: number;
  readyS: number;
}

interface HandOptions {
  rate: (tS: number) => number;
  /** CPU seconds one request costs a pod (app + its sidecar). */
  cpuPerRequest: number;
  /** Cores a pod requests, every container summed. */
  podRequest: number;
  targetPct: number;
  min: number;
  max: number;
  initial: number;
  /** Container start → Ready (the sidecar's startup probe in sidecar mode). */
  readyDelayS: number;
  untilS: number;
}

const SYNC = 15;

/** The HPA trace by hand: replicas after each sync. */
function handTrace(o: HandOptions): { tS: number; replicas: number }[] {
  let pods: HandPod[] = Array.from({ length: o.initial }, () => ({ createdS: -1, readyS: 0, servingS: 0 }));
  const recs: { tS: number; value: number }[] = [{ tS: 0, value: o.initial }];
  const out: { tS: number; replicas: number }[] = [];
  const usage = (pod: HandPod, t: number): number => {
    // Its CPU over [t − 15, t]: the service's CPU shared by the pods serving at each instant.
    let cpu = 0;
    for (let s = t - SYNC + 0.05; s < t; s += 0.1) {
      const serving = pods.filter((p) => p.servingS <= s).length;
      if (pod.servingS <= s && serving > 0) cpu += (o.rate(s) * o.cpuPerRequest * 0.1) / serving;
    }
    return cpu / SYNC;
  };
  for (let t = 0; t <= o.untilS; t += SYNC) {
    const current = pods.length;
    if (t === 0) {
      out.push({ tS: t, replicas: current });
      continue;
    }
    const counted: HandPod[] = [];
    const ignored: HandPod[] = [];
    const missing: HandPod[] = [];
    for (const p of pods) {
      if (p.createdS >= t - SYNC) missing.push(p);
      else if (Math.max(0, p.createdS) + 300 > t && (p.readyS > t || t < p.readyS + SYNC)) ignored.push(p);
      else counted.push(p);
    }
    const u = new Map(counted.map((p) => [p, usage(p, t)]));
    const pct = (set: Map<HandPod, number>) => Math.trunc((100 * [...set.values()].reduce((a, b) => a + b, 0)) / (set.size * o.podRequest));
    const ratio = pct(u) / o.targetPct;
    const within = (r: number) => Math.abs(1 - r) <= 0.1;
    let proposal: number;
    if (ignored.length + missing.length === 0 || (ratio <= 1 && missing.length === 0)) {
      proposal = within(ratio) ? current : Math.ceil(ratio * counted.length);
    } else {
      for (const p of missing) u.set(p, ratio < 1 ? o.podRequest : 0);
      if (ratio > 1) for (const p of ignored) u.set(p, 0);
      const r2 = pct(u) / o.targetPct;
      proposal = Math.ceil(r2 * u.size);
      if (within(r2) || (ratio < 1 && r2 > 1) || (ratio > 1 && r2 < 1)) proposal = current;
      if ((r2 < 1 && proposal > current) || (r2 > 1 && proposal < current)) proposal = current;
    }
    // Stabilization: scale-up window 0 s, scale-down window 300 s (the highest recent recommendation).
    const down = Math.max(proposal, ...recs.filter((r) => r.tS > t - 300).map((r) => r.value));
    recs.push({ tS: t, value: proposal });
    let desired = Math.min(Math.max(current, proposal), down);
    // Rate: +max(100 %, 4 pods) per 15 s up; −100 % per 15 s down; then [min, max].
    desired = Math.min(desired, Math.max(2 * current, current + 4), o.max);
    desired = Math.max(desired, o.min);
    if (desired > current)
      for (let i = current; i < desired; i++) pods.push({ createdS: t, readyS: t + o.readyDelayS, servingS: t + o.readyDelayS + 0.1 });
    // The ReplicaSet deletes the newest pods first (all Ready: "more recently Ready first").
    if (desired < current) pods = pods.slice(0, desired);
    out.push({ tS: t, replicas: desired });
  }
  return out;
}

/**
 * The run's replicas at every sync are within ±1 of the hand trace at that sync or one sync (15 s)
 * either side: a utilization a point from the 10 % tolerance edge tips either way on the run's
 * random service times, shifting a step by one sync.
 */
function expectFollows(run: { t_s: number; replicas: number }[], hand: { tS: number; replicas: number }[]): void {
  expect(run.map((x) => x.t_s)).toEqual(hand.map((x) => x.tS));
  for (const [i, h] of hand.entries()) {
    const near = [hand[i - 1], h, hand[i + 1]].filter((x) => x !== undefined).map((x) => Math.abs(run[i]!.replicas - x.replicas));
    expect(Math.min(...near), `t=${h.tS}s: run ${run[i]!.replicas}, hand ${h.replicas}`).toBeLessThanOrEqual(1);
  }
}

function runTimeline(scenario: Scenario, mode: 'sidecar' | 'ambient', untilS: number) {
  const r = buildResults(simulate(scenario, { mode, durationUs: untilS * 1e6 }));
  const tl = r.services.web?.replicas.timeline ?? [];
  return { r, tl };
}

/** Istio's sidecar CPU per request it proxies: request leg + response leg + telemetry (profiles/istio-1.24.json). */
const sidecarCpuS = (s: Scenario) =>
  (s.costProfile.sidecar.requestLegCpuUs + s.costProfile.sidecar.responseLegCpuUs + s.costProfile.sidecar.telemetryCpuUs) / 1e6;

describe('HorizontalPodAutoscaler in a run, against a hand-computed trace', () => {
  // The shipped ramp on one big node without the cluster autoscaler, so no pod waits for a node
  // (the hand trace assumes every new pod starts at once).
  const shipped = loadScenario('scenarios/hpa-ramp.yaml').scenario;
  const scenario: Scenario = { ...shipped, autoscale: undefined, nodes: [{ ...shipped.nodes[0]!, cpu: 32, memoryBytes: 128 * 1024 ** 3 }] };
  // users ramp 50 → 600 req/s over 300 s; web: 5 ms of CPU per request, requests 250m; HPA 60 %, 2–24.
  const rate = (t: number) => 50 + 550 * Math.min(1, t / 300);
  const untilS = 420;

  for (const mode of ['sidecar', 'ambient'] as const) {
    it(`${mode}: the ramp's replica timeline and final replicas are within ±1 of the hand trace at every sync`, () => {
      const sidecar = mode === 'sidecar';
      const hand = handTrace({
        rate,
        cpuPerRequest: 0.005 + (sidecar ? sidecarCpuS(scenario) : 0),
        podRequest: sidecar ? 0.35 : 0.25,
        targetPct: 60,
        min: 2,
        max: 24,
        initial: 2,
        readyDelayS: sidecar ? 1 : 0,
        untilS,
      });
      const { r, tl } = runTimeline(scenario, mode, untilS);
      expectFollows(tl, hand);
      const final = hand[hand.length - 1]!.replicas;
      expect(Math.abs(r.services.web!.replicas.final - final)).toBeLessThanOrEqual(1);
      // Sidecar: 600 × 5.2 ms = 3.12 cores / (60 % of 350m) → 15; ambient: 3 cores / (60 % of 250m) → 20.
      expect(final).toBe(sidecar ? 15 : 20);
      // Every scale is an hpa_scale event with from/to/reason, and new pods went through the lifecycle.
      const scales = (r.events ?? []).filter((e) => e.type === 'hpa_scale');
      expect(scales.length).toBeGreaterThan(3);
      for (const e of scales) expect(e.reason).toBe('cpu resource utilization (percentage of request) above target');
      expect((r.events ?? []).filter((e) => e.type === 'pod_created').length).toBe(r.services.web!.replicas.final - 2);
      expect(r.requests.failed).toBe(0);
    });
  }

  // Sidecar mode: Envoy balances every request (LEAST_REQUEST), so new pods take their share at once;
  // ztunnel (ambient, no waypoint) pins each connection to one pod and new pods only get new connections.
  it('scales down only after the 300 s stabilization window once the load drops, within ±1 of the hand trace', () => {
    const s = scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: hpa-drop}
spec:
  seed: 3
  duration: 540s
  mesh: {mode: sidecar}
  cluster: {nodes: [{name: node-0, cpu: "16", memory: 64Gi}], placement: requests}
  services:
    - name: web
      replicas: 4
      concurrency: 8
      serviceTime: {distribution: exponential, mean: 5ms}
      resources: {requests: {cpu: 250m, memory: 256Mi}}
  workload:
    - {name: users, target: web, steps: [{at: 0s, rate: 400}, {at: 120s, rate: 60}]}
  istio: |
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      minReplicas: 2
      maxReplicas: 24
      metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
`);
    const hand = handTrace({
      rate: (t) => (t < 120 ? 400 : 60),
      cpuPerRequest: 0.005 + sidecarCpuS(s),
      podRequest: 0.35,
      targetPct: 60,
      min: 2,
      max: 24,
      initial: 4,
      readyDelayS: 1,
      untilS: 540,
    });
    const { r, tl } = runTimeline(s, 'sidecar', 540);
    expectFollows(tl, hand);
    const events = (r.events ?? []).filter((e) => e.type === 'hpa_scale');
    const firstDown = events.find((e) => (e.to as number) < (e.from as number));
    // The last high recommendation is at t=120 s (its window still saw 400 req/s): no scale-down before 120 + 300 s.
    expect(firstDown?.t_s).toBeGreaterThanOrEqual(420);
    expect(firstDown?.reason).toBe('All metrics below target');
    expect(Math.abs(r.services.web!.replicas.final - hand[hand.length - 1]!.replicas)).toBeLessThanOrEqual(1);
    expect(r.services.web!.replicas.final).toBe(2);
  });
});
