/**
 * One probe's result as the kubelet's prober worker keeps it: a result changes only after
 * `failureThreshold` consecutive failures or `successThreshold` consecutive successes. A readiness
 * probe starts as failure (the container is not ready until its first success); a liveness probe
 * starts as success. Probes run `initialDelaySeconds` after the container started, then every
 * `periodSeconds`; a probe that gets no answer within `timeoutSeconds` is a failure.
 *
 * kubernetes/kubernetes pkg/kubelet/prober/worker.go (doProbe: resultRun counting, initial
 * values); kubernetes/website …/tasks/configure-pod-container/configure-liveness-readiness-startup-probes.md.
 */
import type { ProbeModel } from '../config/lifecycle.js';
import { PROBE_DEFAULTS } from './defaults.js';

export type ProbeKind = 'readiness' | 'liveness';

export class ProbeState {
  /** The probe's current verdict. */
  ok: boolean;
  private last: boolean | undefined;
  private run = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly spec: ProbeModel = PROBE_DEFAULTS,
  ) {
    this.ok = kind === 'liveness';
  }

  /** Records one probe; returns true when the verdict flipped. */
  observe(success: boolean): boolean {
    if (this.last === success) this.run++;
    else {
      this.last = success;
      this.run = 1;
    }
    const needed = success ? this.spec.successThreshold : this.spec.failureThreshold;
    if (this.run < needed || this.ok === success) return false;
    this.ok = success;
    return true;
  }
}

/**
 * Time from the first failing probe to the verdict "failed": the failureThreshold-th consecutive
 * failure, the last one waiting out its timeout. E.g. defaults: 2 × 10 s + 1 s = 21 s.
 */
export function failureDetectionUs(p: ProbeModel, probeFailsAtOnce = false): number {
  return (p.failureThreshold - 1) * p.periodUs + (probeFailsAtOnce ? 0 : p.timeoutUs);
}
