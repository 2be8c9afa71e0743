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
import type { JwtToken } from '../config/model.js';
import { DEFAULT_ROOT_NAMESPACE, selectorMatches, type WorkloadIdentity } from './peer-authentication.js';

/** Status jwt_authn answers an invalid token with. */
export const JWT_INVALID_STATUS = 401;

export type AuthnResult =
  /** No applicable rule, or no token: nothing was verified. */
  | { kind: 'none' }
  | { kind: 'valid'; principal: string; token: JwtToken; forward: boolean; headers: Record<string, string> }
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

const claimValue = (t: JwtToken, claim: string): string | string[] | undefined => {
  if (claim === 'iss') return t.issuer;
  if (claim === 'sub') return t.subject;
  if (claim === 'aud') return t.audiences;
  return t.claims[claim];
};

/** Verifies the request's token against the rules. */
export function authenticate(rules: readonly JwtRule[], token: JwtToken | undefined): AuthnResult {
  if (rules.length === 0 || token === undefined) return { kind: 'none' };
  const rule = rules.find((r) => r.issuer === token.issuer);
  if (!rule) return { kind: 'invalid', status: JWT_INVALID_STATUS, reason: 'Jwt issuer is not configured' };
  if (token.badSignature) return { kind: 'invalid', status: JWT_INVALID_STATUS, reason: 'Jwt verification fails' };
  if (token.expired) return { kind: 'invalid', status: JWT_INVALID_STATUS, reason: 'Jwt is expired' };
  if (rule.audiences?.length && !token.audiences.some((a) => rule.audiences?.includes(a)))
    return { kind: 'invalid', status: JWT_INVALID_STATUS, reason: 'Audiences in Jwt are not allowed' };
  const headers: Record<string, string> = {};
  for (const o of rule.outputClaimToHeaders ?? []) {
    const v = claimValue(token, o.claim);
    // Only string/number/boolean claims are copied (jwt_authn claim_to_headers).
    if (typeof v === 'string') headers[o.header.toLowerCase()] = v;
  }
  return { kind: 'valid', principal: `${token.issuer}/${token.subject}`, token, forward: rule.forwardOriginalToken === true, headers };
}

/** `request.auth.claims[a][b]` → ['a', 'b']; undefined for other keys. */
export function claimPath(key: string): string[] | undefined {
  const m = /^request\.auth\.claims((\[[^\]]+\])+)$/.exec(key);
  return m ? [...m[1]!.matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!) : undefined;
}

/** Values of a (top-level) claim as AuthorizationPolicy compares them: a list's items, or the string. */
export function claimValues(token: JwtToken | undefined, path: readonly string[]): string[] {
  if (!token || path.length !== 1) return []; // nested claims are not described by the scenario
  const v = claimValue(token, path[0]!);
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
