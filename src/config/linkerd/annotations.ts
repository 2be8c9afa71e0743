/**
 * Linkerd's reliability annotations on a Service or on an HTTPRoute/GRPCRoute whose parent is a
 * Service (Linkerd ≥ 2.16), read the way the policy controller reads them
 * (linkerd/linkerd2 policy-controller/k8s/index/src/outbound/index.rs, index/http.rs, index/grpc.rs;
 * docs https://linkerd.io/2.18/reference/retries/, /2-edge/reference/timeouts/,
 * /2-edge/reference/circuit-breaking/):
 *
 * - `retry.linkerd.io/http`: comma list of `5xx` (500-599), `gateway-error` (502-504), a status
 *   code or a range `a-b` (codes 100-599); `retry.linkerd.io/grpc`: gRPC status names;
 *   `retry.linkerd.io/limit` (default 1 when any retry key is set; 0 counts as unset);
 *   `retry.linkerd.io/timeout` (per attempt).
 * - `timeout.linkerd.io/request`, `/response`, `/idle`.
 * - `balancer.linkerd.io/failure-accrual: consecutive` and its `-consecutive-*` knobs
 *   (max-failures 7, min-penalty 1s, max-penalty 60s, jitter-ratio 0.5).
 *
 * Durations: an integer and one of ms|s|m|h|d (`0` needs no unit). Values come out in µs.
 * Problems are returned per annotation key so the caller can point at the YAML node.
 */

export const RETRY_PREFIX = 'retry.linkerd.io/';
export const TIMEOUT_PREFIX = 'timeout.linkerd.io/';
export const ACCRUAL_KEY = 'balancer.linkerd.io/failure-accrual';

/** Status ranges, inclusive, e.g. [[500, 599]]. */
export type StatusRanges = [number, number][];

export const GRPC_RETRY_CODES = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;
export type GrpcRetryCode = (typeof GRPC_RETRY_CODES)[number];

export interface LinkerdRetry {
  /** undefined: no `retry.linkerd.io/http` key; the proxy's default status set is 500-599. */
  http?: StatusRanges;
  grpc?: GrpcRetryCode[];
  limit: number;
  /** Per-attempt timeout, µs. */
  timeoutUs?: number;
}

export interface LinkerdTimeouts {
  requestUs?: number;
  responseUs?: number;
  idleUs?: number;
}

export interface FailureAccrual {
  kind: 'consecutive';
  maxFailures: number;
  minPenaltyUs: number;
  maxPenaltyUs: number;
  jitterRatio: number;
}

export interface LinkerdAnnotations {
  retry?: LinkerdRetry;
  timeouts?: LinkerdTimeouts;
  failureAccrual?: FailureAccrual;
}

export interface AnnotationProblem {
  key: string;
  severity: 'error' | 'warning';
  message: string;
}

/** Defaults of the consecutive-failures breaker (linkerd2 index.rs; circuit-breaking reference). */
export const FAILURE_ACCRUAL_DEFAULTS: FailureAccrual = {
  kind: 'consecutive',
  maxFailures: 7,
  minPenaltyUs: 1_000_000,
  maxPenaltyUs: 60_000_000,
  jitterRatio: 0.5,
};

const UNIT_US: Record<string, number> = { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86_400e6 };

/** `250ms` → 250 000 µs; `0` → 0; undefined when malformed (index.rs parse_duration). */
export function parseLinkerdDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(t);
  const unitUs = UNIT_US[m?.[2] ?? ''];
  return m && unitUs !== undefined ? Number(m[1]) * unitUs : undefined;
}

function parseHttpConditions(text: string): StatusRanges | string {
  const out: StatusRanges = [];
  for (const raw of text.split(',')) {
    const part = raw.trim().toLowerCase();
    if (part === '') continue;
    if (part === '5xx') out.push([500, 599]);
    else if (part === 'gateway-error') out.push([502, 504]);
    else {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
      if (!m || lo < 100 || hi > 599 || lo > hi)
        return `invalid status range ${JSON.stringify(raw.trim())}: use 5xx, gateway-error, a code or a range a-b within 100-599`;
      out.push([lo, hi]);
    }
  }
  return out;
}

