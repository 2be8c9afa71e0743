/**
 * access.log: Envoy access-log lines in Istio's default TEXT format for the sampled requests
 * (the same ones as traces.json, sharing their x-request-id), one line per proxy that logged the
 * call: the client sidecar (outbound) and the server sidecar (inbound) in sidecar mode, the
 * waypoint in ambient mode. Format: Istio's EnvoyTextLogFormat (istio/istio pilot/pkg/model/telemetry_logging.go):
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
 *   %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
 *   "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 *   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 *   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER%
 *   %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
 *   %REQUESTED_SERVER_NAME% %ROUTE_NAME%
 */
import type { MeshMode } from '../config/model.js';
import { UPSTREAM_SERVICE_TIME } from '../policy/request-rewrite.js';
import type { CallRecord } from '../telemetry/observer.js';
import { destinationServiceOf, upstreamPortOf } from '../telemetry/istio-metrics.js';

/** Envoy's %RESPONSE_CODE_DETAILS% for what the simulator knows of a call. */
function details(r: CallRecord): string {
  const f = r.flags.split(',');
  if (f.includes('UO')) return 'upstream_reset_before_response_started{overflow}';
  if (f.includes('UT')) return 'response_timeout';
  if (f.includes('FI')) return 'fault_filter_abort';
  if (f.includes('NR')) return 'route_not_found';
  if (f.includes('NC')) return 'cluster_not_found';
  if (f.includes('UH')) return 'no_healthy_upstream';
  if (f.includes('UF')) return 'upstream_reset_before_response_started{connection_failure}';
  if (f.includes('UC')) return 'upstream_reset_before_response_started{connection_termination}';
  if (f.includes('UAEX')) return 'ext_authz_denied';
  if (f.includes('RL')) return 'local_rate_limited';
  if (r.status === 403) return 'rbac_access_denied_matched_policy[none]';
  return r.status === 0 ? '-' : 'via_upstream';
}

/** Bodies of Envoy's own replies (what %BYTES_SENT% counts when no upstream answered). */
function localBodyBytes(r: CallRecord): number {
  const f = r.flags.split(',');
  if (f.includes('UO')) return 'upstream connect error or disconnect/reset before headers. reset reason: overflow'.length;
  if (f.includes('UF')) return 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'.length;
  if (f.includes('UH')) return 'no healthy upstream'.length;
  if (f.includes('UT')) return 'upstream request timeout'.length;
  if (f.includes('FI')) return 'fault filter abort'.length;
  return 0;
}

const iso = (epochMs: number, us: number) => new Date(epochMs + Math.floor(us / 1000)).toISOString();
const port = (id: number) => 32768 + (id % 28000);

export function accessLog(calls: { record: CallRecord; requestId: string }[], mode: MeshMode, epochMs: number): string {
  const lines: string[] = [];
  for (const { record: r, requestId } of calls) {
    const call = r.call;
    const svc = call.service.model;
    const proto = svc.protocol === 'http' ? 'HTTP/1.1' : 'HTTP/2';
    const flags = r.flags === '' ? '-' : r.flags;
    // The server sidecar logs UAEX when its ext_authz filter denied the request.
    const inbound = r.serverFlags
      ? { flags: r.serverFlags, details: details({ ...r, flags: r.serverFlags }) }
      : { flags, details: details(r) };
    const durationMs = Math.round((r.endUs - call.startUs) / 1000);
    const reqBytes = call.req.requestSize;
    // A reply the server sidecar made itself (UO from its inbound cluster, UAEX) carries its own body, not the app's.
    const respBytes =
      r.status === 0
        ? 0
        : r.serverFlags
          ? localBodyBytes({ ...r, flags: r.serverFlags })
          : r.pod
            ? call.req.responseSize
            : localBodyBytes(r);
    const upstream = r.pod ? `${r.pod.ip}:${svc.port}` : '-';
    // %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%: what the response carried, after the route's response header operations.
    const routedServiceTime = r.responseHeaders ? (r.responseHeaders[UPSTREAM_SERVICE_TIME] ?? '-') : r.pod ? String(durationMs) : '-';
    const line = (
      who: string,
      serviceTime: string,
      logged: { flags: string; details: string },
      startUs: number,
      code: string,
      upstreamCluster: string,
      upstreamLocal: string,
      downstreamLocal: string,
      downstreamRemote: string,
      sni: string,
      route: string,
    ) =>
      `${who} [${iso(epochMs, startUs)}] "${call.req.method} ${call.req.path} ${proto}" ${code} ${logged.flags} ${logged.details} - "-" ${reqBytes} ${respBytes} ${durationMs} ${serviceTime} "-" "meshsim" "${requestId}" "${svc.name}:${svc.port}" "${upstream}" ${upstreamCluster} ${upstreamLocal} ${downstreamLocal} ${downstreamRemote} ${sni} ${route}`;
    const caller = call.caller;
    const upstreamSvc = destinationServiceOf(call, r.pod);
    const cluster = `outbound|${upstreamPortOf(call, upstreamSvc)}||${upstreamSvc.fqdn}`;
    if (mode === 'sidecar' && caller.inMesh) {
      lines.push(
        line(
          caller.sidecar?.name ?? `${caller.name}.sidecar`,
          routedServiceTime,
          { flags, details: details(r) },
          call.startUs,
          String(r.status),
          cluster,
          `${caller.ip}:${port(call.id)}`,
          `${svc.fqdn}:${svc.port}`,
          `${caller.ip}:${port(call.id + 1)}`,
          '-',
          'default',
        ),
      );
    }
    // A gateway pod logs the request once, as the caller of its next hop (its own line there).
    if (r.pod && r.pod.inMesh && mode === 'sidecar' && !r.pod.service.model.envoyOnly) {
      const sni = r.mtls ? `outbound_.${svc.port}_._.${svc.fqdn}` : '-';
      lines.push(
        line(
          `${r.pod.name}.sidecar`,
          String(durationMs),
          inbound,
          call.startUs,
          String(r.status),
          `inbound|${svc.port}||`,
          `127.0.0.6:${port(call.id + 2)}`,
          `${r.pod.ip}:${svc.port}`,
          `${caller.ip}:${port(call.id)}`,
          sni,
          'default',
        ),
      );
    }
    if (mode === 'ambient' && call.service.waypoint && caller.inMesh) {
      lines.push(
        line(
          call.service.waypoint.name,
          routedServiceTime,
          { flags, details: details(r) },
          call.startUs,
          String(r.status),
          cluster,
          '-',
          `${svc.fqdn}:${svc.port}`,
          `${caller.ip}:${port(call.id)}`,
          '-',
          'default',
        ),
      );
    }
  }
  // Each line starts with the proxy that wrote it, as `kubectl logs <pod> -c istio-proxy` would show per pod.
  return lines.length ? `${lines.join('\n')}\n` : '';
}
