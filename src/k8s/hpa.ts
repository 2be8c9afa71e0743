/**
 * The HorizontalPodAutoscaler controller (autoscaling/v2), one instance per HPA object, as
 * kube-controller-manager runs it every sync period (15 s). Pure: the caller hands in the time,
 * the target's replicas, its pods and a metrics source; the controller keeps its own history
 * (recommendations and scale events) exactly as the real one does in memory.
 *
 * Sources (kubernetes/kubernetes):
 * - pkg/controller/podautoscaler/horizontal.go: reconcileAutoscaler, computeReplicasForMetrics,
 *   normalizeDesiredReplicasWithBehaviors, stabilizeRecommendationWithBehaviors,
 *   convertDesiredReplicasWithBehaviorRate, calculateScale{Up,Down}Limit…, storeScaleEvent;
 * - pkg/controller/podautoscaler/replica_calculator.go: GetResourceReplicas, calcPlainMetricReplicas,
 *   GetObjectMetricReplicas, GetObjectPerPodMetricReplicas, groupPods, calculatePodRequests;
 * - pkg/controller/podautoscaler/metrics/utilization.go: GetResourceUtilizationRatio (integer
 *   percent), GetMetricUsageRatio;
 * - https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/ (algorithm, defaults).
 */
import type { HpaMetric, HpaModel, ScalingRules } from '../config/istio/hpa-schema.js';

/** HPA sync period: `--horizontal-pod-autoscaler-sync-period` default. */
export const HPA_SYNC_PERIOD_S = 15;
/** `--horizontal-pod-autoscaler-cpu-initialization-period` default. */
export const CPU_INITIALIZATION_PERIOD_S = 300;
/** `--horizontal-pod-autoscaler-initial-readiness-delay` default. */
export const INITIAL_READINESS_DELAY_S = 30;

/** A pod of the scale target as the controller's pod lister sees it. */
export interface HpaPod {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** deletionTimestamp is set (terminating). */
  deleting: boolean;
  ready: boolean;
  /** status.startTime (s); undefined before the kubelet has started the pod. */
  startS?: number;
  /** lastTransitionTime of the Ready condition (s); undefined when the pod has no Ready condition yet. */
  readyTransitionS?: number;
  /**
   * Requests summed over ALL containers of the pod (the app and any injected sidecar), by resource
   * ('cpu' in cores, 'memory' in bytes); a resource missing here means some container has no request
   * for it, which the controller reports as "missing request" (calculatePodRequests).
   */
  requests: Partial<Record<string, number>>;
  /** Per-container requests, for ContainerResource metrics. */
  containerRequests?: Record<string, Partial<Record<string, number>>>;
}

/** One metrics-server sample: usage averaged over [timestampS − windowS, timestampS]. */
export interface PodSample {
  value: number;
  timestampS: number;
  windowS: number;
}

/** What the resource, custom and object metrics APIs answer. undefined = no sample for that pod. */
export interface MetricsSource {
  resource(pod: string, resource: string): PodSample | undefined;
  containerResource(pod: string, container: string, resource: string): PodSample | undefined;
  /** A Pods metric (custom.metrics.k8s.io) for one pod, e.g. its requests per second. */
  pods(pod: string, metric: string): number | undefined;
  /** An Object metric for the described object (e.g. requests per second to a Service). */
  object(kind: string, name: string, metric: string): number | undefined;
}

export interface HpaInput {
  nowS: number;
  /** scale.spec.replicas of the target. */
  specReplicas: number;
  /** scale.status.replicas: pods the target's controller currently counts. */
  statusReplicas: number;
  pods: HpaPod[];
  metrics: MetricsSource;
}

export interface MetricReport {
  /** Kubernetes' metric description, e.g. "cpu resource utilization (percentage of request)". */
  name: string;
  /** Current value in the target's unit (percent for Utilization), or undefined on error. */
  current?: number;
  target: number;
  proposal?: number;
  error?: string;
}

