/**
 * Envoy's outlier detector for ONE cluster of ONE client proxy, configured the way Istio
 * configures it. Behaviour transcribed (never code) from envoyproxy/envoy
 * source/common/upstream/outlier_detection_impl.{h,cc} and test/common/upstream/
 * outlier_detection_impl_test.cc; Istio's mapping from istio/istio pilot/pkg/networking/core/
 * cluster_traffic_policy.go (applyOutlierDetection). Settings, their defaults and Istio's mapping:
 * config/istio/outlier-config.ts.
 *
 * Pure and deterministic: no timers, no clock of its own. Times are simulated microseconds. The
 * caller (1) reports every upstream result, (2) calls tick() every `intervalUs` from the moment the
 * detector was created (Envoy arms its sweep timer at cluster creation, not at ejection), and
 * (3) asks hostsForLb() which hosts to balance over.
 *
 * Only consecutive-error detectors exist. Success-rate and failure-percentage ejection are left
 * out on purpose: Istio always sets enforcing_success_rate = 0 and never enables failure
 * percentage, so neither can eject a host in an Istio mesh.
 */
import { DEFAULT_OUTLIER_CONFIG, defaultMaxEjectionTimeUs, type OutlierDetectorConfig } from '../config/istio/outlier-config.js';

export type OutlierEjectionType = 'CONSECUTIVE_5XX' | 'CONSECUTIVE_GATEWAY_FAILURE' | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE';

/** An enforced ejection or an un-ejection (Envoy's event log `EJECT`/`UNEJECT`, enforced only). */
export interface OutlierEvent<H> {
  action: 'eject' | 'uneject';
  host: H;
  /** For 'uneject': the type of the ejection that ended. */
  type: OutlierEjectionType;
  /** Ejections of this host so far (Envoy's num_ejections; never decreases). */
  numEjections: number;
  atUs: number;
}

/**
 * Local-origin results as Envoy's router reports them: `connect_failed` for a connect failure or
 * reset before a response, `timeout` for a per-try/route timeout, `connect_success` once a
 * connection is ready for the request (reported for every request, reused connections included).
 */
export type LocalOriginResult = 'connect_failed' | 'timeout' | 'connect_success';

/** Envoy's stat names (cluster.<name>.outlier_detection.*). */
export interface OutlierStats {
  ejections_active: number;
  ejections_enforced_total: number;
  ejections_overflow: number;
  ejections_enforced_consecutive_5xx: number;
  ejections_detected_consecutive_5xx: number;
  ejections_enforced_consecutive_gateway_failure: number;
  ejections_detected_consecutive_gateway_failure: number;
  ejections_enforced_consecutive_local_origin_failure: number;
  ejections_detected_consecutive_local_origin_failure: number;
  /** Deprecated Envoy counters, kept for parity with Envoy's tests. */
  ejections_total: number;
  ejections_consecutive_5xx: number;
}

/** A read-only snapshot of one host's monitor (Envoy's DetectorHostMonitorImpl). */
export interface OutlierHostState {
  ejected: boolean;
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  numEjections: number;
  /** Multiplier of baseEjectionTime for the current/next ejection (Envoy's ejectTimeBackoff). */
  ejectTimeBackoff: number;
  lastEjectionUs?: number;
  lastUnejectionUs?: number;
  lastEjectionType?: OutlierEjectionType;
}

export interface OutlierDetectorOptions<H> {
  /** Current simulated time in µs (stamps ejections). */
  now: () => number;
  onEvent?: (event: OutlierEvent<H>) => void;
  /** Uniform [0,1) draw; only consulted for an enforcing_* percentage strictly between 0 and 100. */
  uniform?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type HostMonitor = Mutable<OutlierHostState>;

const freshMonitor = (): HostMonitor => ({
  ejected: false,
  consecutive5xx: 0,
  consecutiveGatewayFailure: 0,
  consecutiveLocalOriginFailure: 0,
  numEjections: 0,
  ejectTimeBackoff: 0,
});

const STAT_SUFFIX = {
  CONSECUTIVE_5XX: 'consecutive_5xx',
  CONSECUTIVE_GATEWAY_FAILURE: 'consecutive_gateway_failure',
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE: 'consecutive_local_origin_failure',
} as const satisfies Record<OutlierEjectionType, string>;

export class OutlierDetector<H> {
  readonly config: Readonly<OutlierDetectorConfig>;
  readonly intervalUs: number;
  private readonly monitors = new Map<H, HostMonitor>();
  private readonly counters: OutlierStats = {
    ejections_active: 0,
    ejections_enforced_total: 0,
    ejections_overflow: 0,
    ejections_enforced_consecutive_5xx: 0,
    ejections_detected_consecutive_5xx: 0,
    ejections_enforced_consecutive_gateway_failure: 0,
    ejections_detected_consecutive_gateway_failure: 0,
    ejections_enforced_consecutive_local_origin_failure: 0,
    ejections_detected_consecutive_local_origin_failure: 0,
    ejections_total: 0,
    ejections_consecutive_5xx: 0,
  };

