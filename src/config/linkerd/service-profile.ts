/**
 * The legacy ServiceProfile (`linkerd.io/v1alpha2`), with Linkerd's field names
 * (linkerd/linkerd2 controller/gen/apis/serviceprofile/v1alpha2/types.go; reference
 * https://linkerd.io/2-edge/reference/service-profiles/) and the controller's defaults
 * (controller/api/destination/profile_translator.go: retryBudget 0.2 / 10 per second / 10s when
 * the profile omits it; no default route timeout).
 *
 * A profile is named after the FQDN of the Service it describes (`web.default.svc.cluster.local`).
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { parseIstioDuration } from '../istio/outlier-schema.js';

/** Go time.ParseDuration as the controller uses it (`10s`, `250ms`, `1m30s`), to µs. */
export interface RequestMatch {
  method?: string;
  pathRegex?: string;
  all?: RequestMatch[];
  any?: RequestMatch[];
  not?: RequestMatch;
}
export interface ResponseMatch {
  status?: { min?: number; max?: number };
  all?: ResponseMatch[];
  any?: ResponseMatch[];
  not?: ResponseMatch;
}

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const goDuration = () =>
    z.string({ error: 'expected a duration such as 10s or 250ms' }).transform((s, ctx) => {
      const us = parseIstioDuration(s);
      if (us === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(s)}: use e.g. 10s, 250ms or 1m30s` });
        return z.NEVER;
      }
      return us;
    });

  const requestMatch: z.ZodType<RequestMatch> = z.lazy(() =>
    z
      .strictObject({
        method: z.string().optional(),
        pathRegex: z.string().optional(),
        all: z.array(requestMatch).optional(),
        any: z.array(requestMatch).optional(),
        not: requestMatch.optional(),
      })
      .superRefine((m, ctx) => {
        if (m.pathRegex !== undefined) {
          try {
            new RegExp(m.pathRegex);
          } catch {
            ctx.addIssue({ code: 'custom', path: ['pathRegex'], message: `invalid regex ${JSON.stringify(m.pathRegex)}` });
          }
        }
      }),
  );

  const responseMatch: z.ZodType<ResponseMatch> = z.lazy(() =>
    z.strictObject({
      status: z
        .strictObject({ min: z.number().int().min(100).max(599).optional(), max: z.number().int().min(100).max(599).optional() })
        .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'status range min must not exceed max')
        .optional(),
      all: z.array(responseMatch).optional(),
      any: z.array(responseMatch).optional(),
      not: responseMatch.optional(),
    }),
  );

  const route = z.strictObject({
    name: z.string().min(1, 'a route needs a name'),
    condition: requestMatch,
    responseClasses: z.array(z.strictObject({ condition: responseMatch, isFailure: z.boolean().default(false) })).optional(),
    isRetryable: z.boolean().default(false),
    timeout: goDuration().optional(),
  });

  /** Weight: a Kubernetes quantity (`500m`, `1`, `100`), read as decimillis by the controller. */
  const weight = z
    .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?m?$/, 'expected a quantity such as 1, 100 or 500m')])
    .transform((w) => {
      if (typeof w === 'number') return w;
      return w.endsWith('m') ? Number(w.slice(0, -1)) / 1000 : Number(w);
    });

  const serviceProfileSpec = z.strictObject({
    routes: z.array(route).default([]),
    retryBudget: z
      .strictObject({
        retryRatio: z.number().min(0),
        minRetriesPerSecond: z.number().int().min(0),
        ttl: goDuration(),
      })
      .optional(),
    dstOverrides: z.array(z.strictObject({ authority: z.string().min(1), weight })).optional(),
    opaquePorts: z.array(z.string()).optional(),
  });
  return { serviceProfileSpec };
});
type Schemas = ReturnType<typeof schemas>;

export type ServiceProfileSpec = z.output<Schemas['serviceProfileSpec']>;

export const serviceProfileSpec = z.lazy(() => schemas().serviceProfileSpec);

/** profile_translator.go defaultRetryBudget. */
export const DEFAULT_RETRY_BUDGET = { retryRatio: 0.2, minRetriesPerSecond: 10, ttlUs: 10_000_000 } as const;

export function effectiveRetryBudget(spec: ServiceProfileSpec): { retryRatio: number; minRetriesPerSecond: number; ttlUs: number } {
  const b = spec.retryBudget;
  return b ? { retryRatio: b.retryRatio, minRetriesPerSecond: b.minRetriesPerSecond, ttlUs: b.ttl } : { ...DEFAULT_RETRY_BUDGET };
}

export function requestMatches(m: RequestMatch, req: { method: string; path: string }): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (m.pathRegex !== undefined && !new RegExp(`^(?:${m.pathRegex})$`).test(req.path)) return false;
  if (m.all && !m.all.every((x) => requestMatches(x, req))) return false;
  if (m.any && !m.any.some((x) => requestMatches(x, req))) return false;
  if (m.not && requestMatches(m.not, req)) return false;
  return true;
}

export function responseMatches(m: ResponseMatch, status: number): boolean {
  if (m.status && ((m.status.min !== undefined && status < m.status.min) || (m.status.max !== undefined && status > m.status.max)))
    return false;
  if (m.all && !m.all.every((x) => responseMatches(x, status))) return false;
  if (m.any && !m.any.some((x) => responseMatches(x, status))) return false;
  if (m.not && responseMatches(m.not, status)) return false;
  return true;
}

/**
 * Failure classification (linkerd2-proxy app/core/src/classify.rs): the first matching response
 * class decides; without one, HTTP 5xx is a failure.
 */
export function isFailure(classes: readonly { condition: ResponseMatch; isFailure: boolean }[] | undefined, status: number): boolean {
  for (const c of classes ?? []) if (responseMatches(c.condition, status)) return c.isFailure;
  return status >= 500 && status <= 599;
}
