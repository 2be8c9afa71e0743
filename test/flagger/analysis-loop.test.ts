/**
 * Flagger's analysis loop (k8s/flagger.ts) against Flagger's own source and docs:
 * fluxcd/flagger pkg/controller/scheduler.go (advanceCanary, runCanary, runAnalysis, nextStepWeight,
 * maxWeight, rollback, runPromotionTrafficShift, runBlueGreen), pkg/controller/scheduler_metrics.go
 * (runBuiltinMetricChecks), pkg/apis/flagger/v1beta1/canary.go (defaults) and
 * https://docs.flagger.app/usage/how-it-works, /usage/deployment-strategies.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/kernel/simulator.js';
import { canaryModel, canarySpecSchema, type CanaryModel } from '../../src/config/istio/flagger-schema.js';
import { FlaggerCanary, type CanaryActions } from '../../src/k8s/flagger.js';
import type { TimelineEvent } from '../../src/record/timeline.js';

const model = (analysis: Record<string, unknown>, extra: Record<string, unknown> = {}): CanaryModel =>
  canaryModel(
    'podinfo',
    'test',
    canarySpecSchema.parse({
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis,
      ...extra,
    }),
  );

const METRICS = [
  { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
  { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
];

/** A canary driven by hand: `success(t)` is the success rate its check reads at interval t (s). */
function drive(
  m: CanaryModel,
  success: (tS: number) => number | undefined,
  opts: { primaryReadyAfterPromote?: number; durationMs?: number } = {},
) {
  const sim = new Simulator();
  const events: TimelineEvent[] = [];
  const log: string[] = [];
  let promotedAt: number | undefined;
  const act: CanaryActions = {
    metric: (name) => (name === 'request-success-rate' ? success(sim.now / 1e6) : (opts.durationMs ?? 100)),
    setRoutes: (p, c) => log.push(`routes ${p}/${c}`),
    scaleUp: () => log.push('scale up'),
    scaleToZero: () => log.push('scale to zero'),
    promote: () => {
      promotedAt = sim.now;
      log.push('promote');
    },
    primaryReady: () => promotedAt === undefined || sim.now >= promotedAt + (opts.primaryReadyAfterPromote ?? 0) * 1e6,
    canaryReady: () => true,
  };
  const c = new FlaggerCanary(sim, m, act, { add: (type, f = {}) => events.push({ t_s: sim.now / 1e6, type, ...f }) }, 'podinfo');
  c.start(3600e6);
  return { sim, c, events, log, run: (untilS: number) => sim.run(untilS * 1e6) };
}

const weights = (events: TimelineEvent[]) => events.filter((e) => e.type === 'canary_step').map((e) => e.weight);

