/**
 * Envoy's retry back-off: fully jittered exponential, base 25 ms, cap 10 × base (250 ms).
 * Retry n (1-based) waits uniform in [0, min((2^n − 1) × base, cap)).
 * Source: Envoy router docs, x-envoy-retry-on / "Default retry back-off" (semantics.md §2.2).
 */
import type { Uniform } from '../kernel/random.js';

export const DEFAULT_BACKOFF_BASE_US = 25_000;

export function backoffUs(retry: number, u: Uniform, baseUs = DEFAULT_BACKOFF_BASE_US, maxUs = 10 * baseUs): number {
  const upper = Math.min((2 ** retry - 1) * baseUs, maxUs);
  return u() * upper;
}

/**
 * Istio's default retry policy when a route sets none: 2 retries on
 * connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes (no codes listed,
 * so a 503 answer is NOT retried), with the previous-hosts predicate (up to 5 host reselections).
 * Source: istio/istio pilot/pkg/networking/core/route/retry/retry.go DefaultPolicy (semantics.md §2.1).
 */
export const ISTIO_DEFAULT_RETRIES = 2;
export const HOST_SELECTION_RETRY_MAX_ATTEMPTS = 5;
