/**
 * Connection-pool occupancy over time, per destination cluster (`outbound|port|subset|host`), for
 * the report's pool view: in fixed-width buckets of simulated time (the time series' buckets, at
 * most a few hundred), the most connections and pending requests any one client proxy held for
 * the cluster, and the circuit-breaker overflows of all of them. Memory is bounded by buckets ×
 * destination clusters, whatever the number of proxies or requests; recording is O(1) amortised
 * and schedules nothing, so it never changes a run.
 */

/** The DestinationRule limits a cluster runs under (Envoy thresholds; 2^32−1 when unset). */
export interface PoolLimits {
  maxConnections: number;
  maxPending: number;
  maxRequests: number;
}

export interface PoolSeriesJson {
  cluster: string;
  service: string;
  limits: PoolLimits;
  /** Client proxies that used the cluster. */
  proxies: number;
  /** Per bucket: the most open connections / pending requests of any one client proxy. */
  connections: number[];
  pending: number[];
  /** Per bucket: circuit-breaker overflows (503 UO), all client proxies together. */
  overflows: number[];
}

interface Series {
  cluster: string;
  service: string;
  limits: PoolLimits;
  proxies: number;
  connections: Float64Array;
  pending: Float64Array;
  overflows: Float64Array;
}

/** One client proxy's view of one cluster: what it held last and since which bucket. */
export class PoolGauge {
  private connections = 0;
  private pending = 0;
  private lastIndex = 0;

  constructor(
    private readonly rec: PoolOccupancy,
    private readonly s: Series,
  ) {
    rec.gauges.push(this);
  }

  /** The proxy's open connections and pending requests for the cluster changed (now: `nowUs`). */
  set(nowUs: number, connections: number, pending: number): void {
    const i = this.rec.index(nowUs);
    this.carry(i);
    this.connections = connections;
    this.pending = pending;
    this.mark(i);
  }

  /** The cluster's limits changed (a new DestinationRule reached the proxy). */
  setLimits(limits: PoolLimits): void {
    this.s.limits = { ...limits };
  }

  /** A request overflowed a circuit breaker (503 UO). */
  overflow(nowUs: number): void {
    this.s.overflows[this.rec.index(nowUs)]!++;
  }

  /** The values held since the last change also held in every bucket up to `i`. */
  carry(i: number): void {
    for (let j = this.lastIndex; j <= i; j++) this.mark(j);
    this.lastIndex = i;
  }

  private mark(i: number): void {
    const s = this.s;
    if (this.connections > s.connections[i]!) s.connections[i] = this.connections;
    if (this.pending > s.pending[i]!) s.pending[i] = this.pending;
  }
}

export class PoolOccupancy {
  private readonly series = new Map<string, Series>();
  /** @internal every gauge, carried to the end when the series are read. */
  readonly gauges: PoolGauge[] = [];

  constructor(
    readonly widthUs: number,
    readonly count: number,
  ) {}

  index(tUs: number): number {
    return Math.min(this.count - 1, Math.max(0, Math.floor(tUs / this.widthUs)));
  }

  /** A gauge for one client proxy's cluster; `limits` are the cluster's (the latest wins). */
  gauge(cluster: string, service: string, limits: PoolLimits): PoolGauge {
    let s = this.series.get(cluster);
    if (!s) {
      const n = this.count;
      s = {
        cluster,
        service,
        limits,
        proxies: 0,
        connections: new Float64Array(n),
        pending: new Float64Array(n),
        overflows: new Float64Array(n),
      };
      this.series.set(cluster, s);
    }
    s.limits = { ...limits };
    s.proxies++;
    return new PoolGauge(this, s);
  }

  /** The series, clusters in name order; each gauge's last values carried to the end of the run. */
  toJson(): PoolSeriesJson[] {
    for (const g of this.gauges) g.carry(this.count - 1);
    return [...this.series.values()]
      .sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))
      .map((s) => ({
        cluster: s.cluster,
        service: s.service,
        limits: s.limits,
        proxies: s.proxies,
        connections: [...s.connections],
        pending: [...s.pending],
        overflows: [...s.overflows],
      }));
  }
}
