/**
 * The HPA controller against the algorithm Kubernetes documents
 * (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/) and implements
 * (k8s pkg/controller/podautoscaler/horizontal.go, replica_calculator.go).
 */
import { describe, expect, it } from 'vitest';
import { hpaModel, hpaSpecSchema, type HpaModel } from '../../src/config/istio/hpa-schema.js';
import { HpaController, type HpaPod, type MetricsSource } from '../../src/k8s/hpa.js';

const model = (spec: unknown): HpaModel => hpaModel('web', 'default', hpaSpecSchema.parse(spec));
const cpuHpa = (utilization: number, extra: Record<string, unknown> = {}) =>
  model({
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 100,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } }],
    ...extra,
  });

/** Ready pods started long ago, requesting `request` cores (app + sidecar). */
const pods = (n: number, request = 1, from = 0): HpaPod[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `web-${from + i}`,
    phase: 'Running' as const,
    deleting: false,
    ready: true,
    startS: -1000,
    readyTransitionS: -990,
    requests: { cpu: request, memory: 256 * 2 ** 20 },
  }));

/** CPU usage per pod (cores), sampled at `t` over a 15 s window. */
const cpu = (usage: Record<string, number>, t = 0): MetricsSource => ({
  resource: (pod, r) => (r === 'cpu' && usage[pod] !== undefined ? { value: usage[pod], timestampS: t, windowS: 15 } : undefined),
  containerResource: () => undefined,
  pods: () => undefined,
  object: () => undefined,
});
const uniform = (list: HpaPod[], cores: number, t = 0) => cpu(Object.fromEntries(list.map((p) => [p.name, cores])), t);

describe('HPA replica calculation (ceil(current × current/target))', () => {
  it('doubles the replicas when usage is twice the target (the documented 200m/100m example)', () => {
    const hpa = model({
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 50,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '100m' } } }],
    });
    const list = pods(3);
    const d = new HpaController(hpa).reconcile({ nowS: 0, specReplicas: 3, statusReplicas: 3, pods: list, metrics: uniform(list, 0.2) });
    expect(d.to).toBe(6);
    expect(d.reason).toBe('cpu resource above target');
  });

  it('halves them when usage is half the target, once the 300 s scale-down window has passed', () => {
    const c = new HpaController(cpuHpa(50));
    const list = pods(8);
    expect(c.reconcile({ nowS: 0, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.25) }).to).toBe(8);
    let to = 8;
    for (let t = 15; t < 300; t += 15)
      to = c.reconcile({ nowS: t, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.25) }).to;
    expect(to).toBe(8);
    // Recommendations count while strictly younger than the window (Time.After(cutoff)).
    const d = c.reconcile({ nowS: 300, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.25) });
    expect(d.to).toBe(4);
    expect(d.reason).toBe('All metrics below target');
  });

  it('does nothing within the 0.1 tolerance', () => {
    const list = pods(4);
    const c = new HpaController(cpuHpa(50));
    expect(c.reconcile({ nowS: 0, specReplicas: 4, statusReplicas: 4, pods: list, metrics: uniform(list, 0.54) }).to).toBe(4);
    expect(c.reconcile({ nowS: 15, specReplicas: 4, statusReplicas: 4, pods: list, metrics: uniform(list, 0.56) }).to).toBe(5);
  });

  it('counts every container of the pod, the sidecar included: 500m app + 100m proxy, 400m + 50m used = 75 %', () => {
    const list = pods(4, 0.6);
    const d = new HpaController(cpuHpa(50)).reconcile({
      nowS: 0,
      specReplicas: 4,
      statusReplicas: 4,
      pods: list,
      metrics: uniform(list, 0.45),
    });
    expect(d.metrics[0]?.current).toBe(75);
    expect(d.to).toBe(6);
    // Without the sidecar's request the same usage reads 90 % and asks for 8 pods.
    const bare = pods(4, 0.5);
    const d2 = new HpaController(cpuHpa(50)).reconcile({
      nowS: 0,
      specReplicas: 4,
      statusReplicas: 4,
      pods: bare,
      metrics: uniform(bare, 0.45),
    });
    expect(d2.metrics[0]?.current).toBe(90);
    expect(d2.to).toBe(8);
  });

  it('reports a missing request and does not scale when a container has no CPU request', () => {
    const list = pods(2).map((p) => ({ ...p, requests: { memory: 1 } }));
    const d = new HpaController(cpuHpa(50)).reconcile({
      nowS: 0,
      specReplicas: 2,
      statusReplicas: 2,
      pods: list,
      metrics: uniform(list, 1),
    });
    expect(d.to).toBe(2);
    expect(d.metrics[0]?.error).toBe('missing request for cpu');
  });
});

