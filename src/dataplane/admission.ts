/**
 * What a server-side proxy checks before a request reaches the app: the workload's mTLS mode
 * (PeerAuthentication) for the connection, and AuthorizationPolicy for the request.
 */
import type { HttpRequestAttributes, L4Attributes } from '../policy/authorization.js';
import { headersAfterAuthn, type AuthnResult } from '../policy/request-authentication.js';
import { principalOf } from '../policy/security.js';
import type { AppCall } from '../world/call.js';
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
