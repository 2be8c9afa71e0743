/**
 * Retry policies with Envoy's retry_on meanings and Istio's defaults (istio/istio
 * pilot/pkg/networking/core/route/retry/retry.go; istio/api virtual_service.proto HTTPRetry; Envoy
 * docs/root/configuration/http/http_filters/router_filter.rst, source/common/router/retry_state_impl.cc).
 */
import type { HttpRetry } from '../config/istio/networking-schemas.js';

export interface RetryPolicy {
  numRetries: number;
  retryOn: ReadonlySet<string>;
  retriableCodes: ReadonlySet<number>;
  perTryTimeoutUs?: number;
  backoffBaseUs: number;
  /** previous_hosts predicate: retries avoid hosts already tried (up to 5 reselections). */
  previousHosts: boolean;
}

/** What one attempt came to, as the retry logic sees it. */
export type AttemptOutcome =
  { kind: 'status'; status: number; overloaded?: boolean } | { kind: 'connect-failure' } | { kind: 'reset' } | { kind: 'per-try-timeout' };

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
export const DEFAULT_BACKOFF_BASE_US = 25_000;

/**
 * The default policy's retriable_status_codes: none from Istio 1.24 (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY,
 * istio/istio PR #52111), [503] before it and under compatibilityVersion ≤ 1.23 (retry.go defaultPolicy).
 */
export const defaultRetriableCodes = (exclude503: boolean): readonly number[] => (exclude503 ? [] : [503]);

/**
 * Istio's policy for routes without `retries`: 2 retries on connect-failure, refused-stream,
 * unavailable, cancelled and retriable-status-codes, whose list is `codes` (so from Istio 1.24 a
 * plain 503 answer is NOT retried; before, it is).
 */
export function defaultRetryPolicy(consistentHash = false, codes: readonly number[] = []): RetryPolicy {
  return {
    numRetries: 2,
    retryOn: new Set(DEFAULT_RETRY_ON.split(',')),
    retriableCodes: new Set(codes),
    backoffBaseUs: DEFAULT_BACKOFF_BASE_US,
    // "we don't want to use other hosts during retries" for consistent-hash destinations (retry.go)
    previousHosts: !consistentHash,
  };
}

/**
 * The route's policy; undefined means no retries at all (`attempts: 0`). A policy starts from the
 * default (retry.go ConvertPolicy), so without `retryOn` it keeps the default's retry_on and
 * status codes (`defaultCodes`).
 */
export function compileRetryPolicy(
  r: HttpRetry | undefined,
  consistentHash: boolean,
  defaultCodes: readonly number[] = [],
): RetryPolicy | undefined {
  if (!r) return defaultRetryPolicy(consistentHash, defaultCodes);
  if (r.attempts === undefined || r.attempts <= 0) return undefined;
  const tokens = (r.retryOn ?? DEFAULT_RETRY_ON)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const retryOn = new Set<string>();
  const codes = new Set<number>(r.retryOn === undefined ? defaultCodes : []);
  for (const t of tokens) {
    // Numeric tokens become retriable status codes and switch on retriable-status-codes (retry.go).
    if (/^\d+$/.test(t)) {
      codes.add(Number(t));
      retryOn.add('retriable-status-codes');
    } else retryOn.add(t);
  }
  return {
    numRetries: r.attempts,
    retryOn,
    retriableCodes: codes,
    perTryTimeoutUs: r.perTryTimeout,
    backoffBaseUs: r.backoff ?? DEFAULT_BACKOFF_BASE_US,
    // retryIgnorePreviousHosts, when given, decides; otherwise the default's predicate (none for consistent hash).
    previousHosts: r.retryIgnorePreviousHosts ?? !consistentHash,
  };
}

/** "5xx", "gateway-error" and "reset" all cover a missing response (reset, connect failure, timeout). */
function retriesNoResponse(on: ReadonlySet<string>): boolean {
  return on.has('5xx') || on.has('gateway-error') || on.has('reset');
}

/** Whether Envoy would retry this outcome under the policy's retry_on (before counting retries). */
export function isRetriable(p: RetryPolicy, o: AttemptOutcome): boolean {
  // Most attempts are answered below 409, which retryOn retries only by retriable-status-codes.
  if (o.kind === 'status' && o.status < 409 && p.retriableCodes.size === 0) return false;
  return retriableOutcome(p, o);
}

function retriableOutcome(p: RetryPolicy, o: AttemptOutcome): boolean {
  const on = p.retryOn;
  switch (o.kind) {
    case 'connect-failure':
      return on.has('connect-failure') || retriesNoResponse(on) || on.has('reset-before-request');
    case 'reset':
      return retriesNoResponse(on);
    case 'per-try-timeout':
      // A per-try timeout is retried only under reset, 5xx or gateway-error (Envoy router_filter.rst, x-envoy-retry-on).
      return retriesNoResponse(on);
    case 'status': {
      // "We never retry if the overloaded header is set" (envoy source/common/router/retry_state_impl.cc
      // wouldRetryFromHeaders): an upstream Envoy's circuit-breaker overflow reply carries x-envoy-overloaded.
      if (o.overloaded) return false;
      // Cheap status tests first: most answers are 2xx and meet none of them.
      const s = o.status;
      if (s >= 500 && on.has('5xx')) return true;
      if ((s === 502 || s === 503 || s === 504) && on.has('gateway-error')) return true;
      if (s === 409 && on.has('retriable-4xx')) return true;
      return p.retriableCodes.size > 0 && p.retriableCodes.has(s) && on.has('retriable-status-codes');
    }
  }
}

/**
 * The interval retry `retry` (1-based) draws from, in whole ms, as current Envoy computes it
 * (envoyproxy/envoy source/common/common/backoff_strategy.cc,
 * JitteredExponentialBackOffStrategy::nextBackOffMs): the interval starts at the base and doubles
 * after each draw while it is below max/2, otherwise it becomes max. The router's max defaults to
 * 10 × base (api/envoy/config/route/v3/route_components.proto RetryBackOff.max_interval), and
 * Istio's `retries.backoff` sets only the base. With the 25 ms default: 25, 50, 100, 200, 250, 250…
 * (router_filter.rst's "0-24ms, 0-74ms…" describes the 2018 algorithm of envoy PR #3791.)
 */
export function backoffIntervalMs(retry: number, baseMs: number, maxMs = 10 * baseMs): number {
  let next = baseMs;
  for (let i = 1; i < retry; i++) next = next < maxMs / 2 ? next * 2 : maxMs;
  return next;
}

/**
 * Fully jittered back-off before retry `retry`: `random() % interval` ms, a whole number of
 * milliseconds uniform in [0, interval) (backoff_strategy.cc). Envoy keeps the base in ms.
 */
export function backoffUs(retry: number, u: () => number, baseUs: number): number {
  const baseMs = Math.max(1, Math.floor(baseUs / 1000));
  return Math.floor(u() * backoffIntervalMs(retry, baseMs)) * 1000;
}
