/**
 * Gateway API routes (`gateway.networking.k8s.io` v1 / v1beta1 / v1alpha2 HTTPRoute, GRPCRoute)
 * with the upstream field names and validation (kubernetes-sigs/gateway-api apis/v1/httproute_types.go,
 * grpcroute_types.go, shared_types.go and their CEL rules). Linkerd's own copy
 * (`policy.linkerd.io` HTTPRoute, linkerd/linkerd2 policy-controller/k8s/api/src/policy/httproute.rs)
 * has the same shape, so one schema serves both.
 *
 * General on purpose: parentRefs may name a Service (GAMMA, mesh routing:
 * https://gateway-api.sigs.k8s.io/mesh/gamma/) or a Gateway (ingress); readers decide which parents
 * they honour. Durations (GEP-2257) come out in microseconds.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** GEP-2257 duration: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, e.g. `1h`, `500ms`, `1m30s`; `0s` allowed. */
const GEP2257 = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const UNIT_US: Record<string, number> = { h: 3_600_000_000, m: 60_000_000, s: 1_000_000, ms: 1_000 };

export function parseGatewayDuration(text: string): number | undefined {
  if (!GEP2257.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) {
    const unitUs = UNIT_US[m[2] ?? ''];
    if (unitUs === undefined) return undefined;
    total += Number(m[1]) * unitUs;
  }
  return total;
}

