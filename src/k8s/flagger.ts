/**
 * Flagger's canary controller for one Canary, stepped as Flagger steps it: every `interval` the
 * scheduler runs advanceCanary once (fluxcd/flagger pkg/controller/scheduler.go). The order of its
 * checks is Flagger's:
 *
 * 1. a Canary waiting for a new revision (Initialized, Succeeded, Failed) does nothing until the
 *    target's pod template changes (shouldAdvance); then it scales the canary up from zero and turns
 *    Progressing (checkCanaryStatus), without analysing yet;
 * 2. the primary must be ready (IsPrimaryReady) and, while Progressing, a newer revision restarts the
 *    analysis with all traffic on the primary (hasCanaryRevisionChanged); the canary must be ready
 *    (IsCanaryReady);
 * 3. Promoting: all traffic back to the primary (or `stepWeightPromotion` at a time), then
 *    Finalising: the canary is scaled to zero and the Canary has Succeeded;
 * 4. Progressing with `failedChecks >= threshold`: rollback — all traffic to the primary, canary
 *    scaled to zero, Failed;
 * 5. the first interval with no canary traffic yet starts the analysis without a check; every later
 *    one runs the metric checks (runAnalysis), and a failed check (a value out of its
 *    thresholdRange, or no value at all: "Halt advancement no values found") only increments
 *    failedChecks and stops this interval;
 * 6. a passed check advances: Blue/Green counts `iterations` then routes everything to the canary;
 *    the canary release adds the next step weight (nextStepWeight: stepWeight, or the next of
 *    stepWeights) until `maxWeight`, and one more passed check at maxWeight promotes (Promote copies
 *    the canary's template to the primary, whose rolling update the next interval waits for).
 *
 * Webhooks, alerts, mirroring, A/B matches and the progress deadline are not modelled.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { BuiltinMetric, CanaryModel } from '../config/istio/flagger-schema.js';
import type { EventSink } from './events.js';

/** Flagger's CanaryPhase values (pkg/apis/flagger/v1beta1/status.go) that this controller uses. */
export type CanaryPhase = 'Initialized' | 'Progressing' | 'Promoting' | 'Finalising' | 'Succeeded' | 'Failed';

/** What the controller acts through: the cluster (Deployments), the router (the VirtualService) and the metrics server. */
export interface CanaryActions {
  /** The metric over the last `intervalUs` (success rate in %, P99 duration in ms); undefined when there are no values. */
  metric(name: BuiltinMetric, intervalUs: number): number | undefined;
  /** Writes the VirtualService weights (they reach the proxies through istiod's push). */
  setRoutes(primary: number, canary: number): void;
  /** ScaleFromZero: the canary Deployment gets the primary's replicas. */
  scaleUp(): void;
  scaleToZero(): void;
  /** Promote: the canary's pod template is copied to the primary (a rolling update). */
  promote(): void;
  primaryReady(): boolean;
  canaryReady(): boolean;
}

/** One analysis interval as the report shows it. */
export interface CanaryTick {
  t_s: number;
  phase: CanaryPhase;
  /** Canary weight after this interval. */
  weight: number;
  failed_checks: number;
  /** What happened: wait, start, step, halt, rollback, promote, promoting, finalised, revision. */
  action: string;
  success_rate?: number;
  duration_p99_ms?: number;
}

export class FlaggerCanary {
  phase: CanaryPhase = 'Initialized';
  primaryWeight = 100;
  canaryWeight = 0;
  failedChecks = 0;
  iterations = 0;
  readonly ticks: CanaryTick[] = [];
  /** The revision (version name) under analysis, and one waiting to be noticed. */
  revision?: string;
  private pendingRevision?: string;

  constructor(
    private readonly sim: Simulator,
    private readonly canary: CanaryModel,
    private readonly act: CanaryActions,
    private readonly events: EventSink,
    /** The Deployment name, for events. */
    private readonly target: string,
  ) {}

