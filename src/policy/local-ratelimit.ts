/**
 * Local rate limiting as users configure it in Istio: an EnvoyFilter that inserts
 * `envoy.filters.http.local_ratelimit` into a sidecar's HTTP filter chain
 * (https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/). The filter
 * (envoy api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto;
 * source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc) keeps one token bucket
 * per filter instance, shared by the proxy's workers: it starts with `max_tokens`, a timer adds
 * `tokens_per_fill` (default 1) every `fill_interval`, never above `max_tokens`
 * (api/envoy/type/v3/token_bucket.proto). A request takes a token or, when `filter_enabled` and
 * `filter_enforced` select it, is answered 429 with response flag RL. Both fractions default to
 * 0% ("for safety"), which is why Istio's example sets them to 100%.
 * Every other EnvoyFilter patch is reported precisely (which patch, which filter) and ignored.
 */
import type { IstioResource } from '../config/istio/resources.js';
import type { EnvoyFilterSpec } from '../config/istio/envoyfilter-schemas.js';
import { parseDuration } from '../config/units.js';
import { DEFAULT_ROOT_NAMESPACE, selectorMatches, type WorkloadIdentity } from './peer-authentication.js';

export const RATE_LIMITED_STATUS = 429;
export const LOCAL_RATELIMIT_FILTER = 'envoy.filters.http.local_ratelimit';

export interface LocalRateLimit {
  /** `namespace/name` of the EnvoyFilter and the patch's index. */
  source: string;
  namespace: string;
  labels?: Readonly<Record<string, string>>;
  /** SIDECAR_INBOUND (the server's sidecar), SIDECAR_OUTBOUND (the caller's) or ANY (both). */
  context: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'ANY';
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalUs: number;
  /** Percentages (0–100) of requests the filter checks, and of checked requests it enforces. */
  enabledPercent: number;
  enforcedPercent: number;
}

export interface EnvoyFilterWarning {
  resource: IstioResource<EnvoyFilterSpec>;
  patch: number;
  message: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10000, MILLION: 1e6 };

/** A RuntimeFractionalPercent's default as a percentage; absent → 0 (local_rate_limit.proto: "Defaults to 0% of requests for safety"). */
function percentOf(v: unknown): number {
  const d = obj(obj(v)?.default_value);
  if (!d) return 0;
  const num = typeof d.numerator === 'number' ? d.numerator : 0;
  const den = DENOMINATORS[typeof d.denominator === 'string' ? d.denominator : 'HUNDRED'] ?? 100;
  return Math.min(100, (num / den) * 100);
}

/** The LocalRateLimit config of a patch value: inline, or wrapped in a udpa/xds TypedStruct. */
function rateLimitConfig(value: Obj): Obj | undefined {
  const tc = obj(value.typed_config) ?? obj(value.typedConfig);
  if (!tc) return undefined;
  const type = String(tc['@type'] ?? '');
  if (type.endsWith('TypedStruct')) return obj(tc.value);
  return tc;
}

export function localRateLimits(filters: readonly IstioResource<EnvoyFilterSpec>[]): {
  limits: LocalRateLimit[];
  warnings: EnvoyFilterWarning[];
} {
  const limits: LocalRateLimit[] = [];
  const warnings: EnvoyFilterWarning[] = [];
  for (const f of [...filters].sort((a, b) => a.order - b.order)) {
    f.spec.configPatches.forEach((p, i) => {
      const applyTo = String(p.applyTo ?? '');
      const value = obj(obj(p.patch)?.value);
      const name = typeof value?.name === 'string' ? value.name : undefined;
      const context = String(obj(p.match)?.context ?? 'ANY');
      const warn = (message: string) => warnings.push({ resource: f, patch: i, message });
      if (applyTo !== 'HTTP_FILTER' || name !== LOCAL_RATELIMIT_FILTER) {
        warn(
          `EnvoyFilter ${f.namespace}/${f.name}: configPatches[${i}] (${applyTo || 'no applyTo'}${name ? ` ${name}` : ''}, ${String(obj(p.patch)?.operation ?? '')}) is not simulated: only an HTTP_FILTER patch inserting ${LOCAL_RATELIMIT_FILTER} is; it is ignored`,
        );
        return;
      }
      if (context !== 'SIDECAR_INBOUND' && context !== 'SIDECAR_OUTBOUND' && context !== 'ANY') {
        warn(
          `EnvoyFilter ${f.namespace}/${f.name}: configPatches[${i}] applies to context ${context} (no such proxy is simulated); it is ignored`,
        );
        return;
      }
      const cfg = value ? rateLimitConfig(value) : undefined;
      const bucket = obj(cfg?.token_bucket);
      const interval = typeof bucket?.fill_interval === 'string' ? parseDuration(bucket.fill_interval) : undefined;
      const maxTokens = typeof bucket?.max_tokens === 'number' ? bucket.max_tokens : undefined;
      if (!cfg || maxTokens === undefined || interval === undefined || interval <= 0) {
        warn(
          `EnvoyFilter ${f.namespace}/${f.name}: configPatches[${i}] ${LOCAL_RATELIMIT_FILTER} has no token_bucket with max_tokens and fill_interval in its typed_config (a per-route or descriptor-only setup is not simulated); it is ignored`,
        );
        return;
      }
      if (cfg.descriptors !== undefined)
        warn(
          `EnvoyFilter ${f.namespace}/${f.name}: configPatches[${i}] descriptors are not simulated: only the filter's token_bucket applies`,
        );
      const perFill = obj(bucket?.tokens_per_fill);
      limits.push({
        source: `${f.namespace}/${f.name}#${i}`,
        namespace: f.namespace,
        labels: f.spec.workloadSelector?.labels,
        context,
        maxTokens,
        tokensPerFill:
          typeof bucket?.tokens_per_fill === 'number' ? bucket.tokens_per_fill : typeof perFill?.value === 'number' ? perFill.value : 1,
        fillIntervalUs: interval,
        enabledPercent: percentOf(cfg.filter_enabled),
        enforcedPercent: percentOf(cfg.filter_enforced),
      });
    });
  }
  return { limits, warnings };
}

/** The limits a workload's sidecar runs in `direction`: the EnvoyFilter's namespace or the root namespace, and its workloadSelector. */
export function limitsFor(
  limits: readonly LocalRateLimit[],
  w: WorkloadIdentity,
  direction: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND',
): LocalRateLimit[] {
  return limits.filter(
    (l) =>
      (l.context === direction || l.context === 'ANY') &&
      (l.namespace === w.namespace || l.namespace === DEFAULT_ROOT_NAMESPACE) &&
      selectorMatches(l.labels, w.labels),
  );
}

/** One filter instance's token bucket: full at creation, `tokensPerFill` more at each fill timer tick. */
export class TokenBucket {
  private tokens: number;
  private ticks = 0;

  constructor(
    private readonly limit: LocalRateLimit,
    private readonly createdUs: number,
  ) {
    this.tokens = limit.maxTokens;
  }

  /** Takes a token at `nowUs`; false when the bucket is empty. */
  take(nowUs: number): boolean {
    const ticks = Math.floor((nowUs - this.createdUs) / this.limit.fillIntervalUs);
    if (ticks > this.ticks) {
      this.tokens = Math.min(this.limit.maxTokens, this.tokens + (ticks - this.ticks) * this.limit.tokensPerFill);
      this.ticks = ticks;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