export interface HpaDecision {
  from: number;
  to: number;
  /** Why: Kubernetes' rescale reason ("cpu resource utilization (percentage of request) above target", …). */
  reason: string;
  /** The condition that limited the result (ScaleUpLimit, TooManyReplicas, ScaleDownStabilized, …), if any. */
  limited?: string;
  metrics: MetricReport[];
}

interface Timed {
  value: number;
  tS: number;
}

export class HpaController {
  private recommendations: Timed[] | undefined;
  private readonly scaleUpEvents: Timed[] = [];
  private readonly scaleDownEvents: Timed[] = [];

  constructor(readonly hpa: HpaModel) {}

  /** One sync (reconcileAutoscaler): the replicas the target should have now. */
  reconcile(input: HpaInput): HpaDecision {
    const hpa = this.hpa;
    const current = input.specReplicas;
    // The first sync records the current size, so scale-down stabilization starts from it.
    this.recommendations ??= [{ value: current, tS: input.nowS }];
    if (current === 0 && hpa.minReplicas !== 0) {
      return { from: current, to: 0, reason: 'scaling is disabled since the replica count of the target is zero', metrics: [] };
    }
    let desired: number;
    let reason: string;
    let limited: string | undefined;
    let reports: MetricReport[] = [];
    if (current > hpa.maxReplicas) {
      desired = hpa.maxReplicas;
      reason = 'Current number of replicas above Spec.MaxReplicas';
    } else if (current < hpa.minReplicas) {
      desired = hpa.minReplicas;
      reason = 'Current number of replicas below Spec.MinReplicas';
    } else {
      const computed = this.computeReplicasForMetrics(input);
      reports = computed.reports;
      if (computed.proposal === undefined) {
        return { from: current, to: current, reason: `failed to compute desired number of replicas: ${computed.error}`, metrics: reports };
      }
      const normalized = this.normalize(input.nowS, current, computed.proposal);
      desired = normalized.replicas;
      limited = normalized.limited;
      reason = desired > current ? `${computed.metricName} above target` : 'All metrics below target';
    }
    if (desired !== current) this.storeScaleEvent(input.nowS, current, desired);
    return { from: current, to: desired, reason, limited, metrics: reports };
  }

  /** The largest proposal over the metrics; a failed metric blocks a scale-down (computeReplicasForMetrics). */
  private computeReplicasForMetrics(input: HpaInput): { proposal?: number; metricName: string; reports: MetricReport[]; error?: string } {
    const reports = this.hpa.metrics.map((m) => this.computeMetric(m, input));
    let proposal = 0;
    let metricName = '';
    let invalid = 0;
    for (const r of reports) {
      if (r.proposal === undefined) {
        invalid++;
        continue;
      }
      if (metricName === '' || r.proposal > proposal) {
        proposal = r.proposal;
        metricName = r.name;
      }
    }
    if (invalid >= reports.length) return { metricName, reports, error: `invalid metrics (${invalid} invalid out of ${reports.length})` };
    // If some metric failed, only scale up: the failing metric might have asked for more.
    if (invalid > 0 && proposal < input.specReplicas) return { proposal: input.specReplicas, metricName, reports };
    return { proposal, metricName, reports };
  }

