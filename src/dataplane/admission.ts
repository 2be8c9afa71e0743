/**
 * What a server-side proxy checks before a request reaches the app: the workload's mTLS mode
 * (PeerAuthentication) for the connection, and AuthorizationPolicy for the request.
 */
import type { HttpRequestAttributes, L4Attributes } from '../policy/authorization.js';
import { headersAfterAuthn, type AuthnResult } from '../policy/request-authentication.js';
import { principalOf } from '../policy/security.js';
import { withRequest, type AppCall } from '../world/call.js';
import type { Caller, PodRt } from '../world/entities.js';

export const workloadOf = (pod: PodRt) => ({ key: pod.name, namespace: pod.namespace, labels: pod.version.labels });

/** Who the server sees: a principal only over mTLS (plaintext peers have none). */
export interface Peer {
  principal?: string;
  ip: string;
}

export const peerOf = (caller: Caller, mtls: boolean): Peer => ({
  principal: mtls ? principalOf(caller.namespace, caller.serviceAccount) : undefined,
  ip: caller.ip,
});

export function l4Attributes(peer: Peer, pod: PodRt): L4Attributes {
  return { sourcePrincipal: peer.principal, sourceIp: peer.ip, destinationIp: pod.ip, port: pod.service.model.port };
}

export function httpAttributes(call: AppCall, peer: Peer, pod: PodRt, authn?: AuthnResult): HttpRequestAttributes {
  const valid = authn?.kind === 'valid' ? authn : undefined;
  return {
    ...l4Attributes(peer, pod),
    method: call.req.method,
    path: call.req.path,
    host: call.service.model.fqdn,
    // RBAC runs after jwt_authn and sees the headers it changed (claim headers set, forged ones removed).
    headers: authn ? headersAfterAuthn(call.req.headers, authn) : call.req.headers,
    ...(valid ? { requestPrincipal: valid.principal, jwt: valid.token, jwtSpaceDelimited: valid.spaceDelimited } : {}),
  };
}

/** Status of an HTTP request an RBAC filter denied ("RBAC: access denied"). */
export const RBAC_DENIED_STATUS = 403;

/**
 * The request as jwt_authn hands it to the filters after it and to the router of a gateway or
 * waypoint (istiod builds their jwt_authn with clear_route_cache, pilot/pkg/networking/plugin/authn/authentication.go,
 * so routes match the changed request): claim headers set, forgeable ones removed, the token gone
 * unless forwarded (or in a cookie). Unchanged when jwt_authn changed nothing.
 */
export function afterAuthn(call: AppCall, authn: AuthnResult): AppCall {
  if (authn.kind === 'invalid' || (authn.kind === 'none' && !authn.sanitized?.length)) return call;
  const { jwt, ...rest } = call.req;
  const keep = authn.kind === 'none' || !authn.strip;
  return withRequest(call, { ...rest, headers: headersAfterAuthn(call.req.headers, authn), ...(keep && jwt ? { jwt } : {}) });
}