describe('HPA default behavior', () => {
  it('scales 4 pods at 100 % of a 50 % target to 8 in one step (100 % and 4-pod policies, Max)', () => {
    const list = pods(4);
    const d = new HpaController(cpuHpa(50)).reconcile({
      nowS: 0,
      specReplicas: 4,
      statusReplicas: 4,
      pods: list,
      metrics: uniform(list, 1),
    });
    expect(d.to).toBe(8);
  });

  it('adds at most max(4 pods, 100 %) per 15 s on the way up', () => {
    const c = new HpaController(cpuHpa(10));
    let n = 1;
    const seen: number[] = [];
    for (let t = 0; t <= 45; t += 15) {
      const list = pods(n);
      n = c.reconcile({ nowS: t, specReplicas: n, statusReplicas: n, pods: list, metrics: uniform(list, 1) }).to;
      seen.push(n);
    }
    // 1 → 5 (1+4 beats 2), 5 → 10 (100 % beats +4), 10 → 20, 20 → 40.
    expect(seen).toEqual([5, 10, 20, 40]);
  });

  it('caps at maxReplicas and says so', () => {
    const list = pods(4);
    const hpa = cpuHpa(10, { maxReplicas: 6 });
    const d = new HpaController(hpa).reconcile({ nowS: 0, specReplicas: 4, statusReplicas: 4, pods: list, metrics: uniform(list, 1) });
    expect(d.to).toBe(6);
    expect(d.limited).toBe('TooManyReplicas');
  });

  it('keeps the highest recommendation of the last 300 s when load drops (scale-down stabilization)', () => {
    const c = new HpaController(cpuHpa(50));
    const list = pods(8);
    c.reconcile({ nowS: 0, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.5) });
    // Load drops to 10 %: the recommendation is ceil(8 × 0.2) = 2, but 8 was recommended within 300 s.
    expect(c.reconcile({ nowS: 15, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.1) }).to).toBe(8);
    expect(c.reconcile({ nowS: 285, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.1) }).to).toBe(8);
    expect(c.reconcile({ nowS: 300, specReplicas: 8, statusReplicas: 8, pods: list, metrics: uniform(list, 0.1) }).to).toBe(2);
  });
});

describe('HPA behavior policies', () => {
  it('picks the policy allowing the biggest change by default, the smallest with selectPolicy Min', () => {
    // The documented example: Percent 10 % and Pods 4 per 60 s; with 80 replicas 10 % (8 pods) wins.
    const policies = [
      { type: 'Pods', value: 4, periodSeconds: 60 },
      { type: 'Percent', value: 10, periodSeconds: 60 },
    ];
    const list = pods(80);
    const run = (selectPolicy?: string) =>
      new HpaController(
        cpuHpa(50, { behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies, ...(selectPolicy ? { selectPolicy } : {}) } } }),
      ).reconcile({
        nowS: 0,
        specReplicas: 80,
        statusReplicas: 80,
        pods: list,
        metrics: uniform(list, 0.05),
      }).to;
    expect(run()).toBe(72);
    expect(run('Min')).toBe(76);
    expect(run('Disabled')).toBe(80);
  });

  it('counts changes made within the policy period against its budget', () => {
    const hpa = cpuHpa(10, { behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } });
    const c = new HpaController(hpa);
    let n = 2;
    const seen: number[] = [];
    for (let t = 0; t <= 75; t += 15) {
      const list = pods(n);
      n = c.reconcile({ nowS: t, specReplicas: n, statusReplicas: n, pods: list, metrics: uniform(list, 1) }).to;
      seen.push(n);
    }
    // +2 at t=0, then nothing until the t=0 event leaves the 60 s period (events count while younger than it).
    expect(seen).toEqual([4, 4, 4, 4, 6, 6]);
  });
});

