/**
 * VirtualService request matching (istio/api virtual_service.proto HTTPMatchRequest; istio/istio
 * pilot/pkg/networking/core/route/route.go TranslateRouteMatch): within one match block every condition must hold; blocks are alternatives. String
 * matches are case-sensitive; `prefix` is a plain string prefix; `regex` is a full match (RE2 in
 * Envoy, JavaScript RegExp here, anchored). Header names are lower-case; an empty match `{}`
 * tests presence. `ignoreUriCase` affects exact and prefix uri matches only.
 */
import type { HttpMatchRequest, StringMatch } from '../config/istio/networking-schemas.js';
import type { RequestShape } from '../config/model.js';

const regexCache = new Map<string, RegExp>();

function fullRegex(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) regexCache.set(pattern, (r = new RegExp(`^(?:${pattern})$`)));
  return r;
}

export function stringMatches(m: StringMatch, value: string | undefined, ignoreCase = false): boolean {
  if (m.exact !== undefined) return value !== undefined && (ignoreCase ? value.toLowerCase() === m.exact.toLowerCase() : value === m.exact);
  if (m.prefix !== undefined)
    return value !== undefined && (ignoreCase ? value.toLowerCase().startsWith(m.prefix.toLowerCase()) : value.startsWith(m.prefix));
  if (m.regex !== undefined) return value !== undefined && (m.regex === '*' || fullRegex(m.regex).test(value));
  return value !== undefined; // {} = presence
}

/** Splits `/path?a=1&b=2` into path and query parameters. */
export function splitPath(path: string): { path: string; query: Map<string, string> } {
  const q = path.indexOf('?');
  const query = new Map<string, string>();
  if (q < 0) return { path, query };
  for (const kv of path.slice(q + 1).split('&')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    query.set(decodeURIComponent(eq < 0 ? kv : kv.slice(0, eq)), decodeURIComponent(eq < 0 ? '' : kv.slice(eq + 1)));
  }
  return { path: path.slice(0, q), query };
}

function header(req: RequestShape, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const PSEUDO_HEADERS = new Set(['uri', 'scheme', 'method', 'authority']);

/** Request paths split once: the data plane matches the same few paths (from the scenario) again and again. */
const splitCache = new Map<string, { path: string; query: Map<string, string> }>();
const SPLIT_CACHE_MAX = 4096;

function splitCached(full: string): { path: string; query: Map<string, string> } {
  let s = splitCache.get(full);
  if (!s) {
    s = splitPath(full);
    if (splitCache.size < SPLIT_CACHE_MAX) splitCache.set(full, s);
  }
  return s;
}

/**
 * Envoy's path_separated_prefix, which Istio uses for the prefixes of routes generated from Gateway
 * API HTTPRoutes (pilot/pkg/networking/core/route/route.go TranslateRouteMatch, prefix other than
 * `/`): the path equals the prefix or continues it with `/` ("/foo" matches "/foo/bar", not "/foobar").
 */
export function pathSeparatedPrefixMatches(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Whether a match block holds; `pathSeparated`: the route has gateway semantics (a Gateway API HTTPRoute). */
export function requestMatches(m: HttpMatchRequest, req: RequestShape, pathSeparated = false): boolean {
  const { path, query } = splitCached(req.path);
  if (m.uri) {
    if (pathSeparated && m.uri.prefix !== undefined) {
      if (!pathSeparatedPrefixMatches(m.uri.prefix, path)) return false;
    } else if (!stringMatches(m.uri, path, m.ignoreUriCase === true && m.uri.regex === undefined)) return false;
  }
  if (m.method && !stringMatches(m.method, req.method)) return false;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    if (PSEUDO_HEADERS.has(name)) continue; // ignored by Istio inside headers
    if (!stringMatches(sm, header(req, name))) return false;
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    // A missing header counts as the empty string for withoutHeaders.
    if (stringMatches(sm, header(req, name) ?? '')) return false;
  }
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    if (!stringMatches(sm.exact === '' ? {} : sm, query.get(name))) return false;
  }
  return true;
}

/** A rule without match blocks matches everything; otherwise any one block must match. */
export function ruleMatches(match: HttpMatchRequest[] | undefined, req: RequestShape): boolean {
  if (!match || match.length === 0) return true;
  return match.some((m) => requestMatches(m, req));
}

/** Istio's reserved gateway name for the sidecars of the mesh (virtual_service.proto `gateways`). */
export const MESH_GATEWAY = 'mesh';

/** Who a route is built for: the proxy's gateway name (`mesh` for sidecars), labels, namespace and the port. */
export interface RouteSource {
  /** `mesh`, or a gateway as `namespace/name`. */
  gateway: string;
  /** The proxy's workload labels; undefined: not known, `sourceLabels`/`sourceNamespace` are not checked. */
  labels?: Readonly<Record<string, string>>;
  namespace?: string;
  /** The listener port (the service port for sidecars, the server port for gateways). */
  port?: number;
}

/** A gateway reference of a VirtualService: `mesh`, `ns/name`, or a name in the VirtualService's namespace. */
export const resolveGatewayRef = (ref: string, vsNamespace: string): string =>
  ref === MESH_GATEWAY || ref.includes('/') ? ref : `${vsNamespace}/${ref}`;

/**
 * Whether a match block is built into this proxy's routes at all (istio/istio
 * pilot/pkg/networking/core/route/route.go sourceMatchHTTP and translateRoute): with `gateways` the
 * proxy's gateway must be listed; otherwise `sourceLabels` must be a subset of its labels and
 * `sourceNamespace` its namespace; `port` must be the listener port.
 */
export function sourceMatches(m: HttpMatchRequest, vsNamespace: string, src: RouteSource): boolean {
  if (m.port !== undefined && src.port !== undefined && m.port !== src.port) return false;
  if (m.gateways && m.gateways.length > 0) return m.gateways.some((g) => resolveGatewayRef(g, vsNamespace) === src.gateway);
  if (src.labels === undefined) return true;
  for (const [k, v] of Object.entries(m.sourceLabels ?? {})) if (src.labels[k] !== v) return false;
  return m.sourceNamespace === undefined || m.sourceNamespace === src.namespace;
}

/** The first block that matches (undefined when the rule has none), or null when none matches. */
export function matchingBlock(
  match: HttpMatchRequest[] | undefined,
  req: RequestShape,
  pathSeparated = false,
): HttpMatchRequest | undefined | null {
  if (!match || match.length === 0) return undefined;
  return match.find((m) => requestMatches(m, req, pathSeparated)) ?? null;
}