  private computeMetric(m: HpaMetric, input: HpaInput): MetricReport {
    const current = input.specReplicas;
    const withError = (name: string, target: number, error: string): MetricReport => ({ name, target, error });
    switch (m.type) {
      case 'Resource':
      case 'ContainerResource': {
        const container = m.type === 'ContainerResource' ? m.container : undefined;
        const sample = (pod: string) =>
          container === undefined ? input.metrics.resource(pod, m.resource) : input.metrics.containerResource(pod, container, m.resource);
        const samples = new Map<string, number>();
        for (const p of input.pods) {
          const s = sample(p.name);
          if (s) samples.set(p.name, milli(s.value));
        }
        const timing = new Map<string, PodSample>();
        for (const p of input.pods) {
          const s = sample(p.name);
          if (s) timing.set(p.name, s);
        }
        const prefix = container === undefined ? `${m.resource} resource` : `${m.resource} container resource`;
        if (m.target.type === 'Utilization') {
          const name = `${prefix} utilization (percentage of request)`;
          const target = m.target.averageUtilization;
          const requests = new Map<string, number>();
          for (const p of input.pods) {
            const req = container === undefined ? p.requests[m.resource] : p.containerRequests?.[container]?.[m.resource];
            if (req === undefined) return withError(name, target, `missing request for ${m.resource}`);
            requests.set(p.name, milli(req));
          }
          return this.resourceUtilization(name, m.resource, target, current, input, samples, timing, requests);
        }
        const name = prefix;
        const target = m.target.type === 'AverageValue' ? m.target.averageValue : 0;
        return this.plainMetric(name, m.resource, milli(target), target, current, input, samples, timing);
      }
      case 'Pods': {
        const name = `pods metric ${m.metric}`;
        const target = m.target.type === 'AverageValue' ? m.target.averageValue : 0;
        const samples = new Map<string, number>();
        for (const p of input.pods) {
          const v = input.metrics.pods(p.name, m.metric);
          if (v !== undefined) samples.set(p.name, milli(v));
        }
        return this.plainMetric(name, '', milli(target), target, current, input, samples, new Map());
      }
      case 'Object': {
        const name = `${m.describedObject.kind.toLowerCase()} metric ${m.metric}`;
        const value = input.metrics.object(m.describedObject.kind, m.describedObject.name, m.metric);
        const target = m.target.type === 'Value' ? m.target.value : m.target.type === 'AverageValue' ? m.target.averageValue : 0;
        if (value === undefined)
          return withError(name, target, `unable to get metric ${m.metric} on ${m.describedObject.kind} ${m.describedObject.name}`);
        const used = milli(value);
        if (m.target.type === 'AverageValue') {
          // GetObjectPerPodMetricReplicas: the value is shared by status.replicas pods.
          const status = input.statusReplicas;
          const ratio = used / (milli(target) * status);
          const proposal = Math.abs(1 - ratio) > this.toleranceFor(ratio) ? Math.ceil(used / milli(target)) : status;
          return { name, target, current: value / Math.max(1, status), proposal };
        }
        const ratio = used / milli(target);
        return { name, target, current: value, proposal: this.usageRatioReplicaCount(current, ratio, input.pods) };
      }
      case 'External':
        return withError(`external metric ${m.metric}`, 0, 'External metrics are not modelled by the simulator');
    }
  }

  /** Tolerance for a ratio: scaleUp's above 1, scaleDown's below (HPAConfigurableTolerance). */
  private toleranceFor(ratio: number): number {
    return ratio > 1 ? this.hpa.behavior.scaleUp.tolerance : this.hpa.behavior.scaleDown.tolerance;
  }
  private within(ratio: number): boolean {
    return Math.abs(1 - ratio) <= this.toleranceFor(ratio);
  }

  /** getUsageRatioReplicaCount: ceil(ratio × ready pods), or unchanged within tolerance. */
  private usageRatioReplicaCount(current: number, ratio: number, pods: HpaPod[]): number {
    if (current === 0) return Math.ceil(ratio);
    if (this.within(ratio)) return current;
    const ready = pods.filter((p) => p.phase === 'Running' && p.ready).length;
    return Math.ceil(ratio * ready);
  }

