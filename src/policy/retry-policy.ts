/**
 * Retry policies with Envoy's retry_on meanings and Istio's defaults (semantics.md §2.1, §2.2;
 * istio/istio pilot/pkg/networking/core/route/retry/retry.go; Envoy router_filter.rst).
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
  { kind: 'status'; status: number } | { kind: 'connect-failure' } | { kind: 'reset' } | { kind: 'per-try-timeout' };

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
export const DEFAULT_BACKOFF_BASE_US = 25_000;

/** Istio's policy for routes without `retries`: 2 retries, so a plain 503 answer is NOT retried. */
export function defaultRetryPolicy(consistentHash = false): RetryPolicy {
  return {
    numRetries: 2,
    retryOn: new Set(DEFAULT_RETRY_ON.split(',')),
    retriableCodes: new Set(),
    backoffBaseUs: DEFAULT_BACKOFF_BASE_US,
    // "we don't want to use other hosts during retries" for consistent-hash destinations (retry.go)
    previousHosts: !consistentHash,
  };
}

/** The route's policy; undefined means no retries at all (`attempts: 0`). */
export function compileRetryPolicy(r: HttpRetry | undefined, consistentHash: boolean): RetryPolicy | undefined {
  if (!r) return defaultRetryPolicy(consistentHash);
  if (r.attempts === undefined || r.attempts <= 0) return undefined;
  const tokens = (r.retryOn ?? DEFAULT_RETRY_ON)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const retryOn = new Set<string>();
  const codes = new Set<number>();
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
    previousHosts: r.retryIgnorePreviousHosts !== false && !consistentHash,
  };
}

/** Whether Envoy would retry this outcome under the policy's retry_on (before counting retries). */
export function isRetriable(p: RetryPolicy, o: AttemptOutcome): boolean {
  const on = p.retryOn;
  // "5xx", "gateway-error" and "reset" all cover a missing response (reset, connect failure, timeout).
  const noResponse = on.has('5xx') || on.has('gateway-error') || on.has('reset');
  switch (o.kind) {
    case 'connect-failure':
      return on.has('connect-failure') || noResponse || on.has('reset-before-request');
    case 'reset':
      return noResponse;
    case 'per-try-timeout':
      // A per-try timeout is retried only under reset, 5xx or gateway-error (semantics.md §2.2).
      return noResponse;
    case 'status': {
      const s = o.status;
      if (on.has('5xx') && s >= 500) return true;
      if (on.has('gateway-error') && (s === 502 || s === 503 || s === 504)) return true;
      if (on.has('retriable-4xx') && s === 409) return true;
      return on.has('retriable-status-codes') && p.retriableCodes.has(s);
    }
  }
}

/**
 * Fully jittered exponential back-off: retry n waits uniform in [0, (2^n − 1) × base), capped at
 * 10 × base (Envoy: "the first retry will be delayed randomly between 0-24ms, the 2nd 0-74ms…").
 */
export function backoffUs(retry: number, u: () => number, baseUs: number): number {
  return u() * Math.min((2 ** retry - 1) * baseUs, 10 * baseUs);
}
