/**
 * The lifecycle's building blocks, each against its Kubernetes or Istio source.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/kernel/simulator.js';
import { CrashLoopBackOff } from '../../src/k8s/backoff.js';
import { failureDetectionUs, ProbeState } from '../../src/k8s/probe.js';
import { MinIntervalSync, PushDebouncer } from '../../src/k8s/push-debounce.js';
import { newRsTarget, oldRsScaleDown, resolveFenceposts } from '../../src/k8s/rolling.js';
import { nodeNotReadyAtUs } from '../../src/k8s/node-lifecycle.js';
import { PROBE_DEFAULTS } from '../../src/k8s/defaults.js';
import { s } from './harness.js';

const pct = (value: number) => ({ kind: 'percent' as const, value });
const int = (value: number) => ({ kind: 'int' as const, value });

describe('CrashLoopBackOff (kuberuntime_manager.go doBackOff, flowcontrol/backoff.go)', () => {
  it('restarts at once after the first exit, then waits 10, 20, 40, 80, 160 s, capped at 300 s', () => {
    const b = new CrashLoopBackOff();
    const delays: number[] = [];
    let t = 0;
    for (let i = 0; i < 9; i++) {
      const d = b.onExit(t);
      delays.push(d / 1e6);
      t += d; // the restarted container dies at once
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('forgets the back-off once the container ran for more than 10 minutes', () => {
    const b = new CrashLoopBackOff();
    b.onExit(0);
    expect(b.onExit(s(5))).toBe(s(10));
    expect(b.onExit(s(5 + 601))).toBe(0);
    expect(b.onExit(s(5 + 602))).toBe(s(10));
  });
});

describe('probes (prober/worker.go; configure-liveness-readiness-startup-probes.md)', () => {
  it('defaults are 0 s delay, 10 s period, 1 s timeout, success 1, failure 3', () => {
    expect(PROBE_DEFAULTS).toEqual({ initialDelayUs: 0, periodUs: 10e6, timeoutUs: 1e6, successThreshold: 1, failureThreshold: 3 });
  });

  it('a readiness probe starts failed and passes after successThreshold successes', () => {
    const p = new ProbeState('readiness', { ...PROBE_DEFAULTS, successThreshold: 2 });
    expect(p.ok).toBe(false);
    expect(p.observe(true)).toBe(false);
    expect(p.observe(true)).toBe(true);
    expect(p.ok).toBe(true);
  });

  it('turns failed only after failureThreshold consecutive failures; a success in between starts over', () => {
    const p = new ProbeState('readiness');
    p.observe(true);
    expect([p.observe(false), p.observe(false), p.observe(true), p.observe(false), p.observe(false)]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(p.observe(false)).toBe(true);
    expect(p.ok).toBe(false);
  });

  it('a liveness probe starts passed', () => {
    expect(new ProbeState('liveness').ok).toBe(true);
  });

  it('with defaults, failing readiness is detected 21 s after the first failing probe (2 periods + timeout)', () => {
    expect(failureDetectionUs(PROBE_DEFAULTS)).toBe(s(21));
  });
});

describe("istiod's push debounce (pilot/pkg/xds/discovery.go; features/tuning.go)", () => {
  it('pushes 100 ms after the last change', () => {
    const sim = new Simulator();
    const pushes: [number, number[]][] = [];
    const d = new PushDebouncer<number>(sim, (c) => pushes.push([sim.now, c]));
    sim.at(s(1), () => d.enqueue(1), undefined);
    sim.at(s(1.05), () => d.enqueue(2), undefined);
    sim.run();
    expect(pushes).toEqual([[s(1.15), [1, 2]]]);
  });

  it('pushes after PILOT_DEBOUNCE_MAX (10 s) even if changes never stop', () => {
    const sim = new Simulator();
    const pushes: number[] = [];
    const d = new PushDebouncer<number>(sim, () => pushes.push(sim.now));
    for (let t = 0; t < 12; t += 0.05) sim.at(s(t), () => d.enqueue(0), undefined);
    sim.run(s(12));
    expect(pushes[0]).toBe(s(10));
  });

  it('holds changes while istiod is down and pushes them when it is back', () => {
    const sim = new Simulator();
    const pushes: [number, number[]][] = [];
    const d = new PushDebouncer<number>(sim, (c) => pushes.push([sim.now, c]));
    sim.at(s(1), () => d.pause(), undefined);
    sim.at(s(2), () => d.enqueue(7), undefined);
    sim.at(s(30), () => d.resume(), undefined);
    sim.run();
    expect(pushes).toEqual([[s(30.1), [7]]]);
  });
});

describe("kube-proxy's rule sync (minSyncPeriod 1 s, kubernetes#92836)", () => {
  it('syncs at once, then at most once per second', () => {
    const sim = new Simulator();
    const syncs: number[] = [];
    const k = new MinIntervalSync<number>(sim, () => syncs.push(sim.now / 1e6), 1e6);
    for (const t of [5, 5.2, 5.4, 7]) sim.at(s(t), () => k.enqueue(0), undefined);
    sim.run();
    expect(syncs).toEqual([5, 6, 7]);
  });
});

describe('rolling-update arithmetic (deployment_util.go ResolveFenceposts; rolling.go)', () => {
  it('rounds maxSurge up and maxUnavailable down: 3 → 1/0, 4 → 1/1, 10 → 3/2', () => {
    expect(resolveFenceposts(pct(25), pct(25), 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts(pct(25), pct(25), 4)).toEqual({ maxSurge: 1, maxUnavailable: 1 });
    expect(resolveFenceposts(pct(25), pct(25), 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
  });

  it('makes maxUnavailable 1 when both resolve to 0', () => {
    expect(resolveFenceposts(pct(10), pct(10), 1)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts(int(0), pct(25), 2)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('scales the new ReplicaSet up to desired + maxSurge pods in all', () => {
    expect(newRsTarget(10, 3, { replicas: 0, available: 0 }, [{ replicas: 10, available: 10 }])).toBe(3);
    expect(newRsTarget(10, 3, { replicas: 3, available: 0 }, [{ replicas: 10, available: 10 }])).toBe(3);
  });

  it('scales old ReplicaSets down only while desired − maxUnavailable pods stay available', () => {
    // 10 desired, 2 unavailable allowed, new RS has 3 pods not ready yet: 13 − 8 − 3 = 2 may go.
    expect(oldRsScaleDown(10, 2, { replicas: 3, available: 0 }, [{ replicas: 10, available: 10 }])).toEqual([0, 2]);
    // Unavailable old pods go first and cost nothing.
    expect(oldRsScaleDown(10, 2, { replicas: 3, available: 0 }, [{ replicas: 10, available: 9 }])).toEqual([1, 1]);
  });
});

describe('node lifecycle timing (node_lifecycle_controller.go; kubernetes#126287)', () => {
  it('declares a node that stopped right after a heartbeat NotReady 55 s later (50 s grace, 5 s checks)', () => {
    expect(nodeNotReadyAtUs(s(20)) / 1e6).toBe(75);
  });

  it('counts the grace period from the last Lease renewal (every 10 s)', () => {
    expect(nodeNotReadyAtUs(s(29)) / 1e6).toBe(75);
  });
});