  /** The scheduler's ticker: the first run one interval after the Canary exists (time.NewTicker). */
  start(untilUs: number): void {
    for (let t = this.canary.intervalUs; t <= untilUs; t += this.canary.intervalUs) this.sim.at(t, () => this.advance(), undefined);
  }

  /** The target Deployment's pod template changed (a new revision): noticed at the next interval. */
  newRevision(version: string): void {
    this.pendingRevision = version;
  }

  /** Flagger's maxWeight (scheduler.go): the last step weight, maxWeight, or 100. */
  get maxWeight(): number {
    return this.canary.maxWeight;
  }

  /** Flagger's nextStepWeight (scheduler.go). */
  nextStepWeight(canaryWeight: number): number {
    const { stepWeight, stepWeights } = this.canary;
    if (stepWeight > 0 || stepWeights.length === 0) return stepWeight;
    const maxStep = 100 - canaryWeight;
    if (maxStep === 0) return 1;
    if (canaryWeight === 0) return Math.min(maxStep, stepWeights[0]!);
    for (let i = 0; i < stepWeights.length - 1; i++)
      if (stepWeights[i] === canaryWeight) return Math.min(maxStep, stepWeights[i + 1]! - canaryWeight);
    return maxStep;
  }

  /** One run of advanceCanary. */
  advance(): void {
    const c = this.canary;
    const waiting = this.phase === 'Initialized' || this.phase === 'Succeeded' || this.phase === 'Failed';
    if (waiting && this.pendingRevision === undefined) return;
    if (!c.skipAnalysis && !this.act.primaryReady()) return this.record('wait');
    if (waiting) {
      // checkCanaryStatus: "New revision detected! Scaling up": Progressing, nothing analysed yet.
      this.revision = this.pendingRevision;
      this.pendingRevision = undefined;
      this.act.scaleUp();
      Object.assign(this, { phase: 'Progressing', failedChecks: 0, iterations: 0 });
      this.events.add('canary_progressing', { canary: c.name, target: this.target, revision: this.revision ?? '' });
      return this.record('revision');
    }
    if (this.phase === 'Progressing' && this.pendingRevision !== undefined) {
      // hasCanaryRevisionChanged: restart the analysis with all traffic on the primary.
      this.revision = this.pendingRevision;
      this.pendingRevision = undefined;
      this.route(100, 0);
      Object.assign(this, { failedChecks: 0, iterations: 0 });
      return this.record('revision');
    }
    if (!this.act.canaryReady()) return this.record('wait');
    if (c.skipAnalysis) {
      // shouldSkipAnalysis: promote without analysing.
      this.route(100, 0);
      this.act.promote();
      this.act.scaleToZero();
      this.phase = 'Succeeded';
      this.events.add('canary_promoted', { canary: c.name, target: this.target, revision: this.revision ?? '', weight: 0, skipped: true });
      return this.record('finalised');
    }
    if (this.phase === 'Promoting') return this.promotionTrafficShift();
    if (this.phase === 'Finalising') {
      this.act.scaleToZero();
      this.phase = 'Succeeded';
      this.events.add('canary_promoted', { canary: c.name, target: this.target, revision: this.revision ?? '', weight: this.maxWeight });
      return this.record('finalised');
    }
    if (this.failedChecks >= c.threshold) return this.rollback();
    let values: { success_rate?: number; duration_p99_ms?: number } = {};
    if (this.canaryWeight === 0 && this.iterations === 0) {
      // "Starting canary analysis": no traffic has reached the canary yet, nothing to check.
    } else {
      const check = this.runAnalysis();
      values = check.values;
      if (!check.ok) {
        this.failedChecks++;
        this.events.add('canary_halt', {
          canary: c.name,
          weight: this.canaryWeight,
          failed_checks: this.failedChecks,
          threshold: c.threshold,
          reason: check.reason,
        });
        return this.record('halt', values);
      }
    }
    if (c.iterations > 0) return this.blueGreen(values);
    if (this.nextStepWeight(this.canaryWeight) > 0) return this.runCanary(values);
    this.record('wait', values);
  }