  /** `config` overrides DEFAULT_OUTLIER_CONFIG; maxEjectionTimeUs defaults to max(300 s, base). */
  constructor(
    config: Partial<OutlierDetectorConfig>,
    hosts: Iterable<H>,
    private readonly opts: OutlierDetectorOptions<H>,
  ) {
    const base = config.baseEjectionTimeUs ?? DEFAULT_OUTLIER_CONFIG.baseEjectionTimeUs;
    const c = { ...DEFAULT_OUTLIER_CONFIG, maxEjectionTimeUs: defaultMaxEjectionTimeUs(base), ...config };
    if (!(c.intervalUs > 0)) throw new RangeError('outlier detection interval must be positive');
    // Envoy rejects this config: "max_ejection_time cannot be smaller than base_ejection_time".
    if (c.maxEjectionTimeUs < c.baseEjectionTimeUs)
      throw new RangeError('outlier detection max ejection time cannot be smaller than base ejection time');
    const rolled = [c.enforcingConsecutive5xx, c.enforcingConsecutiveGatewayFailure, c.enforcingConsecutiveLocalOriginFailure].some(
      (p) => p > 0 && p < 100,
    );
    if (rolled && !opts.uniform) throw new RangeError('an enforcing percentage between 0 and 100 needs opts.uniform');
    this.config = Object.freeze(c);
    this.intervalUs = c.intervalUs;
    for (const h of hosts) if (!this.monitors.has(h)) this.monitors.set(h, freshMonitor());
  }

  /** An HTTP response from `host` (Envoy putHttpResponseCode). Unknown hosts are ignored. */
  reportHttpStatus(host: H, status: number): void {
    const m = this.monitors.get(host);
    if (!m) return;
    if (status >= 500 && status < 600) {
      // Gateway check first, so a response completing both streaks ejects as a gateway failure.
      if (status >= 502 && status <= 504) {
        if (++m.consecutiveGatewayFailure === this.config.consecutiveGatewayFailure)
          this.onConsecutive(host, m, 'CONSECUTIVE_GATEWAY_FAILURE');
      } else {
        m.consecutiveGatewayFailure = 0;
      }
      // Equality trigger: fires once when the streak reaches N, not again above it.
      if (++m.consecutive5xx === this.config.consecutive5xx) this.onConsecutive(host, m, 'CONSECUTIVE_5XX');
    } else {
      m.consecutive5xx = 0;
      m.consecutiveGatewayFailure = 0;
    }
  }

