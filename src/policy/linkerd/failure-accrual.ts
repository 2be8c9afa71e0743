/**
 * Linkerd's consecutive-failures circuit breaker ("failure accrual"), one per endpoint per client
 * proxy per concrete backend (linkerd/linkerd2-proxy linkerd/app/outbound/src/http/breaker/
 * consecutive_failures.rs, backoff from linkerd/exp-backoff/src/lib.rs; docs
 * https://linkerd.io/2-edge/reference/circuit-breaking/).
 *
 * States (Linkerd calls the usable state an "open gate"):
 * - available: count consecutive failures, a success resets the count; when the count reaches
 *   maxFailures the endpoint is shut;
 * - shut: not ready for the balancer; responses still arriving are ignored; after a back-off
 *   min(minPenalty·2^k, maxPenalty) + U[0, jitter·that] (k = 0 the first time) it goes to
 * - probation: exactly one request is admitted; a success makes it available again (the back-off
 *   sequence restarts), a failure shuts it with k + 1.
 *
 * Pure: the caller asks `isReady(now)` before balancing, calls `admit(now)` when it dispatches a
 * request to the endpoint and `onResult(success, now)` when the response is classified. Failure =
 * HTTP 5xx or gRPC DATA_LOSS / DEADLINE_EXCEEDED / INTERNAL / PERMISSION_DENIED / UNAVAILABLE
 * (linkerd/app/core/src/classify.rs); the caller classifies.
 */
import type { Uniform } from '../../kernel/random.js';

export interface FailureAccrualConfig {
  maxFailures: number;
  minPenaltyUs: number;
  maxPenaltyUs: number;
  jitterRatio: number;
}

export type BreakerState = 'available' | 'shut' | 'probation';

export interface BreakerEvent {
  action: 'shut' | 'probation' | 'recovered';
  atUs: number;
  /** For 'shut': when probation starts. */
  untilUs?: number;
  /** Back-off iteration of this shut (0 the first time). */
  iteration?: number;
}

export class ConsecutiveFailuresBreaker {
  state: BreakerState = 'available';
  private failures = 0;
  private iteration = 0;
  private shutUntilUs = 0;
  private probeInFlight = false;

  constructor(
    readonly config: FailureAccrualConfig,
    private readonly random: Uniform,
  ) {}

  /** exp-backoff: base·2^k capped at max, plus up to jitter·that. */
  private backoffUs(k: number): number {
    const base = Math.min(this.config.minPenaltyUs * 2 ** k, this.config.maxPenaltyUs);
    return base + this.random() * this.config.jitterRatio * base;
  }

  /** Whether the balancer may pick this endpoint now (moves shut → probation when due). */
  isReady(nowUs: number, events?: BreakerEvent[]): boolean {
    if (this.state === 'shut' && nowUs >= this.shutUntilUs) {
      this.state = 'probation';
      this.probeInFlight = false;
      events?.push({ action: 'probation', atUs: nowUs });
    }
    if (this.state === 'available') return true;
    return this.state === 'probation' && !this.probeInFlight;
  }

  /** When a shut endpoint becomes probe-able (for scheduling a re-check), else undefined. */
  get reopensAtUs(): number | undefined {
    return this.state === 'shut' ? this.shutUntilUs : undefined;
  }

  /** A request was dispatched to this endpoint. */
  admit(nowUs: number): void {
    this.isReady(nowUs);
    if (this.state === 'probation') this.probeInFlight = true;
  }

  /** The classified result of a request sent to this endpoint. */
  onResult(success: boolean, nowUs: number, events?: BreakerEvent[]): void {
    switch (this.state) {
      case 'shut':
        return; // responses arriving while shut are ignored
      case 'available':
        if (success) {
          this.failures = 0;
          return;
        }
        this.failures++;
        if (this.failures >= this.config.maxFailures) this.shut(nowUs, 0, events);
        return;
      case 'probation':
        if (!this.probeInFlight) return; // a response of a request sent before the shut
        if (success) {
          this.state = 'available';
          this.failures = 0;
          this.iteration = 0;
          this.probeInFlight = false;
          events?.push({ action: 'recovered', atUs: nowUs });
        } else this.shut(nowUs, this.iteration + 1, events);
    }
  }

  private shut(nowUs: number, iteration: number, events?: BreakerEvent[]): void {
    this.state = 'shut';
    this.iteration = iteration;
    this.failures = 0;
    this.probeInFlight = false;
    this.shutUntilUs = nowUs + this.backoffUs(iteration);
    events?.push({ action: 'shut', atUs: nowUs, untilUs: this.shutUntilUs, iteration });
  }
}

/** gRPC statuses failure accrual counts as failures (classify.rs). */
export const GRPC_FAILURE_CODES = new Set([
  15 /* DATA_LOSS */, 4 /* DEADLINE_EXCEEDED */, 13 /* INTERNAL */, 7 /* PERMISSION_DENIED */, 14 /* UNAVAILABLE */,
]);

/** HTTP classification: 5xx (and a reset, status 0) is a failure. */
export const isLinkerdFailure = (status: number): boolean => status === 0 || (status >= 500 && status <= 599);