describe("Flagger's analysis loop (scheduler.go advanceCanary)", () => {
  it('does nothing until the target has a new revision, then scales the canary up without routing or checking', () => {
    const d = drive(model({ interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: METRICS }), () => 100);
    d.run(120);
    expect(d.log).toEqual([]);
    d.c.newRevision('v2');
    d.run(180);
    expect(d.log).toEqual(['scale up']);
    expect(d.c.phase).toBe('Progressing');
    expect(d.c.canaryWeight).toBe(0);
  });

  it('routes the first step without a metric check ("Starting canary analysis"), then a step per passed check', () => {
    const d = drive(model({ interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: METRICS }), (t) =>
      t === 120 ? undefined : 100,
    );
    d.c.newRevision('v2');
    d.run(360);
    // t=60 new revision, t=120 first step with no check (the undefined value there is never read), then +10 per interval.
    expect(d.events.filter((e) => e.type === 'canary_step').map((e) => [e.t_s, e.weight])).toEqual([
      [120, 10],
      [180, 20],
      [240, 30],
      [300, 40],
      [360, 50],
    ]);
  });

  it('a failed check increments failedChecks and holds the weight (runAnalysis false → SetStatusFailedChecks)', () => {
    const d = drive(model({ interval: '1m', threshold: 3, maxWeight: 50, stepWeight: 10, metrics: METRICS }), (t) =>
      t === 240 ? 95 : 100,
    );
    d.c.newRevision('v2');
    d.run(300);
    const halt = d.events.find((e) => e.type === 'canary_halt');
    expect(halt).toMatchObject({ t_s: 240, weight: 20, failed_checks: 1, threshold: 3 });
    expect(halt?.reason).toBe('success rate 95.00% < 99');
    // 10 at 120, 20 at 180, held at 240, 30 at 300: failed checks are not reset by a passed one.
    expect(weights(d.events)).toEqual([10, 20, 30]);
    expect(d.c.failedChecks).toBe(1);
  });

  it('rolls back at the interval after failedChecks reaches threshold, at the weight it had: all traffic to the primary, canary scaled to zero', () => {
    const d = drive(model({ interval: '30s', threshold: 2, stepWeights: [1, 5, 10, 20, 50], metrics: METRICS }), (t) =>
      t >= 180 ? 40 : 100,
    );
    d.c.newRevision('v2');
    d.run(300);
    expect(weights(d.events)).toEqual([1, 5, 10, 20]); // at 60, 90, 120, 150
    expect(d.events.filter((e) => e.type === 'canary_halt').map((e) => e.t_s)).toEqual([180, 210]);
    const rb = d.events.find((e) => e.type === 'canary_rollback');
    expect(rb).toMatchObject({ t_s: 240, weight: 20, failed_checks: 2, threshold: 2 });
    expect(d.log.slice(-2)).toEqual(['routes 100/0', 'scale to zero']);
    expect(d.c.phase).toBe('Failed');
  });

  it('a check with no values halts advancement like a failed check ("no values found … not receiving traffic")', () => {
    const d = drive(model({ interval: '1m', threshold: 1, stepWeight: 10, metrics: METRICS }), (t) => (t >= 180 ? undefined : 100));
    d.c.newRevision('v2');
    d.run(240);
    expect(d.events.find((e) => e.type === 'canary_halt')?.reason).toMatch(/^no values found for request-success-rate/);
    expect(d.events.find((e) => e.type === 'canary_rollback')).toMatchObject({ t_s: 240, weight: 10 });
  });

  it('promotes after one more passed check at maxWeight, waits for the primary rollout, routes all to the primary, then scales the canary down', () => {
    const d = drive(model({ interval: '1m', threshold: 5, maxWeight: 30, stepWeight: 10, metrics: METRICS }), () => 100, {
      primaryReadyAfterPromote: 70,
    });
    d.c.newRevision('v2');
    d.run(600);
    // 10 at 120, 20 at 180, 30 at 240; promote at 300; primary rolling until 370: the 360 interval waits;
    // 420 routes back to the primary (Finalising); 480 scales the canary to zero (Succeeded).
    expect(weights(d.events)).toEqual([10, 20, 30]);
    expect(d.c.ticks.map((t) => [t.t_s, t.action])).toEqual([
      [60, 'revision'],
      [120, 'step'],
      [180, 'step'],
      [240, 'step'],
      [300, 'promote'],
      [360, 'wait'],
      [420, 'promoting'],
      [480, 'finalised'],
    ]);
    expect(d.log).toEqual(['scale up', 'routes 90/10', 'routes 80/20', 'routes 70/30', 'promote', 'routes 100/0', 'scale to zero']);
    expect(d.events.find((e) => e.type === 'canary_promoted')).toMatchObject({ t_s: 480, revision: 'v2', weight: 30 });
    expect(d.c.phase).toBe('Succeeded');
  });

  it('stepWeightPromotion shifts traffic back to the primary in steps (runPromotionTrafficShift)', () => {
    const d = drive(model({ interval: '1m', maxWeight: 50, stepWeight: 50, stepWeightPromotion: 20, metrics: METRICS }), () => 100);
    d.c.newRevision('v2');
    d.run(900);
    expect(d.log).toEqual(['scale up', 'routes 50/50', 'promote', 'routes 70/30', 'routes 90/10', 'routes 100/0', 'scale to zero']);
  });

  it('reads request-duration as whole milliseconds and fails it above thresholdRange.max', () => {
    const ok = drive(model({ interval: '1m', stepWeight: 10, metrics: METRICS }), () => 100, { durationMs: 500.9 });
    ok.c.newRevision('v2');
    ok.run(240);
    expect(ok.events.some((e) => e.type === 'canary_halt')).toBe(false);
    const slow = drive(model({ interval: '1m', stepWeight: 10, metrics: METRICS }), () => 100, { durationMs: 501 });
    slow.c.newRevision('v2');
    slow.run(240);
    expect(slow.events.find((e) => e.type === 'canary_halt')?.reason).toBe('request duration 501ms > 500');
  });

  it('Blue/Green: iterations without a traffic shift, then all traffic to the canary, then promotion (runBlueGreen)', () => {
    const d = drive(model({ interval: '1m', iterations: 2, metrics: METRICS }), () => 100);
    d.c.newRevision('v2');
    d.run(480);
    // 120 starts (iteration 1), 180 checks (2), 240 routes everything to the canary (3), 300 checks and promotes,
    // 360 routes back to the primary, 420 scales the canary down.
    expect(d.log).toEqual(['scale up', 'routes 0/100', 'promote', 'routes 100/0', 'scale to zero']);
    expect(d.events.filter((e) => e.type === 'canary_step').map((e) => e.iteration)).toEqual([1, 2, 3]);
  });
});

describe("Flagger's step weights and defaults", () => {
  it('nextStepWeight walks stepWeights and maxWeight is their last (scheduler.go)', () => {
    const d = drive(model({ stepWeights: [1, 5, 10, 20, 50] }), () => 100);
    expect(d.c.maxWeight).toBe(50);
    expect([0, 1, 5, 10, 20].map((w) => d.c.nextStepWeight(w))).toEqual([1, 4, 5, 10, 30]);
    // A weight off the list: the rest up to 100.
    expect(d.c.nextStepWeight(7)).toBe(93);
  });

  it('defaults: interval 60 s (at least 10 s), threshold 1, maxWeight 100, metric interval 1m (canary.go)', () => {
    const m = model({ stepWeight: 10, metrics: [{ name: 'request-success-rate', threshold: 99 }] });
    expect([m.intervalUs, m.threshold, m.maxWeight]).toEqual([60e6, 1, 100]);
    expect(m.metrics).toEqual([{ name: 'request-success-rate', intervalUs: 60e6, min: 99 }]);
    expect(model({ interval: '5s' }).intervalUs).toBe(10e6);
    // No analysis at all: Flagger promotes without analysing (SkipAnalysis).
    expect(canaryModel('x', 'ns', canarySpecSchema.parse({ targetRef: { name: 'x' }, service: { port: 80 } })).skipAnalysis).toBe(true);
  });
});