  /**
   * A local-origin result (Envoy putResult). Unsplit (Istio default): an explicit `code` wins,
   * else connect_failed → 503, timeout → 504, connect_success → ignored. Split: failures feed the
   * local-origin streak and connect_success resets it; `code` is ignored.
   */
  reportLocalOrigin(host: H, result: LocalOriginResult, code?: number): void {
    const m = this.monitors.get(host);
    if (!m) return;
    if (!this.config.splitExternalLocalOriginErrors) {
      if (code !== undefined) this.reportHttpStatus(host, code);
      else if (result !== 'connect_success') this.reportHttpStatus(host, result === 'timeout' ? 504 : 503);
      return;
    }
    if (result === 'connect_success') {
      m.consecutiveLocalOriginFailure = 0;
    } else if (++m.consecutiveLocalOriginFailure === this.config.consecutiveLocalOriginFailure) {
      this.onConsecutive(host, m, 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE');
    }
  }

  /**
   * The interval sweep (Envoy onIntervalTimer): un-eject hosts whose min(base × backoff, max) has
   * elapsed since ejection, then decay the backoff of every non-ejected host un-ejected at least
   * one interval ago.
   */
  tick(nowUs: number = this.opts.now()): void {
    const { baseEjectionTimeUs: base, maxEjectionTimeUs: max } = this.config;
    for (const [host, m] of this.monitors) {
      if (m.ejected && Math.min(base * m.ejectTimeBackoff, max) <= nowUs - (m.lastEjectionUs as number)) this.uneject(host, m, nowUs);
    }
    for (const m of this.monitors.values()) {
      if (!m.ejected && m.lastUnejectionUs !== undefined && nowUs - m.lastUnejectionUs >= this.intervalUs && m.ejectTimeBackoff > 0) {
        m.ejectTimeBackoff--;
      }
    }
  }

  isEjected(host: H): boolean {
    return this.monitors.get(host)?.ejected ?? false;
  }

  /** True when fewer than healthyPanicThreshold % of `hosts` are un-ejected (Envoy panic mode). */
  inPanic(hosts: readonly H[]): boolean {
    if (hosts.length === 0) return false;
    const healthy = hosts.reduce((n, h) => (this.isEjected(h) ? n : n + 1), 0);
    return (100 * healthy) / hosts.length < this.config.healthyPanicThreshold;
  }

  /**
   * The hosts to load-balance over: the non-ejected ones; all of them in panic; an empty list
   * (→ local 503, flag UH "no healthy upstream") when none is healthy and the threshold is 0.
   */
  hostsForLb(hosts: readonly H[]): readonly H[] {
    if (!hosts.some((h) => this.isEjected(h))) return hosts;
    if (this.inPanic(hosts)) return hosts;
    return hosts.filter((h) => !this.isEjected(h));
  }

  /** Membership change: new hosts start fresh; removed hosts take their active ejection with them. */
  setHosts(hosts: Iterable<H>): void {
    const next = new Set(hosts);
    for (const [h, m] of this.monitors) {
      if (next.has(h)) continue;
      if (m.ejected) this.counters.ejections_active--;
      this.monitors.delete(h);
    }
    for (const h of next) if (!this.monitors.has(h)) this.monitors.set(h, freshMonitor());
  }

  stats(): OutlierStats {
    return { ...this.counters };
  }

  hostState(host: H): Readonly<OutlierHostState> | undefined {
    const m = this.monitors.get(host);
    return m ? { ...m } : undefined;
  }

  /** Envoy onConsecutiveErrorWorker: ignored while ejected; else detect, try to eject, reset. */
  private onConsecutive(host: H, m: HostMonitor, type: OutlierEjectionType): void {
    if (m.ejected) return;
    this.bump(`ejections_detected_${STAT_SUFFIX[type]}`);
    this.ejectHost(host, m, type);
    if (type === 'CONSECUTIVE_5XX') {
      this.counters.ejections_consecutive_5xx++;
      m.consecutive5xx = 0;
    } else if (type === 'CONSECUTIVE_GATEWAY_FAILURE') {
      m.consecutiveGatewayFailure = 0;
    } else {
      m.consecutiveLocalOriginFailure = 0;
    }
  }

  /** Envoy ejectHost: percentage check counting the new ejection (no implicit first host), then the enforcing roll. */
  private ejectHost(host: H, m: HostMonitor, type: OutlierEjectionType): void {
    const c = this.config;
    const active = this.counters.ejections_active;
    let allowed = (100 * (active + 1)) / this.monitors.size <= Math.min(100, c.maxEjectionPercent);
    if (c.alwaysEjectOneHost) allowed ||= active === 0;
    if (!allowed) {
      this.counters.ejections_overflow++;
      return;
    }
    if (type === 'CONSECUTIVE_5XX') this.counters.ejections_total++;
    const percent =
      type === 'CONSECUTIVE_5XX'
        ? c.enforcingConsecutive5xx
        : type === 'CONSECUTIVE_GATEWAY_FAILURE'
          ? c.enforcingConsecutiveGatewayFailure
          : c.enforcingConsecutiveLocalOriginFailure;
    if (!this.roll(percent)) return; // detected, not enforced
    const now = this.opts.now();
    this.counters.ejections_active++;
    this.counters.ejections_enforced_total++;
    this.bump(`ejections_enforced_${STAT_SUFFIX[type]}`);
    m.ejected = true;
    m.numEjections++;
    m.lastEjectionUs = now;
    m.lastEjectionType = type;
    // The multiplier stops growing once base × backoff reaches max + base.
    if (m.ejectTimeBackoff * c.baseEjectionTimeUs < c.maxEjectionTimeUs + c.baseEjectionTimeUs) m.ejectTimeBackoff++;
    this.opts.onEvent?.({ action: 'eject', host, type, numEjections: m.numEjections, atUs: now });
  }

  private uneject(host: H, m: HostMonitor, nowUs: number): void {
    this.counters.ejections_active--;
    m.ejected = false;
    m.consecutive5xx = 0;
    m.consecutiveGatewayFailure = 0;
    m.consecutiveLocalOriginFailure = 0;
    m.lastUnejectionUs = nowUs;
    const type = m.lastEjectionType as OutlierEjectionType;
    this.opts.onEvent?.({ action: 'uneject', host, type, numEjections: m.numEjections, atUs: nowUs });
  }

  /** Envoy runtime featureEnabled(percent): always for 100, never for 0, else a uniform draw. */
  private roll(percent: number): boolean {
    if (percent >= 100) return true;
    if (percent <= 0) return false;
    return (this.opts.uniform as () => number)() * 100 < percent;
  }

  private bump(name: keyof OutlierStats): void {
    this.counters[name]++;
  }
}
