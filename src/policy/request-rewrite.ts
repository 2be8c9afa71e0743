/**
 * What a route does to the request it forwards: header operations and rewrites, applied after the
 * route was chosen (matching sees the original request; the destination, and any routing it does
 * further down, sees the rewritten one).
 *
 * - Headers: istio/api virtual_service.proto Headers.HeaderOperations; Istio maps `set` to Envoy's
 *   OVERWRITE_IF_EXISTS_OR_ADD and `add` to APPEND_IF_EXISTS_OR_ADD (pilot/pkg/networking/core/route/route.go
 *   TranslateAppendHeaders). Envoy evaluates a header parser's removals before its additions
 *   (source/common/router/header_parser.cc evaluateHeaders) and the parsers from most to least
 *   specific, the later one winning: the weighted cluster's (a route destination's `headers`), then
 *   the route's (source/common/router/config_impl.cc finalizeRequestHeaders, with
 *   most_specific_header_mutations_wins false as Istio leaves it). Several values of one header are
 *   matched as one comma-joined value (source/common/http/header_utility.cc getAllOfHeaderAsString).
 * - Rewrites: `uri` becomes Envoy's prefix_rewrite (the matched prefix, or the whole path of an
 *   exact match, is replaced; the query string is kept); `uriRegexRewrite` Envoy's regex_rewrite
 *   (every match replaced, `\1` naming capture groups); `authority` host_rewrite_literal
 *   (istio/istio pilot/pkg/networking/core/route/route.go translateRoute).
 */
import type { HeaderOperations, HttpMatchRequest, HttpRewrite } from '../config/istio/networking-schemas.js';
import type { RequestShape } from '../config/model.js';

/** One header parser's operations: removals first, then `set` (overwrite) and `add` (append). */
export function applyHeaderOps(headers: Readonly<Record<string, string>>, ops: HeaderOperations | undefined): Record<string, string> {
  if (!ops) return { ...headers };
  const out: Record<string, string> = {};
  const removed = new Set((ops.remove ?? []).map((h) => h.toLowerCase()));
  for (const [k, v] of Object.entries(headers)) if (!removed.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(ops.set ?? {})) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(ops.add ?? {})) {
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? v : `${out[key]},${v}`;
  }
  return out;
}

/** The path part the uri rewrite replaces: the matched prefix, the whole path (exact, regex), or "/" (no uri match). */
function matchedPrefix(match: HttpMatchRequest | undefined, path: string): string {
  const uri = match?.uri;
  if (uri?.prefix !== undefined) return path.slice(0, uri.prefix.length);
  if (uri?.exact !== undefined || uri?.regex !== undefined) return path;
  return '/';
}

/** Envoy's regex_rewrite substitution: `\N` is capture group N. */
const substitution = (rewrite: string) => rewrite.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');

/**
 * The request's path after the route's `rewrite` (query string kept). `gatewaySemantics`: a route
 * from a Gateway API HTTPRoute, where a rewrite to `/` removes the matched prefix and the `/` after
 * it (Istio's regex `^<prefix>(/?)(.*)` → `/\2`, pilot/pkg/networking/core/route/route.go).
 */
export function rewritePath(fullPath: string, rewrite: HttpRewrite, match: HttpMatchRequest | undefined, gatewaySemantics = false): string {
  const q = fullPath.indexOf('?');
  const path = q < 0 ? fullPath : fullPath.slice(0, q);
  const query = q < 0 ? '' : fullPath.slice(q);
  if (gatewaySemantics && rewrite.uri === '/' && !rewrite.uriRegexRewrite && match?.uri?.prefix !== undefined) {
    const rest = path.slice(match.uri.prefix.length);
    return `/${rest.startsWith('/') ? rest.slice(1) : rest}${query}`;
  }
  if (rewrite.uriRegexRewrite) {
    const re = new RegExp(rewrite.uriRegexRewrite.match, 'g');
    return path.replace(re, substitution(rewrite.uriRegexRewrite.rewrite)) + query;
  }
  if (rewrite.uri === undefined) return fullPath;
  return rewrite.uri + path.slice(matchedPrefix(match, path).length) + query;
}

/** What the destination receives: the request with the route's rewrite and header operations applied. */
export function upstreamRequest(
  req: RequestShape,
  ops: {
    rewrite?: HttpRewrite;
    match?: HttpMatchRequest;
    destinationHeaders?: HeaderOperations;
    routeHeaders?: HeaderOperations;
    gatewaySemantics?: boolean;
  },
): RequestShape {
  let headers = req.headers;
  if (ops.destinationHeaders || ops.routeHeaders)
    headers = applyHeaderOps(applyHeaderOps(headers, ops.destinationHeaders), ops.routeHeaders);
  const path = ops.rewrite ? rewritePath(req.path, ops.rewrite, ops.match, ops.gatewaySemantics) : req.path;
  const authority = ops.rewrite?.authority ?? req.authority;
  return { ...req, path, headers, ...(authority !== undefined ? { authority } : {}) };
}

/** Envoy's x-envoy-upstream-service-time: set by the router on an upstream's response (ms), before the route's response headers. */
export const UPSTREAM_SERVICE_TIME = 'x-envoy-upstream-service-time';

/**
 * The response headers a router sends downstream that meshsim models, after the route's response
 * header operations: `x-envoy-upstream-service-time` when an upstream answered, then the
 * destination's operations, then the route's (source/common/router/router.cc onUpstreamHeaders sets
 * the service time before finalizeResponseHeaders; config_impl.cc WeightedClusterEntry then
 * RouteEntryImplBase, as for requests). Router-made replies (no healthy upstream, timeouts, direct
 * responses, redirects) get the operations too (router.cc modify_headers_); a fault filter's abort,
 * answered before the router, does not. Undefined when the route has no response operations.
 */
export function routedResponseHeaders(
  ops: { destinationHeaders?: HeaderOperations; routeHeaders?: HeaderOperations },
  serviceTimeMs: number | undefined,
): Record<string, string> | undefined {
  if (!ops.destinationHeaders && !ops.routeHeaders) return undefined;
  const base: Record<string, string> = serviceTimeMs === undefined ? {} : { [UPSTREAM_SERVICE_TIME]: String(serviceTimeMs) };
  return applyHeaderOps(applyHeaderOps(base, ops.destinationHeaders), ops.routeHeaders);
}