  /** GetResourceReplicas with a Utilization target. */
  private resourceUtilization(
    name: string,
    resource: string,
    target: number,
    current: number,
    input: HpaInput,
    samples: Map<string, number>,
    timing: Map<string, PodSample>,
    requests: Map<string, number>,
  ): MetricReport {
    if (input.pods.length === 0) return { name, target, error: 'no pods returned by selector while calculating replica count' };
    const g = groupPods(input.pods, samples, timing, resource, input.nowS);
    for (const p of g.ignored) samples.delete(p);
    if (samples.size === 0) return { name, target, error: 'did not receive metrics for any ready pods' };
    const utilization = (m: Map<string, number>) => {
      let used = 0;
      let req = 0;
      for (const [pod, v] of m) {
        const r = requests.get(pod);
        if (r === undefined) continue;
        used += v;
        req += r;
      }
      // Integer percent, as the controller computes it (currentUtilization is an int32).
      const pct = Math.trunc((used * 100) / req);
      return { ratio: pct / target, pct };
    };
    const first = utilization(samples);
    const report = (proposal: number): MetricReport => ({ name, target, current: first.pct, proposal });
    const rebalanceIgnored = g.ignored.length > 0 && first.ratio > 1;
    if (!rebalanceIgnored && g.missing.length === 0) {
      if (this.within(first.ratio)) return report(current);
      return report(Math.ceil(first.ratio * g.readyCount));
    }
    for (const p of g.missing) {
      if (first.ratio < 1) samples.set(p, requests.get(p) ?? 0);
      else if (first.ratio > 1) samples.set(p, 0);
    }
    if (rebalanceIgnored) for (const p of g.ignored) samples.set(p, 0);
    const second = utilization(samples);
    if (this.within(second.ratio) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return report(current);
    const proposal = Math.ceil(second.ratio * samples.size);
    if ((second.ratio < 1 && proposal > current) || (second.ratio > 1 && proposal < current)) return report(current);
    return report(proposal);
  }

  /** calcPlainMetricReplicas: AverageValue targets of resource metrics and Pods metrics (milli-units). */
  private plainMetric(
    name: string,
    resource: string,
    targetMilli: number,
    target: number,
    current: number,
    input: HpaInput,
    samples: Map<string, number>,
    timing: Map<string, PodSample>,
  ): MetricReport {
    if (input.pods.length === 0) return { name, target, error: 'no pods returned by selector while calculating replica count' };
    const g = groupPods(input.pods, samples, timing, resource, input.nowS);
    for (const p of g.ignored) samples.delete(p);
    if (samples.size === 0) return { name, target, error: 'did not receive metrics for any ready pods' };
    const ratioOf = (m: Map<string, number>) => {
      let total = 0;
      for (const v of m.values()) total += v;
      const avg = Math.trunc(total / m.size);
      return { ratio: avg / targetMilli, avg };
    };
    const first = ratioOf(samples);
    const report = (proposal: number): MetricReport => ({ name, target, current: first.avg / 1000, proposal });
    const rebalanceIgnored = g.ignored.length > 0 && first.ratio > 1;
    if (!rebalanceIgnored && g.missing.length === 0) {
      if (this.within(first.ratio)) return report(current);
      return report(Math.ceil(first.ratio * g.readyCount));
    }
    for (const p of g.missing) samples.set(p, first.ratio < 1 ? targetMilli : 0);
    if (rebalanceIgnored) for (const p of g.ignored) samples.set(p, 0);
    const second = ratioOf(samples);
    if (this.within(second.ratio) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return report(current);
    return report(Math.ceil(second.ratio * samples.size));
  }

  /** normalizeDesiredReplicasWithBehaviors: stabilization windows, then the rate policies and min/max. */
  private normalize(nowS: number, current: number, proposal: number): { replicas: number; limited?: string } {
    const { scaleUp, scaleDown } = this.hpa.behavior;
    const recs = this.recommendations as Timed[];
    // Stabilization: the lowest recommendation of the scale-up window bounds scale-ups, the highest of
    // the scale-down window bounds scale-downs. Samples strictly inside the window count.
    const upCutoff = nowS - scaleUp.stabilizationWindowSeconds;
    const downCutoff = nowS - scaleDown.stabilizationWindowSeconds;
    let up = proposal;
    let down = proposal;
    let oldIndex = -1;
    recs.forEach((r, i) => {
      if (r.tS > upCutoff) up = Math.min(up, r.value);
      if (r.tS > downCutoff) down = Math.max(down, r.value);
      if (r.tS < upCutoff && r.tS < downCutoff) oldIndex = i;
    });
    let stabilized = current;
    if (stabilized < up) stabilized = up;
    if (stabilized > down) stabilized = down;
    const rec = { value: proposal, tS: nowS };
    if (oldIndex >= 0) recs[oldIndex] = rec;
    else recs.push(rec);
    let limited: string | undefined;
    if (stabilized !== proposal) limited = proposal >= current ? 'ScaleUpStabilized' : 'ScaleDownStabilized';

    // Rate limits (convertDesiredReplicasWithBehaviorRate).
    if (stabilized > current) {
      let limit = scaleUpLimit(current, nowS, this.scaleUpEvents, this.scaleDownEvents, scaleUp);
      if (limit < current) limit = current;
      const max = Math.min(this.hpa.maxReplicas, limit);
      if (stabilized > max) return { replicas: max, limited: this.hpa.maxReplicas > limit ? 'ScaleUpLimit' : 'TooManyReplicas' };
    } else if (stabilized < current) {
      let limit = scaleDownLimit(current, nowS, this.scaleUpEvents, this.scaleDownEvents, scaleDown);
      if (limit > current) limit = current;
      const min = Math.max(this.hpa.minReplicas, limit);
      if (stabilized < min) return { replicas: min, limited: this.hpa.minReplicas < limit ? 'ScaleDownLimit' : 'TooFewReplicas' };
    }
    return { replicas: stabilized, limited };
  }

  /** storeScaleEvent: remembered for the longest policy period of that direction. */
  private storeScaleEvent(nowS: number, from: number, to: number): void {
    const rules = to > from ? this.hpa.behavior.scaleUp : this.hpa.behavior.scaleDown;
    const events = to > from ? this.scaleUpEvents : this.scaleDownEvents;
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
    const reuse = events.findIndex((e) => e.tS < nowS - longest);
    const ev = { value: Math.abs(to - from), tS: nowS };
    if (reuse >= 0) events[reuse] = ev;
    else events.push(ev);
  }
}

/** Resource quantities as the controller compares them: milli-units, rounded up like Quantity.MilliValue. */
const milli = (v: number) => Math.ceil(v * 1000 - 1e-6);

/** Replicas changed (in one direction) within the last `periodSeconds` (getReplicasChangePerPeriod). */
function changeInPeriod(periodSeconds: number, nowS: number, events: readonly Timed[]): number {
  let n = 0;
  for (const e of events) if (e.tS > nowS - periodSeconds) n += e.value;
  return n;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
export function scaleUpLimit(current: number, nowS: number, ups: readonly Timed[], downs: readonly Timed[], rules: ScalingRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, nowS, ups) + changeInPeriod(p.periodSeconds, nowS, downs);
    // Percent proposals are rounded up, or a small target could never grow.
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
export function scaleDownLimit(current: number, nowS: number, ups: readonly Timed[], downs: readonly Timed[], rules: ScalingRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, nowS, ups) + changeInPeriod(p.periodSeconds, nowS, downs);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * groupPods: terminating and failed pods are dropped; pending pods are set aside (ignored); pods
 * without a sample are "missing". For CPU only, a pod is also set aside while it may still be
 * initialising: within the CPU initialization period if it is not Ready or its sample predates
 * one metric window after its last readiness change; later only if it is not Ready and never was.
 */
export function groupPods(
  pods: readonly HpaPod[],
  samples: ReadonlyMap<string, number>,
  timing: ReadonlyMap<string, PodSample>,
  resource: string,
  nowS: number,
): { readyCount: number; ignored: string[]; missing: string[] } {
  let readyCount = 0;
  const ignored: string[] = [];
  const missing: string[] = [];
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') continue;
    if (pod.phase === 'Pending') {
      ignored.push(pod.name);
      continue;
    }
    if (!samples.has(pod.name)) {
      missing.push(pod.name);
      continue;
    }
    if (resource === 'cpu') {
      let ignore: boolean;
      const sample = timing.get(pod.name);
      if (pod.readyTransitionS === undefined || pod.startS === undefined) ignore = true;
      else if (pod.startS + CPU_INITIALIZATION_PERIOD_S > nowS) {
        ignore = !pod.ready || (sample !== undefined && sample.timestampS < pod.readyTransitionS + sample.windowS);
      } else {
        ignore = !pod.ready && pod.startS + INITIAL_READINESS_DELAY_S > pod.readyTransitionS;
      }
      if (ignore) {
        ignored.push(pod.name);
        continue;
      }
    }
    readyCount++;
  }
  return { readyCount, ignored, missing };
}
