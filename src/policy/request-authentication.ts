/**
 * RequestAuthentication as Envoy's jwt_authn filter enforces it in a sidecar (or a waypoint),
 * configured by istiod (istio/istio pilot/pkg/security/authn/policy_applier.go,
 * convertPolicyToJwtConfig): every jwtRule of every applicable policy becomes a provider, each
 * required as `requires_any {provider, allow_missing}`, so
 * - a request with no token passes authentication, with no request principal; AuthorizationPolicy
 *   then decides (e.g. 403 for `requestPrincipals: ["*"]`);
 * - a request with a token must be valid for a provider, else 401 with Envoy's message
 *   (source/extensions/filters/http/jwt_authn, Status strings in common/jwt/status.cc of
 *   google/jwt_verify_lib): "Jwt issuer is not configured", "Jwt is expired",
 *   "Jwt verification fails", "Audiences in Jwt are not allowed".
 * A valid token gives the request principal `<iss>/<sub>` and its claims (`request.auth.*`).
 * The token leaves the request unless `forwardOriginalToken` (jwt_authn `forward: false` by
 * default); `outputClaimToHeaders` copies claims into request headers.
 * API: istio/api security/v1beta1/request_authentication.proto, jwt.proto.
 */
import type { IstioResource } from '../config/istio/resources.js';
import type { JwtRule, RequestAuthenticationSpec } from '../config/istio/authn-schemas.js';
import type { JwtClaimValue, JwtLocation, JwtToken } from '../config/model.js';
import { DEFAULT_ROOT_NAMESPACE, selectorMatches, type WorkloadIdentity } from './peer-authentication.js';

/** Status jwt_authn answers an invalid token with. */
export const JWT_INVALID_STATUS = 401;

/** What jwt_authn changes in the request the app (and RBAC after it) sees. */
export interface AuthnHeaderChange {
  /** Claim headers (`outputClaimToHeaders`) set from the verified token. */
  headers: Record<string, string>;
  /**
   * Claim header names removed from the incoming request first, so a client cannot forge them
   * (jwt_authn extractor.cc sanitizeHeaders: each provider consulted removes its claim_to_headers).
   */
  sanitized: string[];
}

/** Nothing verified and nothing changed: one shared verdict (results are only read). */
export const NOT_AUTHENTICATED: AuthnResult = Object.freeze({ kind: 'none' });

export type AuthnResult =
  /** No applicable rule, or no token where a rule looks for one: nothing was verified. */
  | ({ kind: 'none' } & Partial<AuthnHeaderChange>)
  | ({
      kind: 'valid';
      principal: string;
      token: JwtToken;
      forward: boolean;
      /** The token is removed from the request before the app (not forwarded, and not in a cookie). */
      strip: boolean;
      /** Claims the accepting rule splits on spaces for RBAC (`scope`, `permission` and its `spaceDelimitedClaims`). */
      spaceDelimited: string[];
    } & AuthnHeaderChange)
  | { kind: 'invalid'; status: typeof JWT_INVALID_STATUS; reason: string };

const hasTargetRefs = (s: RequestAuthenticationSpec) => s.targetRef !== undefined || (s.targetRefs?.length ?? 0) > 0;

/** jwtRules a workload's sidecar enforces: from its namespace's and the root namespace's policies that select it. */
export function rulesForWorkload(
  policies: readonly IstioResource<RequestAuthenticationSpec>[],
  w: WorkloadIdentity,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): JwtRule[] {
  return [...policies]
    .sort((a, b) => a.order - b.order)
    .filter(
      (p) =>
        !hasTargetRefs(p.spec) &&
        (p.namespace === w.namespace || p.namespace === rootNamespace) &&
        selectorMatches(p.spec.selector?.matchLabels, w.labels),
    )
    .flatMap((p) => p.spec.jwtRules);
}

/** jwtRules a waypoint enforces for a service: policies bound to the waypoint's Gateway or to the Service (targetRefs). */
export function rulesForWaypoint(
  policies: readonly IstioResource<RequestAuthenticationSpec>[],
  waypoint: { name: string; namespace: string },
  service: { name: string; namespace: string },
): JwtRule[] {
  const refs = (s: RequestAuthenticationSpec) => [...(s.targetRef ? [s.targetRef] : []), ...(s.targetRefs ?? [])];
  return [...policies]
    .sort((a, b) => a.order - b.order)
    .filter((p) =>
      refs(p.spec).some(
        (r) =>
          (r.kind === 'Gateway' && r.name === waypoint.name && p.namespace === waypoint.namespace) ||
          (r.kind === 'Service' && r.name === service.name && p.namespace === service.namespace),
      ),
    )
    .flatMap((p) => p.spec.jwtRules);
}

