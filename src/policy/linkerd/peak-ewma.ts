/**
 * Linkerd's load balancer: power of two choices over peak-EWMA load, per request for HTTP
 * (linkerd/linkerd2-proxy linkerd/pool/p2c/src/lib.rs, linkerd/proxy/balance/src/lib.rs; load
 * metric tower-rs/tower tower/src/load/peak_ewma.rs; docs https://linkerd.io/2-edge/reference/load-balancing/).
 *
 * - cost = rtt_estimate × (pending + 1), pending = requests dispatched and not yet answered;
 * - an RTT sample s at time t: s > estimate → the estimate jumps to s (peak); otherwise
 *   w = exp(−(t − t0)/decay), estimate = estimate·w + s·(1 − w). Reading the cost decays the
 *   estimate toward 0 with a zero sample, so an idle endpoint becomes attractive again;
 * - a new endpoint starts at default_rtt 30 ms; decay 10 s (linkerd2 policy-controller
 *   grpc/src/outbound/http.rs BALANCER_DEFAULT_RTT / BALANCER_RTT_DECAY);
 * - the sample ends at the first response data (PendingUntilFirstData) ≈ time to first byte;
 * - P2C: among ready endpoints draw two distinct uniformly, take the one with the lower cost
 *   (ties go to the first drawn); one ready endpoint is taken as is.
 */
import type { Uniform } from '../../kernel/random.js';

export const LINKERD_DEFAULT_RTT_US = 30_000;
export const LINKERD_RTT_DECAY_US = 10_000_000;

export class PeakEwma {
  private estimateUs: number;
  private updatedAtUs: number;
  pending = 0;

  constructor(
    nowUs: number,
    private readonly decayUs = LINKERD_RTT_DECAY_US,
    defaultRttUs = LINKERD_DEFAULT_RTT_US,
  ) {
    this.estimateUs = defaultRttUs;
    this.updatedAtUs = nowUs;
  }

  private update(sampleUs: number, nowUs: number): void {
    if (sampleUs > this.estimateUs) this.estimateUs = sampleUs;
    else {
      const w = Math.exp(-Math.max(0, nowUs - this.updatedAtUs) / this.decayUs);
      this.estimateUs = this.estimateUs * w + sampleUs * (1 - w);
    }
    this.updatedAtUs = Math.max(this.updatedAtUs, nowUs);
  }

  /** tower PeakEwma::load: decays first, then rtt × (pending + 1). */
  cost(nowUs: number): number {
    this.update(0, nowUs);
    return this.estimateUs * (this.pending + 1);
  }

  get rttEstimateUs(): number {
    return this.estimateUs;
  }

  /** A request was dispatched; returns its start time for `finish`. */
  start(nowUs: number): number {
    this.pending++;
    return nowUs;
  }

  /** First response data arrived (or the request ended): one RTT sample. */
  finish(startedUs: number, nowUs: number): void {
    this.pending = Math.max(0, this.pending - 1);
    this.update(nowUs - startedUs, nowUs);
  }
}

/**
 * p2c: the index (into `ready`) of the chosen endpoint, or -1 when none is ready. Draws two
 * uniforms only when there are at least two endpoints (Floyd's sampling of 2 distinct indices).
 */
export function p2cPick(ready: readonly PeakEwma[], nowUs: number, random: Uniform): number {
  const n = ready.length;
  if (n === 0) return -1;
  if (n === 1) return 0;
  const a = Math.floor(random() * n);
  let b = Math.floor(random() * (n - 1));
  if (b >= a) b++;
  const ca = ready[a]!.cost(nowUs);
  const cb = ready[b]!.cost(nowUs);
  return ca <= cb ? a : b;
}
