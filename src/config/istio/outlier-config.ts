/**
 * Outlier detection settings, the one place their defaults live: every knob of Envoy's outlier
 * detector that matters in an Istio mesh, with its default, and Istio's mapping of a
 * DestinationRule's `outlierDetection` onto them. The detector (policy/outlier.ts), the data plane,
 * validation warnings and analysis all read them from here.
 * Envoy: api/envoy/config/cluster/v3/outlier_detection.proto (field defaults) and
 * source/common/upstream/outlier_detection_impl.{h,cc} (DetectorConfig, DEFAULT_MAX_EJECTION_TIME_MS).
 * Istio: https://istio.io/latest/docs/reference/config/networking/destination-rule/#OutlierDetection
 * (istio/api networking/v1alpha3/destination_rule.proto) and istio/istio
 * pilot/pkg/networking/core/cluster_traffic_policy.go (applyOutlierDetection).
 */
/** DestinationRule trafficPolicy.outlierDetection as validated at the edge (durations in µs). */
export interface IstioOutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  /** Deprecated; ignored since Istio 1.7 (validation warns). */
  consecutiveErrors?: number;
  interval?: number;
  baseEjectionTime?: number;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
}

/** Envoy's OutlierDetection knobs that matter in Istio, fully resolved. Percentages are 0..100; times in µs. */
export interface OutlierDetectorConfig {
  consecutive5xx: number;
  enforcingConsecutive5xx: number;
  consecutiveGatewayFailure: number;
  enforcingConsecutiveGatewayFailure: number;
  splitExternalLocalOriginErrors: boolean;
  consecutiveLocalOriginFailure: number;
  enforcingConsecutiveLocalOriginFailure: number;
  intervalUs: number;
  baseEjectionTimeUs: number;
  /** Envoy default max(300 s, base); never set by Istio. */
  maxEjectionTimeUs: number;
  maxEjectionPercent: number;
  /** Envoy ≥1.31 opt-in (envoy#34796); never set by Istio. */
  alwaysEjectOneHost: boolean;
  /** Cluster healthy_panic_threshold; Istio sets it to minHealthPercent (default 0 = no panic). */
  healthyPanicThreshold: number;
}

const S = 1e6;
/** Envoy's DEFAULT_MAX_EJECTION_TIME_MS (10 × the default base ejection time of 30 s). */
const ENVOY_DEFAULT_MAX_EJECTION_TIME_US = 300 * S;

/** Envoy's max_ejection_time when unset: max(300 s, base_ejection_time), so it is never below the base. */
export function defaultMaxEjectionTimeUs(baseEjectionTimeUs: number): number {
  return Math.max(ENVOY_DEFAULT_MAX_EJECTION_TIME_US, baseEjectionTimeUs);
}

/**
 * Every knob's default in an Istio mesh, i.e. what a DestinationRule with `outlierDetection: {}`
 * produces. Envoy's own defaults (outlier_detection.proto), except the panic threshold.
 */
export const DEFAULT_OUTLIER_CONFIG: Readonly<OutlierDetectorConfig> = Object.freeze({
  /** consecutive_5xx: 5, enforced at 100 %. */
  consecutive5xx: 5,
  enforcingConsecutive5xx: 100,
  /** consecutive_gateway_failure: 5, enforced at 0 % (detected, never ejects). */
  consecutiveGatewayFailure: 5,
  enforcingConsecutiveGatewayFailure: 0,
  /** split_external_local_origin_errors: false (local-origin failures count as 5xx / gateway errors). */
  splitExternalLocalOriginErrors: false,
  /** consecutive_local_origin_failure: 5, enforced at 100 % (used only when split). */
  consecutiveLocalOriginFailure: 5,
  enforcingConsecutiveLocalOriginFailure: 100,
  /** interval: 10 s between sweeps. */
  intervalUs: 10 * S,
  /** base_ejection_time: 30 s, multiplied by the host's ejection count. */
  baseEjectionTimeUs: 30 * S,
  maxEjectionTimeUs: defaultMaxEjectionTimeUs(30 * S),
  /** max_ejection_percent: 10 %. */
  maxEjectionPercent: 10,
  alwaysEjectOneHost: false,
  /** Envoy's cluster default is 50 %; Istio always sets it from minHealthPercent, whose default is 0. */
  healthyPanicThreshold: 0,
});

/**
 * Istio's mapping onto Envoy (applyOutlierDetection): unset counts keep Envoy's defaults (5xx: 5 at
 * 100 %, gateway: 5 at 0 % i.e. off, local origin: 5 at 100 %); a set count N enforces at 100 % if
 * N > 0 and 0 % if N = 0; consecutiveLocalOriginFailures only counts when split is on and > 0;
 * maxEjectionPercent only if > 0; minHealthPercent always becomes the panic threshold.
 */
export function outlierConfigFromIstio(od: IstioOutlierDetection): OutlierDetectorConfig {
  const D = DEFAULT_OUTLIER_CONFIG;
  const enforce = (n: number | undefined, unset: number) => (n === undefined ? unset : n > 0 ? 100 : 0);
  const split = od.splitExternalLocalOriginErrors === true;
  const localN = split && (od.consecutiveLocalOriginFailures ?? 0) > 0 ? od.consecutiveLocalOriginFailures : undefined;
  const base = od.baseEjectionTime ?? D.baseEjectionTimeUs;
  return {
    consecutive5xx: od.consecutive5xxErrors ?? D.consecutive5xx,
    enforcingConsecutive5xx: enforce(od.consecutive5xxErrors, D.enforcingConsecutive5xx),
    consecutiveGatewayFailure: od.consecutiveGatewayErrors ?? D.consecutiveGatewayFailure,
    enforcingConsecutiveGatewayFailure: enforce(od.consecutiveGatewayErrors, D.enforcingConsecutiveGatewayFailure),
    splitExternalLocalOriginErrors: split,
    consecutiveLocalOriginFailure: localN ?? D.consecutiveLocalOriginFailure,
    enforcingConsecutiveLocalOriginFailure: D.enforcingConsecutiveLocalOriginFailure,
    intervalUs: od.interval ?? D.intervalUs,
    baseEjectionTimeUs: base,
    maxEjectionTimeUs: defaultMaxEjectionTimeUs(base),
    maxEjectionPercent: od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0 ? od.maxEjectionPercent : D.maxEjectionPercent,
    alwaysEjectOneHost: D.alwaysEjectOneHost,
    healthyPanicThreshold: od.minHealthPercent ?? D.healthyPanicThreshold,
  };
}