/**
 * The token text the scenario's described token stands for (base64url segments joined by dots),
 * so a header's value can be cut with Envoy's own algorithm.
 */
const TOKEN_TEXT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJtZXNoc2ltIn0.c2lnbmF0dXJl';
const BASE64URL_OR_DOT = /[A-Za-z0-9\-_.]/;

/** Claims Envoy splits on spaces in the payload metadata RBAC reads (policy_applier.go buildSpaceDelimitedClaims; jwt_authn NormalizePayload). */
const DEFAULT_SPACE_DELIMITED = ['permission', 'scope'];

/** Envoy's defaults when a rule names no location (jwt_authn extractor.cc addProvider; istio/api request_authentication.proto JWTRule). */
const DEFAULT_HEADERS = [{ name: 'authorization', prefix: 'Bearer ' }];
const DEFAULT_PARAMS = ['access_token'];

/** How a rule's locations see the request's token: not at all (missing), as the token, or as garbled text. */
type Extracted = 'missing' | 'token' | 'malformed';

/**
 * The token as one rule's locations extract it (jwt_authn extractor.cc ExtractorImpl::extract):
 * a header location finds its `prefix` anywhere in the value (case-sensitive; no prefix = the
 * whole value) and takes the token from the next base64url character; a value without the prefix
 * is skipped, i.e. missing. Query parameters and cookies are read by name.
 */
export function extractToken(rule: JwtRule, loc: JwtLocation): Extracted {
  const explicit = (rule.fromHeaders?.length ?? 0) + (rule.fromParams?.length ?? 0) + (rule.fromCookies?.length ?? 0) > 0;
  const headers = explicit
    ? (rule.fromHeaders ?? []).map((h) => ({ name: h.name.toLowerCase(), prefix: h.prefix ?? '' }))
    : DEFAULT_HEADERS;
  if ('param' in loc) return (explicit ? (rule.fromParams ?? []) : DEFAULT_PARAMS).includes(loc.param) ? 'token' : 'missing';
  if ('cookie' in loc) return (rule.fromCookies ?? []).includes(loc.cookie) ? 'token' : 'missing';
  const value = loc.prefix + TOKEN_TEXT;
  let found: Extracted = 'missing';
  for (const h of headers.filter((x) => x.name === loc.header)) {
    let token = value;
    if (h.prefix !== '') {
      const at = value.indexOf(h.prefix);
      if (at < 0) continue;
      const rest = value.slice(at + h.prefix.length);
      const start = rest.search(BASE64URL_OR_DOT);
      token = start < 0 ? rest : rest.slice(start);
    }
    if (token === TOKEN_TEXT) return 'token';
    found = 'malformed';
  }
  return found;
}

/** Envoy's path lookup into the payload (jwt_verify_lib StructUtils::GetValue): nested objects, segment by segment. */
function lookup(t: JwtToken, path: readonly string[]): JwtClaimValue | undefined {
  const [first, ...rest] = path;
  let v: JwtClaimValue | undefined =
    first === 'iss'
      ? t.issuer
      : first === 'sub'
        ? t.subject
        : first === 'aud'
          ? t.audiences
          : first === undefined
            ? undefined
            : t.claims[first];
  for (const k of rest) v = v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined;
  return v;
}

/** A scalar claim as jwt_authn copies it into a header: strings as they are, integers without a fraction, booleans as true/false. */
function headerValue(v: JwtClaimValue | undefined): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? String(v) : v.toFixed(6);
  return undefined; // lists and objects are not copied (authenticator.cc addJWTClaimToHeader)
}

/** Why one rule rejects a token it extracted, in jwt_authn's check order (authenticator.cc startVerify), or undefined if it accepts it. */
function rejection(rule: JwtRule, token: JwtToken, extracted: Extracted): string | undefined {
  // jwt_verify_lib Jwt::parseFromString: text before the token fails base64url decoding.
  if (extracted === 'malformed') return 'Jwt header is an invalid Base64url encoded';
  if (token.issuer !== rule.issuer) return 'Jwt issuer is not configured';
  if (token.expired) return 'Jwt is expired';
  if (rule.audiences?.length && !token.audiences.some((a) => rule.audiences?.includes(a))) return 'Audiences in Jwt are not allowed';
  if (token.badSignature) return 'Jwt verification fails';
  return undefined;
}

