/**
 * Envoy's ext_authz HTTP filter in a server sidecar or a waypoint, as Istio configures it for a CUSTOM
 * AuthorizationPolicy (istio/istio pilot/pkg/security/authz/builder/extauthz.go): a request the
 * CUSTOM rules match is first sent to the provider's service, which answers allow or deny.
 * - allowed: an HTTP provider answering 200, a gRPC provider answering OK;
 * - denied: an HTTP provider's other non-5xx status is returned to the client as is; a gRPC
 *   denial becomes 403 (api/envoy/service/auth/v3/external_auth.proto DeniedHttpResponse.status);
 * - error (5xx, reset, or no answer within `timeout`, default 600 s): `failOpen` lets the request
 *   through (Envoy failure_mode_allow), otherwise `statusOnError` (default 403) is returned
 *   (ext_authz.proto status_on_error; an HTTP 5xx is an error, envoyproxy/envoy#14001).
 */
import type { CallModel, ExtAuthzProvider } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { Caller } from '../world/entities.js';
import type { PodBehaviour } from '../world/pod.js';

/** What the check asks: the original request's headers (and path under pathPrefix for HTTP providers). */
const CHECK_REQUEST_BYTES = 512;
const CHECK_RESPONSE_BYTES = 128;
/** gRPC DeniedHttpResponse.status default (external_auth.proto). */
const GRPC_DENIED_STATUS = 403;

/** The check as a call from the server pod's proxy to the provider's service. */
export function checkCall(p: ExtAuthzProvider & { service: string }, original: AppCall): CallModel {
  const grpc = p.kind === 'grpc';
  return {
    service: p.service,
    method: grpc ? 'POST' : original.req.method,
    path: grpc ? '/envoy.service.auth.v3.Authorization/Check' : `${p.pathPrefix}${original.req.path}`,
    headers: grpc ? {} : original.req.headers,
    onFailure: 'fail',
    retries: 0,
    requestSize: CHECK_REQUEST_BYTES,
    responseSize: CHECK_RESPONSE_BYTES,
  };
}

/** The decision from the provider's answer: undefined lets the request through, else the status to return. */
export function extAuthzOutcome(p: ExtAuthzProvider, status: number): number | undefined {
  if (status === 200) return undefined;
  if (status === 0 || status >= 500) return p.failOpen ? undefined : p.statusOnError;
  return p.kind === 'grpc' ? GRPC_DENIED_STATUS : status;
}

/**
 * Runs the check for `call` arriving at `from` (a server pod's sidecar, or a waypoint) with provider
 * `p`; `then(undefined)` to continue, `then(status)` to answer with that status instead.
 */
export function runExtAuthz(
  pods: PodBehaviour,
  from: Caller,
  p: ExtAuthzProvider & { service: string },
  call: AppCall,
  then: (status: number | undefined) => void,
): void {
  pods.callFrom(from, checkCall(p, call), call, (status) => then(extAuthzOutcome(p, status)), p.timeoutUs);
}