  /** runBuiltinMetricChecks: each metric in order; the first one out of range (or with no value) fails the check. */
  private runAnalysis(): { ok: boolean; reason: string; values: { success_rate?: number; duration_p99_ms?: number } } {
    const values: { success_rate?: number; duration_p99_ms?: number } = {};
    for (const m of this.canary.metrics) {
      const raw = this.act.metric(m.name, m.intervalUs);
      if (raw === undefined)
        return { ok: false, reason: `no values found for ${m.name}: probably ${this.target} is not receiving traffic`, values };
      // request-duration is read as a whole number of milliseconds: time.Duration(int64(value)) * time.Millisecond (observers/istio.go).
      const v = m.name === 'request-duration' ? Math.trunc(raw) : raw;
      if (m.name === 'request-success-rate') values.success_rate = round(v);
      else values.duration_p99_ms = v;
      const what = m.name === 'request-success-rate' ? `success rate ${v.toFixed(2)}%` : `request duration ${v}ms`;
      if (m.min !== undefined && v < m.min) return { ok: false, reason: `${what} < ${m.min}`, values };
      if (m.max !== undefined && v > m.max) return { ok: false, reason: `${what} > ${m.max}`, values };
    }
    return { ok: true, reason: '', values };
  }

  /** runCanary: one more step, or promotion once maxWeight has been held for a passed check. */
  private runCanary(values: object): void {
    if (this.canaryWeight < this.maxWeight) {
      const step = this.nextStepWeight(this.canaryWeight);
      this.route(Math.max(0, this.primaryWeight - step), Math.min(100, this.canaryWeight + step));
      this.events.add('canary_step', {
        canary: this.canary.name,
        weight: this.canaryWeight,
        primary_weight: this.primaryWeight,
        failed_checks: this.failedChecks,
        ...values,
      });
      return this.record('step', values);
    }
    this.act.promote();
    this.phase = 'Promoting';
    this.record('promote', values);
  }

  /** runBlueGreen: count the iterations with no traffic shift, then switch everything to the canary, then promote. */
  private blueGreen(values: object): void {
    const n = this.canary.iterations;
    if (n > this.iterations) {
      this.iterations++;
      this.events.add('canary_step', {
        canary: this.canary.name,
        weight: this.canaryWeight,
        iteration: this.iterations,
        iterations: n,
        ...values,
      });
      return this.record('step', values);
    }
    if (n === this.iterations) {
      this.route(0, 100);
      this.iterations++;
      this.events.add('canary_step', { canary: this.canary.name, weight: 100, primary_weight: 0, iteration: this.iterations, ...values });
      return this.record('step', values);
    }
    this.act.promote();
    this.phase = 'Promoting';
    this.record('promote', values);
  }

  /** runPromotionTrafficShift: all traffic to the primary at once, or stepWeightPromotion at a time. */
  private promotionTrafficShift(): void {
    const by = this.canary.stepWeightPromotion;
    if (by === 0) {
      this.route(100, 0);
      this.phase = 'Finalising';
      return this.record('promoting');
    }
    if (this.canaryWeight > 0) {
      this.route(Math.min(100, this.primaryWeight + by), Math.max(0, this.canaryWeight - by));
      if (this.primaryWeight === 100) this.phase = 'Finalising';
    }
    this.record('promoting');
  }

  private rollback(): void {
    const weight = this.canaryWeight;
    this.route(100, 0);
    this.act.scaleToZero();
    this.phase = 'Failed';
    this.events.add('canary_rollback', {
      canary: this.canary.name,
      target: this.target,
      revision: this.revision ?? '',
      weight,
      failed_checks: this.failedChecks,
      threshold: this.canary.threshold,
    });
    this.record('rollback');
  }

  private route(primary: number, canary: number): void {
    this.primaryWeight = primary;
    this.canaryWeight = canary;
    this.act.setRoutes(primary, canary);
  }

  private record(action: string, values: object = {}): void {
    this.ticks.push({
      t_s: this.sim.now / 1e6,
      phase: this.phase,
      weight: this.canaryWeight,
      failed_checks: this.failedChecks,
      action,
      ...values,
    });
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
