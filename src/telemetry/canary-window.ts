/**
 * What Flagger's built-in Istio metrics read from Prometheus for one workload, over a sliding
 * window (fluxcd/flagger pkg/metrics/observers/istio.go):
 * - request-success-rate: the share of requests answered with a non-5xx code,
 *   `sum(rate(istio_requests_total{reporter="destination", destination_workload=~"<target>", response_code!~"5.*"}[interval]))
 *   / sum(rate(istio_requests_total{reporter="destination", …}[interval])) * 100`;
 * - request-duration: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination", …}[interval])) by (le))`.
 * Both come from the server-side (destination) reports of the workload's pods, every attempt
 * included; with no request in the window there is no value ("no values found").
 */
import type { PodRt } from '../world/entities.js';
import type { RunObserver, ServedRecord } from './observer.js';
import { histogramQuantile } from './histogram-quantile.js';
import { ENVOY_BUCKETS } from './istio-metrics.js';

export class WorkloadWindow implements RunObserver {
  private endUs: number[] = [];
  private failed: boolean[] = [];
  private bucket: number[] = [];
  private head = 0;

  constructor(
    /** The workload's pods (destination_workload). */
    private readonly matches: (pod: PodRt) => boolean,
    /** The longest window asked for: older reports are dropped. */
    private readonly keepUs: number,
  ) {}

  onCall(): void {}

  onServed(r: ServedRecord): void {
    if (!this.matches(r.pod)) return;
    const ms = (r.endUs - r.arrivedUs) / 1000;
    let i = 0;
    while (i < ENVOY_BUCKETS.length && ms > ENVOY_BUCKETS[i]!) i++;
    this.endUs.push(r.endUs);
    this.failed.push(r.status >= 500 && r.status <= 599);
    this.bucket.push(i);
    this.prune(r.endUs);
  }

  /** request-success-rate over (nowUs − windowUs, nowUs], in %; undefined with no request. */
  successRate(nowUs: number, windowUs: number): number | undefined {
    let total = 0;
    let ok = 0;
    for (let i = this.first(nowUs - windowUs); i < this.endUs.length && this.endUs[i]! <= nowUs; i++) {
      total++;
      if (!this.failed[i]) ok++;
    }
    return total === 0 ? undefined : (ok / total) * 100;
  }

  /** request-duration (P99 in ms, from Istio's buckets) over the window; undefined with no request. */
  durationP99(nowUs: number, windowUs: number): number | undefined {
    const counts = new Array<number>(ENVOY_BUCKETS.length + 1).fill(0);
    let total = 0;
    for (let i = this.first(nowUs - windowUs); i < this.endUs.length && this.endUs[i]! <= nowUs; i++) {
      counts[this.bucket[i]!]!++;
      total++;
    }
    if (total === 0) return undefined;
    const cumulative: number[] = [];
    let sum = 0;
    for (let i = 0; i < ENVOY_BUCKETS.length; i++) cumulative.push((sum += counts[i]!));
    return histogramQuantile(0.99, ENVOY_BUCKETS, cumulative, total);
  }

  /** Index of the first report after `fromUs` (reports come in time order). */
  private first(fromUs: number): number {
    let lo = this.head;
    let hi = this.endUs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.endUs[mid]! <= fromUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private prune(nowUs: number): void {
    this.head = this.first(nowUs - this.keepUs);
    if (this.head > 4096 && this.head * 2 > this.endUs.length) {
      this.endUs = this.endUs.slice(this.head);
      this.failed = this.failed.slice(this.head);
      this.bucket = this.bucket.slice(this.head);
      this.head = 0;
    }
  }
}
