/**
 * HPAs driving the pod lifecycle: metrics-server-style CPU rates every 15 s, the controller every
 * 15 s, Deployments scaled through the pod-lifecycle API (new pods start and turn Ready before
 * they count), on a synthetic CPU ramp whose HPA trace is computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { hpaModel, hpaSpecSchema } from '../../src/config/istio/hpa-schema.js';
import { HpaRuntime, type PodUsage } from '../../src/k8s/hpa-runtime.js';
import { containerRequests, podRequests, type ModeRequests } from '../../src/k8s/placement.js';
import { meshMode } from '../../src/modes/registry.js';
import type { PodRt } from '../../src/world/entities.js';
import { harness, s } from './harness.js';

function rampRun(mode: 'sidecar' | 'ambient', demand: (tS: number) => number, untilS: number) {
  const h = harness({ mode, services: '    - {name: payment, replicas: 2, resources: {requests: {cpu: 200m}}}', nodes: 10 });
  const svc = h.svc();
  const cpu = new Map<PodRt, number>();
  // The service's CPU demand (cores) is shared by its Ready pods, integrated every 100 ms.
  for (let t = 0.1; t <= untilS; t += 0.1)
    h.at(t, () => {
      const ready = h.k8s.podsOf(svc).filter((p) => h.k8s.status(p)?.ready);
      for (const p of ready) cpu.set(p, (cpu.get(p) ?? 0) + (demand(t) / ready.length) * 0.1e6);
    });
  const usage: PodUsage = {
    cpuUsedUs: (p, c) => (c === undefined || c === 'app' ? (cpu.get(p) ?? 0) : 0),
    memoryBytes: () => undefined,
    requests: (p) => podRequests(meshMode(mode).requests as ModeRequests, p.service.model),
    containerRequests: (p) => containerRequests(meshMode(mode).requests as ModeRequests, p.service.model),
    served: () => 0,
  };
  const hpa = hpaModel(
    'payment',
    'default',
    hpaSpecSchema.parse({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'payment-v1' },
      minReplicas: 2,
      maxReplicas: 40,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    }),
  );
  const version = svc.model.versions[0];
  if (!version) throw new Error('no version');
  const rt = new HpaRuntime(
    h.sim,
    h.k8s,
    { add: (type, f) => h.events.push({ t: h.sim.now / 1e6, type, ...f }) },
    usage,
    [{ hpa, service: svc, version }],
    [svc],
  );
  rt.start(s(untilS));
  h.run(untilS);
  return { h, rt, scales: h.of('hpa_scale') };
}

describe('HPA runtime on the pod lifecycle', () => {
  // 0.3 cores rising to 3 cores over 300 s, then flat.
  const ramp = (t: number) => 0.3 + 2.7 * Math.min(1, t / 300);

  it('follows a CPU ramp to ceil(3 cores / (50 % of 300m)) = 20 replicas with the sidecar counted', () => {
    const { rt, scales, h } = rampRun('sidecar', ramp, 420);
    expect(rt.replicas.get('payment')?.initial).toBe(2);
    const final = rt.replicas.get('payment')?.final as number;
    expect(Math.abs(final - 20)).toBeLessThanOrEqual(1);
    // Scale-ups only, each from the previous size, at sync instants (multiples of 15 s).
    for (const [i, e] of scales.entries()) {
      expect(e.t % 15).toBe(0);
      if (i > 0) expect(e.from).toBe(scales[i - 1]?.to);
      expect(e.to as number).toBeGreaterThan(e.from as number);
      expect(String(e.reason)).toBe('cpu resource utilization (percentage of request) above target');
    }
    // New pods went through the lifecycle.
    expect(h.of('pod_created').length).toBeGreaterThanOrEqual(17);
  });

  it('needs more replicas without the sidecar request in the denominator (ambient: 200m per pod → 30)', () => {
    const { rt } = rampRun('ambient', ramp, 420);
    expect(Math.abs((rt.replicas.get('payment')?.final as number) - 30)).toBeLessThanOrEqual(1);
  });

  it('scales down only after the 300 s stabilization window once the load drops', () => {
    const step = (t: number) => (t < 120 ? 3 : 0.3);
    const { scales } = rampRun('sidecar', step, 600);
    const down = scales.filter((e) => (e.to as number) < (e.from as number));
    expect(down.length).toBeGreaterThan(0);
    const lastUp = Math.max(...scales.filter((e) => (e.to as number) > (e.from as number)).map((e) => e.t));
    // The last high recommendation came at or after the last scale-up; the first scale-down waits 300 s past the drop.
    expect(down[0]?.t as number).toBeGreaterThanOrEqual(120 + 300 - 15);
    expect(down[0]?.t as number).toBeGreaterThan(lastUp);
  });
});
