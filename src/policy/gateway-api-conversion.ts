/**
 * Gateway API HTTPRoute rules as Istio turns them into VirtualService http routes, for both kinds
 * of parent: Gateways (ingress, policy/gateway-routes.ts) and Services (GAMMA mesh routing,
 * policy/gamma.ts). Source: istio/istio pilot/pkg/config/kube/gateway/conversion.go
 * (convertHTTPRoute, buildHTTPDestination, buildDestination, createURIMatch, createHeadersMatch,
 * createQueryParamsMatch, createMethodMatch, createHeadersFilter, createRedirectFilter,
 * createRewriteFilter, createMirrorFilter, sortHTTPRoutes, augmentPortMatch) and route_collections.go
 * (each rule split into one route per match).
 *
 * - Paths: PathPrefix drops a trailing `/` and becomes a prefix that the VirtualService matches
 *   path-separated (gateway route semantics, pilot/pkg/networking/core/route/route.go), Exact an
 *   exact match, RegularExpression a regex; headers, query parameters and method likewise.
 * - backendRefs: weight default 1, weight 0 dropped; all weights 0 (and no redirect) → a direct
 *   500. A Service backend needs a port and a plain name; a backend that does not resolve keeps
 *   its place and answers 500 (cluster_not_found_response_code INTERNAL_SERVER_ERROR).
 * - Filters: RequestHeaderModifier / ResponseHeaderModifier → `headers`, RequestRedirect →
 *   `redirect` (status 302 unless given: the CRD's default), URLRewrite → `rewrite`
 *   (ReplaceFullPath as a regex rewrite of `/.*`), RequestMirror → `mirrors` (100% unless percent
 *   or fraction), CORS → `corsPolicy`; any other filter rejects the whole route. Backend filters:
 *   only the two header modifiers.
 * - `timeouts.request` → route timeout; `timeouts.backendRequest` → per-try timeout with `retry`,
 *   else the route timeout; `retry` → attempts (default 2) on connect-failure, refused-stream,
 *   unavailable, cancelled and the listed codes.
 */
import type { BackendRef, HttpRouteMatch, HttpRouteRule, HttpRouteSpec, RouteFilter } from '../config/gateway-api/routes.js';
import type { HeaderOperations, HttpMatchRequest, HttpRoute, StringMatch } from '../config/istio/networking-schemas.js';
import type { MeshResource } from '../config/mesh-kinds.js';
import { CLUSTER_DOMAIN } from './hosts.js';

/** One VirtualService http route made from one match of an HTTPRoute rule. */
export interface ConvertedRule {
  http: HttpRoute;
  /** `namespace/name#rule` of the HTTPRoute rule it came from (the route id in traces and events). */
  id: string;
}

export interface RouteConversion {
  /** Istio's routes, one per match, in rule order (unsorted). */
  rules: ConvertedRule[];
  /** A hard error: Istio accepts none of the route (status Accepted=False); `rules` is empty. */
  rejected?: string;
  /** backendRefs (and mirror targets) that name no Service: each answers 500 (ResolvedRefs=False). */
  unresolved: { host: string; rule: number }[];
}

/** Istio's retry_on for HTTPRoute `retry` (conversion.go): the default's conditions plus the listed codes. */
const GATEWAY_API_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';

/** RequestRedirect statusCode default (gateway-api apis/v1/httproute_types.go: `+kubebuilder:default=302`). */
const REDIRECT_DEFAULT_STATUS = 302;

class Rejected extends Error {}

/** Converts an HTTPRoute's rules; `knownHost` says whether a Service FQDN exists (for `unresolved`). */
export function convertHttpRoute(r: MeshResource<HttpRouteSpec>, knownHost: (fqdn: string) => boolean): RouteConversion {
  const unresolved: RouteConversion['unresolved'] = [];
  const rules: ConvertedRule[] = [];
  try {
    r.spec.rules.forEach((rule, i) => {
      const id = `${r.namespace}/${r.name}#${i}`;
      const base = convertRuleActions(rule, r.namespace, (host) => {
        if (!knownHost(host)) unresolved.push({ host, rule: i });
      });
      const matches: (HttpRouteMatch | undefined)[] = rule.matches.length > 0 ? rule.matches : [undefined];
      for (const m of matches) rules.push({ id, http: m ? { ...base, match: [convertMatch(m)] } : { ...base } });
    });
  } catch (e) {
    if (e instanceof Rejected) return { rules: [], rejected: e.message, unresolved: [] };
    throw e;
  }
  return { rules, unresolved };
}