export function parseLinkerdAnnotations(annotations: Readonly<Record<string, string>>): {
  value: LinkerdAnnotations;
  problems: AnnotationProblem[];
} {
  const problems: AnnotationProblem[] = [];
  const value: LinkerdAnnotations = {};
  const err = (key: string, message: string) => problems.push({ key, severity: 'error', message: `annotation ${key}: ${message}` });
  const duration = (key: string): number | undefined => {
    const v = annotations[key];
    if (v === undefined) return undefined;
    const us = parseLinkerdDuration(v);
    if (us === undefined) err(key, `invalid duration ${JSON.stringify(v)}: use an integer with ms, s, m, h or d (e.g. 300ms)`);
    return us;
  };

  const retryKeys = Object.keys(annotations).filter((k) => k.startsWith(RETRY_PREFIX));
  for (const k of retryKeys)
    if (!['http', 'grpc', 'limit', 'timeout'].includes(k.slice(RETRY_PREFIX.length)))
      err(k, `unknown Linkerd retry annotation (known: ${RETRY_PREFIX}http, grpc, limit, timeout)`);
  if (retryKeys.length > 0) {
    const retry: LinkerdRetry = { limit: 1 };
    const http = annotations[`${RETRY_PREFIX}http`];
    if (http !== undefined) {
      const r = parseHttpConditions(http);
      if (typeof r === 'string') err(`${RETRY_PREFIX}http`, r);
      else retry.http = r;
    }
    const grpc = annotations[`${RETRY_PREFIX}grpc`];
    if (grpc !== undefined) {
      const codes = grpc
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const bad = codes.filter((c) => !(GRPC_RETRY_CODES as readonly string[]).includes(c));
      if (bad.length) err(`${RETRY_PREFIX}grpc`, `unknown gRPC status ${JSON.stringify(bad[0])} (known: ${GRPC_RETRY_CODES.join(', ')})`);
      else retry.grpc = codes as GrpcRetryCode[];
    }
    const limit = annotations[`${RETRY_PREFIX}limit`];
    if (limit !== undefined) {
      if (!/^\d+$/.test(limit.trim())) err(`${RETRY_PREFIX}limit`, `expected a non-negative integer, got ${JSON.stringify(limit)}`);
      else if (Number(limit) > 0) retry.limit = Number(limit); // 0 is treated as unset (index.rs)
    }
    const timeoutUs = duration(`${RETRY_PREFIX}timeout`);
    if (timeoutUs !== undefined) retry.timeoutUs = timeoutUs;
    value.retry = retry;
  }

  const timeoutKeys = Object.keys(annotations).filter((k) => k.startsWith(TIMEOUT_PREFIX));
  for (const k of timeoutKeys)
    if (!['request', 'response', 'idle'].includes(k.slice(TIMEOUT_PREFIX.length)))
      err(k, `unknown Linkerd timeout annotation (known: ${TIMEOUT_PREFIX}request, response, idle)`);
  if (timeoutKeys.length > 0) {
    const t: LinkerdTimeouts = {};
    const requestUs = duration(`${TIMEOUT_PREFIX}request`);
    const responseUs = duration(`${TIMEOUT_PREFIX}response`);
    const idleUs = duration(`${TIMEOUT_PREFIX}idle`);
    if (requestUs) t.requestUs = requestUs;
    if (responseUs) t.responseUs = responseUs;
    if (idleUs) t.idleUs = idleUs;
    value.timeouts = t;
  }

  const mode = annotations[ACCRUAL_KEY];
  const knobKeys = Object.keys(annotations).filter((k) => k.startsWith(`${ACCRUAL_KEY}-`));
  if (mode !== undefined) {
    if (mode === 'unified') {
      problems.push({
        key: ACCRUAL_KEY,
        severity: 'warning',
        message: `annotation ${ACCRUAL_KEY}: "unified" (Linkerd 2.20) is modelled as "consecutive"; its success-rate trip is not simulated`,
      });
    } else if (mode !== 'consecutive')
      err(ACCRUAL_KEY, `unsupported failure accrual mode ${JSON.stringify(mode)} (Linkerd accepts "consecutive")`);
    const fa: FailureAccrual = { ...FAILURE_ACCRUAL_DEFAULTS };
    const knob = (suffix: string) => annotations[`${ACCRUAL_KEY}-consecutive-${suffix}`];
    const maxF = knob('max-failures');
    if (maxF !== undefined) {
      if (!/^\d+$/.test(maxF.trim()) || Number(maxF) < 1)
        err(`${ACCRUAL_KEY}-consecutive-max-failures`, `expected a positive integer, got ${JSON.stringify(maxF)}`);
      else fa.maxFailures = Number(maxF);
    }
    const minP = duration(`${ACCRUAL_KEY}-consecutive-min-penalty`);
    const maxP = duration(`${ACCRUAL_KEY}-consecutive-max-penalty`);
    if (minP !== undefined) fa.minPenaltyUs = minP;
    if (maxP !== undefined) fa.maxPenaltyUs = maxP;
    if (maxP !== undefined && maxP <= 0) err(`${ACCRUAL_KEY}-consecutive-max-penalty`, 'must be greater than zero');
    else if (fa.minPenaltyUs > fa.maxPenaltyUs) err(`${ACCRUAL_KEY}-consecutive-min-penalty`, 'min-penalty must not exceed max-penalty');
    const jitter = knob('jitter-ratio');
    if (jitter !== undefined) {
      const j = Number(jitter);
      if (jitter.trim() === '' || !Number.isFinite(j) || j < 0 || j > 100)
        err(`${ACCRUAL_KEY}-consecutive-jitter-ratio`, `expected a number in 0..100, got ${JSON.stringify(jitter)}`);
      else fa.jitterRatio = j;
    }
    value.failureAccrual = fa;
  } else {
    for (const k of knobKeys)
      problems.push({ key: k, severity: 'warning', message: `annotation ${k} has no effect without ${ACCRUAL_KEY}: consecutive` });
  }
  return { value, problems };
}

/**
 * Route annotations override ALL keys of the same kind on the Service (retries.md: "any
 * retry annotation on a route overrides all retry annotations on the Service"; same for timeouts).
 */
export function mergeRouteAnnotations(service: LinkerdAnnotations, route: LinkerdAnnotations): LinkerdAnnotations {
  return {
    retry: route.retry ?? service.retry,
    timeouts: route.timeouts ?? service.timeouts,
    failureAccrual: service.failureAccrual,
  };
}

/** Is `status` retryable under `ranges` (the proxy default is 500-599 when no http key is set)? */
export function statusRetryable(ranges: StatusRanges | undefined, status: number): boolean {
  const rs = ranges ?? [[500, 599]];
  return rs.some(([lo, hi]) => status >= lo && status <= hi);
}