const claimHeaders = (r: JwtRule) => (r.outputClaimToHeaders ?? []).map((o) => o.header.toLowerCase());

/**
 * Verifies the request's token against the rules as the filter istiod builds does
 * (policy_applier.go convertToEnvoyJwtConfig): providers sorted by issuer; the requirement is
 * `requires_any [P1 … Pn, requires_all [any(P1, allow_missing) … any(Pn, allow_missing)]]` (just
 * `any(P1, allow_missing)` for one rule). So a token is accepted by the first rule that reads its
 * location and verifies it; otherwise the first rule that reads it gives the 401 reason (its
 * issuer differs: "Jwt issuer is not configured"); a token no rule reads counts as missing.
 */
export function authenticate(rules: readonly JwtRule[], token: JwtToken | undefined): AuthnResult {
  if (rules.length === 0) return NOT_AUTHENTICATED;
  const sorted = [...rules].sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0));
  const allSanitized = [...new Set(sorted.flatMap(claimHeaders))];
  if (token === undefined) return { kind: 'none', headers: {}, sanitized: allSanitized };
  const reads = sorted.map((rule) => ({ rule, got: extractToken(rule, token.location) })).filter((r) => r.got !== 'missing');
  const ok = reads.find((r) => rejection(r.rule, token, r.got) === undefined);
  if (ok) {
    const rule = ok.rule;
    const headers: Record<string, string> = {};
    for (const o of rule.outputClaimToHeaders ?? []) {
      // Nested claims are named with dots (istio/api ClaimToHeader; StructUtils::GetValue splits on '.').
      const v = headerValue(lookup(token, o.claim.split('.')));
      if (v !== undefined) headers[o.header.toLowerCase()] = v;
    }
    const forward = rule.forwardOriginalToken === true;
    return {
      kind: 'valid',
      principal: `${token.issuer}/${token.subject}`,
      token,
      forward,
      // The token leaves a header or query parameter, not a cookie (extractor.cc JwtCookieLocation::removeJwt does nothing).
      strip: !forward && !('cookie' in token.location),
      spaceDelimited: [...DEFAULT_SPACE_DELIMITED, ...(rule.spaceDelimitedClaims ?? [])],
      headers,
      // Providers consulted up to the one that accepted: each sanitized its claim headers first.
      sanitized: [...new Set(sorted.slice(0, sorted.indexOf(rule) + 1).flatMap(claimHeaders))],
    };
  }
  const first = reads[0];
  if (first) return { kind: 'invalid', status: JWT_INVALID_STATUS, reason: rejection(first.rule, token, first.got)! };
  return { kind: 'none', headers: {}, sanitized: allSanitized };
}

/** The request headers after jwt_authn: forgeable claim headers removed, verified claims set. */
export function headersAfterAuthn(headers: Readonly<Record<string, string>>, r: AuthnResult | undefined): Record<string, string> {
  if (!r || r.kind === 'invalid' || (!r.sanitized?.length && !Object.keys(r.headers ?? {}).length)) return { ...headers };
  const drop = new Set(r.sanitized);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!drop.has(k.toLowerCase())) out[k] = v;
  return { ...out, ...r.headers };
}

/** `request.auth.claims[a][b]` → ['a', 'b']; undefined for other keys. */
export function claimPath(key: string): string[] | undefined {
  const m = /^request\.auth\.claims((\[[^\]]+\])+)$/.exec(key);
  return m ? [...m[1]!.matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!) : undefined;
}

/**
 * Values of a (possibly nested) claim as AuthorizationPolicy compares them: RBAC's metadata
 * matcher walks the path through nested objects and matches a string, or any string of a list
 * (pilot/pkg/security/authz/matcher/metadata.go MetadataListValueMatcher, OrMatch of list and
 * string). A space-delimited claim (`scope`, `permission`, or a rule's `spaceDelimitedClaims`)
 * matches each of its words. Numbers, booleans and objects never match a string.
 */
export function claimValues(
  token: JwtToken | undefined,
  path: readonly string[],
  spaceDelimited: readonly string[] = DEFAULT_SPACE_DELIMITED,
): string[] {
  if (!token || path.length === 0) return [];
  const v = lookup(token, path);
  const strings = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const split = path.length === 1 && typeof v === 'string' && spaceDelimited.includes(path[0]!);
  return split ? v.split(' ').filter((w) => w !== '') : strings;
}