export const gatewayDuration = () =>
  z.string({ error: 'expected a Gateway API duration such as 10s, 500ms or 1m30s' }).transform((s, ctx) => {
    const us = parseGatewayDuration(s);
    if (us === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid duration ${JSON.stringify(s)}: Gateway API durations match ^([0-9]{1,5}(h|m|s|ms)){1,4}$ (GEP-2257)`,
      });
      return z.NEVER;
    }
    return us;
  });

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const parentRefSchema = z.strictObject({
    group: z.string().optional(),
    kind: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().min(1, 'name must not be empty'),
    sectionName: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
  });

  const headerMatch = z.strictObject({
    type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
    name: z.string().min(1),
    value: z.string(),
  });

  const pathMatch = z.strictObject({
    type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
    value: z.string().default('/'),
  });

  const httpRouteMatch = z
    .strictObject({
      path: pathMatch.optional(),
      headers: z.array(headerMatch).max(16).optional(),
      queryParams: z.array(headerMatch).max(16).optional(),
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
    })
    .superRefine((m, ctx) => {
      // httproute_types.go CEL: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']".
      const p = m.path;
      if (p && p.type !== 'RegularExpression' && !p.value.startsWith('/'))
        ctx.addIssue({
          code: 'custom',
          path: ['path', 'value'],
          message: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
        });
      if (p?.type === 'RegularExpression') {
        try {
          new RegExp(p.value);
        } catch {
          ctx.addIssue({ code: 'custom', path: ['path', 'value'], message: `invalid regular expression ${JSON.stringify(p.value)}` });
        }
      }
    });

  const headerModifier = z.strictObject({
    set: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
    add: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
    remove: z.array(z.string()).optional(),
  });

  /** Filters: the standard ones plus Linkerd's `RequestHeaderModifier`-style extensions, each by `type`. */
  const filter = z
    .strictObject({
      type: z.enum([
        'RequestHeaderModifier',
        'ResponseHeaderModifier',
        'RequestMirror',
        'RequestRedirect',
        'URLRewrite',
        'ExtensionRef',
        'CORS',
      ]),
      requestHeaderModifier: headerModifier.optional(),
      responseHeaderModifier: headerModifier.optional(),
      requestMirror: z.record(z.string(), z.unknown()).optional(),
      requestRedirect: z.record(z.string(), z.unknown()).optional(),
      urlRewrite: z.record(z.string(), z.unknown()).optional(),
      extensionRef: z.strictObject({ group: z.string(), kind: z.string(), name: z.string() }).optional(),
      cors: z.record(z.string(), z.unknown()).optional(),
    })
    .superRefine((f, ctx) => {
      // shared CEL: "filter.<x> must be specified for <X> filter.type" and nil otherwise.
      const field = f.type[0]!.toLowerCase() + f.type.slice(1);
      const key = f.type === 'URLRewrite' ? 'urlRewrite' : f.type === 'CORS' ? 'cors' : field;
      if ((f as Record<string, unknown>)[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `filter.${key} must be specified for ${f.type} filter.type` });
    });

  const backendRefSchema = z.strictObject({
    group: z.string().optional(),
    kind: z.string().optional(),
    name: z.string().min(1, 'name must not be empty'),
    namespace: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    weight: z.number().int().min(0).max(1_000_000).default(1),
    filters: z.array(filter).optional(),
  });

  const sessionPersistence = z.record(z.string(), z.unknown());

  /** GEP-1731 retries (experimental channel): status codes 400-599, attempts, backoff. */
  const httpRouteRetry = z.strictObject({
    codes: z.array(z.number().int().min(400).max(599)).optional(),
    attempts: z.number().int().min(0).optional(),
    backoff: gatewayDuration().optional(),
  });

  const httpRouteRule = z
    .strictObject({
      name: z.string().optional(),
      matches: z
        .array(httpRouteMatch)
        .max(64)
        .default([{ path: { type: 'PathPrefix', value: '/' } }]),
      filters: z.array(filter).max(16).optional(),
      backendRefs: z.array(backendRefSchema).max(16).default([]),
      timeouts: z.strictObject({ request: gatewayDuration().optional(), backendRequest: gatewayDuration().optional() }).optional(),
      retry: httpRouteRetry.optional(),
      sessionPersistence: sessionPersistence.optional(),
    })
    .superRefine((r, ctx) => {
      // httproute_types.go CEL: "backendRequest timeout cannot be longer than request timeout".
      const t = r.timeouts;
      if (t?.request !== undefined && t.backendRequest !== undefined && t.request !== 0 && t.backendRequest > t.request)
        ctx.addIssue({
          code: 'custom',
          path: ['timeouts', 'backendRequest'],
          message: 'backendRequest timeout cannot be longer than request timeout',
        });
    });

  const routeCommon = {
    parentRefs: z.array(parentRefSchema).max(32).default([]),
    hostnames: z.array(z.string()).max(16).optional(),
  };

  const httpRouteSpec = z.strictObject({
    ...routeCommon,
    rules: z
      .array(httpRouteRule)
      .max(16)
      .default([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [] }]),
  });

  const grpcMethodMatch = z
    .strictObject({
      type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
      service: z.string().optional(),
      method: z.string().optional(),
    })
    .superRefine((m, ctx) => {
      // grpcroute_types.go CEL: "One or both of 'service' or 'method' must be specified".
      if (m.service === undefined && m.method === undefined)
        ctx.addIssue({ code: 'custom', message: "One or both of 'service' or 'method' must be specified" });
    });

  const grpcRouteRule = z.strictObject({
    name: z.string().optional(),
    matches: z
      .array(z.strictObject({ method: grpcMethodMatch.optional(), headers: z.array(headerMatch).max(16).optional() }))
      .max(64)
      .default([]),
    filters: z.array(filter).max(16).optional(),
    backendRefs: z.array(backendRefSchema).max(16).default([]),
    sessionPersistence: sessionPersistence.optional(),
  });

  const grpcRouteSpec = z.strictObject({ ...routeCommon, rules: z.array(grpcRouteRule).max(16).default([]) });
  return { parentRefSchema, httpRouteMatch, filter, backendRefSchema, httpRouteRule, httpRouteSpec, grpcRouteRule, grpcRouteSpec };
});
type Schemas = ReturnType<typeof schemas>;

export type ParentRef = z.output<Schemas['parentRefSchema']>;
export type HttpRouteMatch = z.output<Schemas['httpRouteMatch']>;
export type RouteFilter = z.output<Schemas['filter']>;
export type BackendRef = z.output<Schemas['backendRefSchema']>;
export type HttpRouteRule = z.output<Schemas['httpRouteRule']>;
export type HttpRouteSpec = z.output<Schemas['httpRouteSpec']>;
export type GrpcRouteRule = z.output<Schemas['grpcRouteRule']>;
export type GrpcRouteSpec = z.output<Schemas['grpcRouteSpec']>;

export const httpRouteSpec = z.lazy(() => schemas().httpRouteSpec);
export const grpcRouteSpec = z.lazy(() => schemas().grpcRouteSpec);

/** Whether a parentRef names a Service (GAMMA) rather than a Gateway (group "" / core, kind Service). */
export const isServiceParent = (p: ParentRef): boolean =>
  p.kind === 'Service' && (p.group === undefined || p.group === '' || p.group === 'core');

/** HTTPRoute match semantics (Gateway API: a rule matches if ANY of its matches does). */
export function httpMatches(m: HttpRouteMatch, req: { method: string; path: string; headers?: Readonly<Record<string, string>> }): boolean {
  if (m.method && m.method !== req.method) return false;
  const p = m.path;
  if (p) {
    if (p.type === 'Exact' && req.path !== p.value) return false;
    if (p.type === 'PathPrefix') {
      // Prefix matching is element-wise: "/foo" matches "/foo" and "/foo/bar", not "/foobar".
      const prefix = p.value.endsWith('/') && p.value !== '/' ? p.value.slice(0, -1) : p.value;
      if (!(prefix === '/' || req.path === prefix || req.path.startsWith(`${prefix}/`))) return false;
    }
    if (p.type === 'RegularExpression' && !new RegExp(`^(?:${p.value})$`).test(req.path)) return false;
  }
  for (const h of m.headers ?? []) {
    const v = req.headers?.[h.name.toLowerCase()] ?? req.headers?.[h.name];
    if (v === undefined) return false;
    if (h.type === 'Exact' ? v !== h.value : !new RegExp(`^(?:${h.value})$`).test(v)) return false;
  }
  return true;
}