/** conversion.go createURIMatch / createHeadersMatch / createQueryParamsMatch / createMethodMatch. */
function convertMatch(m: HttpRouteMatch): HttpMatchRequest {
  const path = m.path ?? { type: 'PathPrefix' as const, value: '/' };
  let uri: StringMatch;
  if (path.type === 'Exact') uri = { exact: path.value };
  else if (path.type === 'RegularExpression') uri = { regex: path.value };
  // "When specified, a trailing `/` is ignored."
  else uri = { prefix: path.value !== '/' && path.value.endsWith('/') ? path.value.slice(0, -1) : path.value };
  const stringMatch = (x: { type: 'Exact' | 'RegularExpression'; value: string }): StringMatch =>
    x.type === 'Exact' ? { exact: x.value } : { regex: x.value };
  const out: HttpMatchRequest = { uri };
  if (m.headers?.length) out.headers = Object.fromEntries(m.headers.map((h) => [h.name.toLowerCase(), stringMatch(h)]));
  if (m.queryParams?.length) out.queryParams = Object.fromEntries(m.queryParams.map((q) => [q.name, stringMatch(q)]));
  if (m.method) out.method = { exact: m.method };
  return out;
}

/** Everything but the match: filters, backends, retry and timeouts (conversion.go convertHTTPRoute). */
function convertRuleActions(rule: HttpRouteRule, ns: string, seen: (host: string) => void): HttpRoute {
  const out: HttpRoute = {};
  for (const f of rule.filters ?? []) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        out.headers = { ...out.headers, request: headerOps(f.requestHeaderModifier) };
        break;
      case 'ResponseHeaderModifier':
        out.headers = { ...out.headers, response: headerOps(f.responseHeaderModifier) };
        break;
      case 'RequestRedirect':
        out.redirect = redirectOf(f.requestRedirect ?? {});
        break;
      case 'URLRewrite': {
        const rw = rewriteOf(f.urlRewrite ?? {});
        if (rw) out.rewrite = rw;
        break;
      }
      case 'RequestMirror': {
        // A mirror that does not resolve is dropped, not the route (conversion.go mirrorBackendErr).
        const m = f.requestMirror ?? {};
        let host: string;
        try {
          host = serviceHost(m.backendRef as BackendRef | undefined, ns, seen);
        } catch (e) {
          if (!(e instanceof Rejected)) throw e;
          break;
        }
        const percent = mirrorPercent(m);
        (out.mirrors ??= []).push({ destination: { host }, ...(percent !== undefined ? { percentage: { value: percent } } : {}) });
        break;
      }
      case 'CORS':
        out.corsPolicy = f.cors;
        break;
      default:
        throw new Rejected(`unsupported filter type "${f.type}"`);
    }
  }
  if (rule.retry) {
    const attempts = rule.retry.attempts ?? 2;
    out.retries = {
      attempts,
      // Invalid to set retryOn with no attempts (conversion.go).
      ...(attempts > 0 ? { retryOn: [GATEWAY_API_RETRY_ON, ...(rule.retry.codes ?? []).map(String)].join(',') } : {}),
      ...(rule.retry.backoff !== undefined ? { backoff: rule.retry.backoff } : {}),
    };
  }
  const t = rule.timeouts;
  if (t?.request !== undefined && t.request !== 0) out.timeout = t.request;
  if (t?.backendRequest !== undefined && t.backendRequest !== 0) {
    if (out.retries) out.retries.perTryTimeout = t.backendRequest;
    else out.timeout = t.backendRequest;
  }
  const live = rule.backendRefs.filter((b) => b.weight > 0);
  if (live.length === 0) {
    // "when there are no >0 weight backends return 500"
    if (!out.redirect) out.directResponse = { status: 500 };
    return out;
  }
  out.route = live.map((b) => {
    const headers = backendHeaders(b);
    return {
      destination: { host: serviceHost(b, ns, seen), ...(b.port !== undefined ? { port: { number: b.port } } : {}) },
      weight: b.weight,
      ...(headers ? { headers } : {}),
    };
  });
  return out;
}

/** conversion.go buildDestination: a Service's FQDN; other kinds resolve to nothing (500). */
function serviceHost(b: BackendRef | undefined, ns: string, seen: (host: string) => void): string {
  if (!b || typeof b.name !== 'string') throw new Rejected('backendRef is required');
  const group = b.group ?? '';
  const kind = b.kind ?? 'Service';
  if (!(kind === 'Service' && (group === '' || group === 'core'))) {
    const host = `${group}/${kind}/${b.name}`;
    seen(host);
    return host;
  }
  if (b.name.includes('.')) throw new Rejected('service name invalid; the name of the Service must be used, not the hostname.');
  // "Port is required when the referent is a Kubernetes Service."
  if (b.port === undefined) throw new Rejected('port is required in backendRef');
  const host = `${b.name}.${b.namespace ?? ns}.${CLUSTER_DOMAIN}`;
  seen(host);
  return host;
}

/** Backend-level filters: only the header modifiers (anything else rejects the route). */
function backendHeaders(b: BackendRef): HttpRoute['headers'] {
  let out: HttpRoute['headers'];
  for (const f of b.filters ?? []) {
    if (f.type === 'RequestHeaderModifier') out = { ...out, request: headerOps(f.requestHeaderModifier) };
    else if (f.type === 'ResponseHeaderModifier') out = { ...out, response: headerOps(f.responseHeaderModifier) };
    else throw new Rejected(`unsupported filter type "${f.type}"`);
  }
  return out;
}