describe('HPA not-ready pods and CPU initialization', () => {
  it('counts not-yet-ready pods as 0 % on a scale-up, dampening it', () => {
    const ready = pods(2);
    const starting: HpaPod[] = pods(2, 1, 2).map((p) => ({ ...p, ready: false, startS: -10, readyTransitionS: -10 }));
    const list = [...ready, ...starting];
    const d = new HpaController(cpuHpa(50)).reconcile({
      nowS: 0,
      specReplicas: 4,
      statusReplicas: 4,
      pods: list,
      metrics: uniform(list, 1),
    });
    // Ready pods at 200 % of target; with the two starting pods at 0 the ratio is 1.0: no change.
    expect(d.to).toBe(4);
  });

  it('sets aside a sample taken before one metric window after the pod became ready', () => {
    const fresh: HpaPod[] = [{ ...pods(1)[0]!, name: 'web-new', startS: 0, readyTransitionS: 10 }];
    const list = [...pods(1), ...fresh];
    // Sample at t=20 < 10 + 15: web-new is ignored; web-0 alone at 100 % of a 50 % target → 2 ready… rebalanced to 1.0.
    const d = new HpaController(cpuHpa(50)).reconcile({
      nowS: 20,
      specReplicas: 2,
      statusReplicas: 2,
      pods: list,
      metrics: uniform(list, 1, 20),
    });
    expect(d.to).toBe(2);
    // At t=30 the sample is recent enough: both count, 200 % → 4.
    const d2 = new HpaController(cpuHpa(50)).reconcile({
      nowS: 30,
      specReplicas: 2,
      statusReplicas: 2,
      pods: list,
      metrics: uniform(list, 1, 30),
    });
    expect(d2.to).toBe(4);
  });

  it('treats pods without metrics as using 100 % of their request on a scale-down', () => {
    const list = pods(4);
    const metrics = cpu({ 'web-0': 0.1, 'web-1': 0.1 });
    const c = new HpaController(cpuHpa(50, { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }));
    // Measured pods at 20 % (ratio 0.4); missing ones count as 100 %: (0.2 + 2) / 4 = 55 % → ratio 1.1, within tolerance.
    expect(c.reconcile({ nowS: 0, specReplicas: 4, statusReplicas: 4, pods: list, metrics }).to).toBe(4);
  });
});

describe('HPA custom metrics', () => {
  const rps = (per: number): MetricsSource => ({
    resource: () => undefined,
    containerResource: () => undefined,
    pods: () => per,
    object: (_k, _n, _m) => per * 4,
  });
  it('scales on a Pods metric (requests per second per pod, AverageValue)', () => {
    const hpa = model({
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 20,
      metrics: [{ type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '100' } } }],
    });
    const list = pods(4);
    expect(new HpaController(hpa).reconcile({ nowS: 0, specReplicas: 4, statusReplicas: 4, pods: list, metrics: rps(150) }).to).toBe(6);
  });
  it('scales on an Object metric of a Service (Value and AverageValue targets)', () => {
    const object = (target: Record<string, unknown>) =>
      model({
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 20,
        metrics: [
          {
            type: 'Object',
            object: { describedObject: { kind: 'Service', name: 'web' }, metric: { name: 'requests_per_second' }, target },
          },
        ],
      });
    const list = pods(4);
    // 1000 rps against a Value target of 500: ratio 2 × 4 ready pods = 8 (the +4 per 15 s limit allows it).
    expect(
      new HpaController(object({ type: 'Value', value: 500 })).reconcile({
        nowS: 0,
        specReplicas: 4,
        statusReplicas: 4,
        pods: list,
        metrics: rps(250),
      }).to,
    ).toBe(8);
    // 600 rps, AverageValue 100 per pod: ceil(600 / 100) = 6.
    expect(
      new HpaController(object({ type: 'AverageValue', averageValue: 100 })).reconcile({
        nowS: 0,
        specReplicas: 4,
        statusReplicas: 4,
        pods: list,
        metrics: rps(150),
      }).to,
    ).toBe(6);
  });
});

describe('HPA schema', () => {
  it('fills in the autoscaling/v2 defaults', () => {
    const m = model({ scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5 });
    expect(m.minReplicas).toBe(1);
    expect(m.metrics).toEqual([{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } }]);
    expect(m.behavior.scaleUp).toMatchObject({ stabilizationWindowSeconds: 0, selectPolicy: 'Max' });
    expect(m.behavior.scaleDown).toMatchObject({
      stabilizationWindowSeconds: 300,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  });
  it('rejects minReplicas > maxReplicas', () => {
    const r = hpaSpecSchema.safeParse({ scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 5, maxReplicas: 2 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['minReplicas']);
  });
});