type HeaderFilter = RouteFilter['requestHeaderModifier'];

/** conversion.go createHeadersFilter/headerListToMap: names lower-cased, the first of equal names kept. */
function headerOps(f: HeaderFilter): HeaderOperations {
  const toMap = (list: { name: string; value: string }[] | undefined) => {
    if (!list?.length) return undefined;
    const out: Record<string, string> = {};
    for (const h of list) if (!(h.name.toLowerCase() in out)) out[h.name.toLowerCase()] = h.value;
    return out;
  };
  const set = toMap(f?.set);
  const add = toMap(f?.add);
  return { ...(set ? { set } : {}), ...(add ? { add } : {}), ...(f?.remove?.length ? { remove: f.remove } : {}) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** conversion.go createRedirectFilter (only the status changes what the simulation does). */
function redirectOf(f: Record<string, unknown>): NonNullable<HttpRoute['redirect']> {
  const path = obj(f.path);
  const scheme = str(f.scheme);
  const port = num(f.port);
  return {
    redirectCode: num(f.statusCode) ?? REDIRECT_DEFAULT_STATUS,
    ...(str(f.hostname) !== undefined ? { authority: str(f.hostname) } : {}),
    ...(scheme !== undefined ? { scheme } : {}),
    ...(port !== undefined ? { port } : { derivePort: scheme !== undefined ? 'FROM_PROTOCOL_DEFAULT' : 'FROM_REQUEST_PORT' }),
    ...(path.type === 'ReplaceFullPath' && str(path.replaceFullPath) !== undefined ? { uri: str(path.replaceFullPath) } : {}),
  };
}

/** conversion.go createRewriteFilter: ReplacePrefixMatch → uri (trailing `/` dropped, `/` kept), ReplaceFullPath → regex. */
function rewriteOf(f: Record<string, unknown>): HttpRoute['rewrite'] {
  const path = obj(f.path);
  const out: NonNullable<HttpRoute['rewrite']> = {};
  if (path.type === 'ReplacePrefixMatch' && str(path.replacePrefixMatch) !== undefined) {
    const p = str(path.replacePrefixMatch)!;
    out.uri = p.endsWith('/') ? p.slice(0, -1) || '/' : p;
  } else if (path.type === 'ReplaceFullPath' && str(path.replaceFullPath) !== undefined) {
    out.uriRegexRewrite = { match: '/.*', rewrite: str(path.replaceFullPath)! };
  }
  if (str(f.hostname) !== undefined) out.authority = str(f.hostname);
  return out.uri === undefined && out.uriRegexRewrite === undefined && out.authority === undefined ? undefined : out;
}

/** conversion.go createMirrorFilter: fraction (denominator default 100), else percent, else unset (100%). */
function mirrorPercent(f: Record<string, unknown>): number | undefined {
  const fraction = obj(f.fraction);
  const n = num(fraction.numerator);
  if (n !== undefined) return (100 * n) / (num(fraction.denominator) ?? 100);
  return num(f.percent);
}

/** URI rank for sorting: Exact 3 > prefix 2 > regex 1; no uri -1 (conversion.go getURIRank). */
function uriRank(m: HttpMatchRequest | undefined): number {
  const u = m?.uri;
  return u?.exact !== undefined ? 3 : u?.prefix !== undefined ? 2 : u?.regex !== undefined ? 1 : -1;
}

const uriLength = (m: HttpMatchRequest | undefined): number => {
  const u = m?.uri;
  return (u?.exact ?? u?.prefix ?? u?.regex ?? '').length;
};

const count = (o: Record<string, unknown> | undefined) => (o ? Object.keys(o).length : 0);

/**
 * conversion.go sortHTTPRoutes (stable): routes without a match last; then Exact > PathPrefix >
 * RegularExpression, longer path, a method match, more headers, more query parameters.
 */
export function sortHttpRoutes<T extends ConvertedRule>(rules: readonly T[]): T[] {
  return [...rules].sort((x, y) => {
    const a = x.http.match?.[0];
    const b = y.http.match?.[0];
    if (!a || !b) return (a ? 0 : 1) - (b ? 0 : 1);
    if (uriRank(a) !== uriRank(b)) return uriRank(b) - uriRank(a);
    if (uriLength(a) !== uriLength(b)) return uriLength(b) - uriLength(a);
    if ((a.method === undefined) !== (b.method === undefined)) return a.method !== undefined ? -1 : 1;
    if (count(a.headers) !== count(b.headers)) return count(b.headers) - count(a.headers);
    return count(b.queryParams) - count(a.queryParams);
  });
}

/** conversion.go augmentPortMatch: a parentRef port restricts every route to that service port. */
export function withPortMatch(rules: readonly ConvertedRule[], port: number | undefined): ConvertedRule[] {
  if (port === undefined) return [...rules];
  return rules.map((r) => ({
    ...r,
    http: { ...r.http, match: r.http.match?.length ? r.http.match.map((m) => ({ ...m, port })) : [{ port }] },
  }));
}
