/**
 * Istio's own validation of VirtualService and DestinationRule (errors, exit 2; a few warnings),
 * with Istio's wording: istio/istio pkg/config/validation/validation.go and virtualservice.go.
 * Checks that need other resources or the policy engines are in analysis/analyze.ts.
 */
import { checkLocalityLbSetting } from './validate-locality.js';
import type { Diagnostic } from '../diagnostics.js';
import type { PathSegment } from '../yaml-source.js';
import type { IstioConfig, IstioResource, Problems } from './resources.js';
import type {
  ConnectionPoolSettings,
  DestinationRuleSpec,
  HttpRoute,
  SidecarSpec,
  TrafficPolicy,
  VirtualServiceSpec,
} from './networking-schemas.js';
import { outlierDetectionWarnings } from './outlier-schema.js';
import { serviceEntryFor } from '../external.js';

/** Envoy retry_on tokens Istio accepts (validation.go), besides plain HTTP status codes. */
export const RETRY_ON_TOKENS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];

const MS = 1000;

/** Validates every VirtualService and DestinationRule of the given configs. */
export function validateNetworking(configs: readonly IstioConfig[], problems: Problems): void {
  for (const c of configs) {
    for (const vs of c.virtualServices) checkVirtualService(vs, problems);
    // A DestinationRule for a host a ServiceEntry declares may originate TLS to it (SIMPLE, MUTUAL): that is modelled.
    const declared = (dr: IstioResource<DestinationRuleSpec>) => serviceEntryFor(c, dr.spec.host.toLowerCase()) !== undefined;
    for (const dr of c.destinationRules) checkDestinationRule(dr, problems, declared(dr));
    for (const sc of c.sidecars) checkSidecar(sc, problems);
  }
  // One Sidecar without workloadSelector per namespace (sidecar.proto); Istio uses the oldest.
  const unselected = new Map<string, IstioResource<SidecarSpec>>();
  for (const sc of configs.flatMap((c) => c.sidecars).sort((a, b) => a.order - b.order)) {
    if (sc.spec.workloadSelector) continue;
    const first = unselected.get(sc.namespace);
    if (first)
      problems.warnings.push(
        at(
          sc,
          [],
          'warning',
          `namespace ${sc.namespace} already has Sidecar ${first.name} without workloadSelector; only the oldest applies`,
        ),
      );
    else unselected.set(sc.namespace, sc);
  }
}

const KNOWN_PROTOCOLS = new Set([
  'TCP',
  'UDP',
  'GRPC',
  'GRPC-WEB',
  'HTTP',
  'HTTP_PROXY',
  'HTTP2',
  'HTTPS',
  'TLS',
  'MONGO',
  'REDIS',
  'MYSQL',
]);

/**
 * What the simulator models of a Sidecar: egress hosts (config scope), ingress listeners (which
 * ports the sidecar's inbound chains cover, where they forward, their connection pool) and
 * inboundConnectionPool. Istio's own checks on ingress listeners are errors as in istiod
 * (istio/istio pkg/config/validation/validation.go ValidateSidecar); what is not modelled is warned about.
 */
function checkSidecar(sc: IstioResource<SidecarSpec>, p: Problems): void {
  const warn = (path: PathSegment[], m: string) => p.warnings.push(at(sc, path, 'warning', m));
  const err = (path: PathSegment[], m: string) => p.errors.push(at(sc, path, 'error', m));
  const ports = new Set<number>();
  sc.spec.ingress?.forEach((ing, i) => {
    const path = ['ingress', i];
    if (!ing.port) return err(path, 'sidecar: port is required for ingress listeners');
    const n = ing.port.number ?? 0;
    if (ing.port.targetPort !== undefined && ing.port.targetPort > 0)
      err([...path, 'port', 'targetPort'], 'targetPort has no impact on Sidecars');
    if (!Number.isInteger(n) || n < 1 || n > 65535) err([...path, 'port', 'number'], `port number ${n} must be in the range 1..65535`);
    const proto = (ing.port.protocol ?? '').toUpperCase();
    // protocol.Parse (istio/istio pkg/config/protocol/instance.go): anything else is "unrecognized".
    if (!KNOWN_PROTOCOLS.has(proto)) err([...path, 'port', 'protocol'], `unrecognized protocol ${JSON.stringify(ing.port.protocol ?? '')}`);
    else if (!['HTTP', 'HTTP2', 'GRPC'].includes(proto))
      warn([...path, 'port', 'protocol'], `protocol ${proto}: the simulated traffic is HTTP and is modelled as if the listener were HTTP`);
    if (ports.has(n)) err([...path, 'port', 'number'], 'sidecar: ports on IP bound listeners must be unique');
    ports.add(n);
    const ep = ing.defaultEndpoint;
    if (ep !== undefined && ep !== '' && !ep.startsWith('unix://')) {
      const m = /^(?:(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\])?):(\d+)$/.exec(ep);
      if (!m)
        err(
          [...path, 'defaultEndpoint'],
          'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset',
        );
      else if (Number(m[2]) < 1 || Number(m[2]) > 65535)
        err([...path, 'defaultEndpoint'], `port number ${m[2]} must be in the range 1..65535`);
    }
    if (ep?.startsWith('unix://'))
      warn([...path, 'defaultEndpoint'], 'a Unix domain socket endpoint is modelled as the app listening on the listener port');
    if (ing.tls) {
      if (!['HTTPS', 'TLS'].includes(proto)) err([...path, 'tls'], 'server cannot have TLS settings for non HTTPS/TLS ports');
      const mode = ing.tls.mode;
      if (mode === 'ISTIO_MUTUAL' || mode === 'AUTO_PASSTHROUGH')
        err([...path, 'tls', 'mode'], `configuration is invalid: cannot set mode to ${String(mode)} in sidecar ingress tls`);
      warn(
        [...path, 'tls'],
        'TLS termination for callers outside the mesh is not modelled: their requests reach the listener as plaintext HTTP (no handshake cost)',
      );
    }
    if (ing.connectionPool?.http && !['HTTP', 'HTTP2', 'GRPC', 'HTTPS'].includes(proto))
      warn(
        [...path, 'connectionPool', 'http'],
        `sidecar: HTTP connection pool settings are configured for port ${n} (${JSON.stringify(ing.port.name ?? '')}) but its protocol is not HTTP (${ing.port.protocol ?? ''}); only TCP settings will apply`,
      );
    for (const field of ['bind', 'captureMode'] as const)
      if (ing[field] !== undefined)
        warn([...path, field], `ingress ${field} is not modelled: the listener captures the pod's traffic on its port`);
  });
  sc.spec.ingress?.forEach((ing, i) => {
    if (ing.connectionPool) checkConnectionPool(ing.connectionPool, ['ingress', i, 'connectionPool'], err, warn);
  });
  if (sc.spec.inboundConnectionPool) checkConnectionPool(sc.spec.inboundConnectionPool, ['inboundConnectionPool'], err, warn);
  sc.spec.egress?.forEach((e, i) => {
    for (const field of ['port', 'bind', 'captureMode'] as const)
      if (e[field] !== undefined) warn(['egress', i, field], `egress ${field} is not modelled: the listener's hosts apply to every port`);
    e.hosts.forEach((h, j) => {
      if (!h.includes('/')) warn(['egress', i, 'hosts', j], `egress host ${JSON.stringify(h)} should be namespace/dnsName; read as */${h}`);
    });
  });
  if (sc.spec.outboundTrafficPolicy?.egressProxy)
    warn(['outboundTrafficPolicy', 'egressProxy'], 'egressProxy is not modelled; ALLOW_ANY traffic passes through directly');
}

/** A diagnostic at a path inside a resource's spec, prefixed with the resource's kind and name. */
export function at(
  r: IstioResource<unknown>,
  path: PathSegment[],
  severity: 'error' | 'warning',
  message: string,
  key?: string,
): Diagnostic {
  return r.src.diagnosticAt(['spec', ...path], severity, `${r.kind} ${r.namespace}/${r.name}: ${message}`, key);
}

function checkVirtualService(vs: IstioResource<VirtualServiceSpec>, p: Problems): void {
  const err = (path: PathSegment[], m: string, key?: string) => p.errors.push(at(vs, path, 'error', m, key));
  const warn = (path: PathSegment[], m: string, key?: string) => p.warnings.push(at(vs, path, 'warning', m, key));
  const s = vs.spec;
  // A VirtualService without hosts is a delegate (ENABLE_VIRTUAL_SERVICE_DELEGATE, on by default):
  // it applies only through a root VirtualService's `delegate`, one level deep.
  const isDelegate = s.hosts.length === 0;
  if (isDelegate && s.gateways?.length) err(['gateways'], 'delegate virtual service must have no gateways specified');
  if (isDelegate)
    s.http.forEach((r, i) => {
      if (r.delegate) err(['http', i, 'delegate'], 'delegate virtual service does not support nested delegation');
    });
  if (s.tcp?.length) warn(['tcp'], 'tcp routes are not modelled; ignored');
  if (s.tls?.length) warn(['tls'], 'tls routes are not modelled; ignored');
  s.http.forEach((route, i) => checkRoute(route, ['http', i], err, warn));
  // Rules after a rule without match are unreachable (analyzeUnreachableHTTPRules).
  const catchAll = s.http.findIndex((r) => !r.match || r.match.length === 0);
  if (catchAll >= 0) {
    for (let j = catchAll + 1; j < s.http.length; j++) {
      warn(
        ['http', j],
        `virtualService rule #${j}${s.http[j]?.name ? ` (${s.http[j]?.name})` : ''} not used (only the last rule can have no matches)`,
      );
    }
  }
}

function checkRoute(
  route: HttpRoute,
  path: PathSegment[],
  err: (p: PathSegment[], m: string, k?: string) => void,
  warn: (p: PathSegment[], m: string, k?: string) => void,
): void {
  if (!route.route && !route.redirect && !route.directResponse && !route.delegate)
    err(path, 'HTTP route, redirect or direct response is required');
  const dests = route.route ?? [];
  dests.forEach((d, j) => {
    if (d.weight !== undefined && d.weight < 0) err([...path, 'route', j, 'weight'], `weight ${d.weight} < 0`);
  });
  checkRouteActions(route, path, err);
  if (dests.length > 1 && dests.reduce((n, d) => n + (d.weight ?? 0), 0) === 0) err([...path, 'route'], 'total destination weight = 0');
  if (route.timeout !== undefined && route.timeout < MS) err([...path, 'timeout'], 'timeout must be greater than or equal to 1ms');
  const r = route.retries;
  if (r) {
    if (r.attempts !== undefined && r.attempts < 0) err([...path, 'retries', 'attempts'], 'attempts cannot be negative');
    if (
      (r.attempts ?? 0) === 0 &&
      r.attempts !== undefined &&
      (r.perTryTimeout !== undefined || r.retryOn !== undefined || r.retryRemoteLocalities !== undefined)
    ) {
      err([...path, 'retries'], 'http retry policy configured when attempts are set to 0 (disabled)');
    }
    if (r.perTryTimeout !== undefined && r.perTryTimeout < MS)
      err([...path, 'retries', 'perTryTimeout'], 'perTryTimeout must be greater than or equal to 1ms');
    for (const token of (r.retryOn ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)) {
      const code = Number(token);
      if (!RETRY_ON_TOKENS.includes(token) && !(Number.isInteger(code) && code >= 100 && code <= 599)) {
        err([...path, 'retries', 'retryOn'], `"${token}" is not a valid retryOn policy`);
      }
    }
    if (r.retryRemoteLocalities)
      warn([...path, 'retries', 'retryRemoteLocalities'], 'retryRemoteLocalities is not modelled (no localities); ignored');
  }
  const f = route.fault;
  if (f) {
    if (!f.abort && !f.delay) err([...path, 'fault'], 'HTTP fault injection must have an abort and/or a delay');
    if (f.abort) {
      if (f.abort.http2Error !== undefined) err([...path, 'fault', 'abort'], 'HTTP/2 abort fault injection not supported yet');
      else if (f.abort.httpStatus === undefined && f.abort.grpcStatus === undefined)
        err([...path, 'fault', 'abort'], 'abort must have an httpStatus or grpcStatus');
      if (f.abort.httpStatus !== undefined && (f.abort.httpStatus < 200 || f.abort.httpStatus > 599))
        err([...path, 'fault', 'abort', 'httpStatus'], `HTTP status ${f.abort.httpStatus} is not in range 200-599`);
      if (f.abort.grpcStatus !== undefined)
        warn(
          [...path, 'fault', 'abort', 'grpcStatus'],
          'gRPC status aborts are modelled as HTTP 200 with a gRPC error: counted as a failed call',
        );
    }
    if (f.delay) {
      if (f.delay.exponentialDelay !== undefined) err([...path, 'fault', 'delay'], 'exponentialDelay not supported yet');
      else if (f.delay.fixedDelay === undefined) err([...path, 'fault', 'delay'], 'delay must have a fixedDelay');
      else if (f.delay.fixedDelay < MS) err([...path, 'fault', 'delay', 'fixedDelay'], 'duration must be greater than 1ms');
    }
  }
  if (route.corsPolicy !== undefined) warn([...path, 'corsPolicy'], 'CORS policies are not modelled yet; ignored');
  route.match?.forEach((m, j) => {
    // port, sourceLabels, sourceNamespace and gateways decide which proxies get the rule (policy/match.ts sourceMatches).
    for (const field of ['authority', 'scheme'] as const) {
      if (m[field] !== undefined)
        warn([...path, 'match', j, field], `match on ${field} is not modelled; the condition is treated as matching`);
    }
  });
}

/**
 * Route actions that exclude each other, and their values (istio/istio pkg/config/validation/
 * virtualservice.go validateHTTPRoute / validateHTTPRedirect / validateHTTPDirectResponse / validateHTTPRewrite).
 */
function checkRouteActions(route: HttpRoute, path: PathSegment[], err: (p: PathSegment[], m: string, k?: string) => void): void {
  const has = (k: 'route' | 'redirect' | 'directResponse' | 'delegate' | 'fault' | 'rewrite') =>
    k === 'route' ? (route.route?.length ?? 0) > 0 : route[k] !== undefined;
  const conflicts: [string, string, 'route' | 'fault' | 'rewrite' | 'redirect' | 'directResponse'][] = [
    ['redirect', 'route', 'route'],
    ['redirect', 'fault', 'fault'],
    ['redirect', 'rewrite', 'rewrite'],
    ['direct response', 'route', 'route'],
    ['direct response', 'fault', 'fault'],
    ['direct response', 'rewrite', 'rewrite'],
    ['direct response', 'redirect', 'redirect'],
  ];
  for (const [action, other, key] of conflicts) {
    const field = action === 'redirect' ? 'redirect' : 'directResponse';
    if (has(field) && has(key)) err([...path, field], `HTTP route cannot contain both ${other} and ${action}`);
  }
  if (route.delegate) {
    if (!route.delegate.name) err([...path, 'delegate', 'name'], 'delegate name must not be empty');
    for (const k of ['route', 'redirect', 'directResponse'] as const)
      if (has(k)) err([...path, 'delegate'], `HTTP route cannot contain both ${k} and delegate`);
  }
  if (route.mirror && route.mirrors?.length) err([...path, 'mirrors'], 'HTTP route cannot contain both mirror and mirrors');
  const code = route.redirect?.redirectCode;
  if (code !== undefined && code !== 0 && (code < 300 || code > 399))
    err([...path, 'redirect', 'redirectCode'], `${code} is not a valid redirect code, must be 3xx`);
  const status = route.directResponse?.status;
  if (status !== undefined && (status < 200 || status > 599))
    err([...path, 'directResponse', 'status'], `status ${status} is not in range 200-599`);
  const rw = route.rewrite;
  if (rw?.uri !== undefined && rw.uriRegexRewrite) err([...path, 'rewrite'], 'rewrite may only contain one of URI or UriRegexRewrite');
  if (rw?.uriRegexRewrite) {
    try {
      new RegExp(rw.uriRegexRewrite.match);
    } catch {
      err([...path, 'rewrite', 'uriRegexRewrite', 'match'], `invalid regex ${JSON.stringify(rw.uriRegexRewrite.match)}`);
    }
  }
}

/** istiod's validateConnectionPool (pkg/config/validation/validation.go), for a DestinationRule's or a Sidecar's pool at `path`. */
function checkConnectionPool(
  cp: ConnectionPoolSettings,
  path: PathSegment[],
  err: (p: PathSegment[], m: string) => void,
  warn: (p: PathSegment[], m: string) => void,
): void {
  if (!cp.tcp && !cp.http) err(path, 'connection pool must have at least one field');
  const neg = (v: number | undefined, field: string[], what: string) => {
    if (v !== undefined && v < 0) err([...path, ...field], `${what} must be non-negative`);
  };
  neg(cp.tcp?.maxConnections, ['tcp', 'maxConnections'], 'max connections');
  neg(cp.http?.http1MaxPendingRequests, ['http', 'http1MaxPendingRequests'], 'http1 max pending requests');
  neg(cp.http?.http2MaxRequests, ['http', 'http2MaxRequests'], 'http2 max requests');
  neg(cp.http?.maxRequestsPerConnection, ['http', 'maxRequestsPerConnection'], 'max requests per connection');
  neg(cp.http?.maxRetries, ['http', 'maxRetries'], 'max retries');
  neg(cp.http?.maxConcurrentStreams, ['http', 'maxConcurrentStreams'], 'max concurrent streams');
  if (cp.http?.h2UpgradePolicy === 'UPGRADE' && cp.http.useClientProtocol)
    err([...path, 'http'], 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
  if (cp.tcp?.tcpKeepalive || cp.tcp?.maxConnectionDuration !== undefined)
    warn([...path, 'tcp'], 'tcpKeepalive and maxConnectionDuration are not modelled; ignored');
}

function checkTrafficPolicy(
  tp: TrafficPolicy | undefined,
  path: PathSegment[],
  originatesTls: boolean,
  err: (p: PathSegment[], m: string) => void,
  warn: (p: PathSegment[], m: string) => void,
): void {
  if (!tp) return;
  if (tp.connectionPool) checkConnectionPool(tp.connectionPool, [...path, 'connectionPool'], err, warn);
  const lb = tp.loadBalancer;
  if (lb) {
    if (lb.simple && lb.consistentHash) err([...path, 'loadBalancer'], 'only one of simple or consistentHash can be set');
    const ch = lb.consistentHash;
    if (ch && [ch.httpHeaderName, ch.httpCookie, ch.useSourceIp, ch.httpQueryParameterName].filter((x) => x !== undefined).length !== 1) {
      err(
        [...path, 'loadBalancer', 'consistentHash'],
        'consistent hash needs exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName',
      );
    }
    if (lb.localityLbSetting)
      checkLocalityLbSetting(
        lb.localityLbSetting,
        tp.outlierDetection !== undefined,
        [...path, 'loadBalancer', 'localityLbSetting'],
        err,
        warn,
      );
    if ((lb.warmupDurationSecs !== undefined || lb.warmup) && (lb.consistentHash || lb.simple === 'RANDOM' || lb.simple === 'PASSTHROUGH'))
      warn([...path, 'loadBalancer'], 'warmup (slow start) applies only to ROUND_ROBIN and LEAST_REQUEST; ignored');
    if (lb.warmup?.aggression !== undefined && lb.warmup.aggression <= 0)
      err([...path, 'loadBalancer', 'warmup', 'aggression'], 'aggression must be greater than 0');
    if (lb.warmup?.minimumPercent !== undefined && (lb.warmup.minimumPercent < 0 || lb.warmup.minimumPercent > 100))
      err([...path, 'loadBalancer', 'warmup', 'minimumPercent'], 'minimumPercent must be between 0 and 100');
    if (lb.simple === 'PASSTHROUGH')
      warn([...path, 'loadBalancer', 'simple'], 'PASSTHROUGH is modelled as RANDOM (the original destination is a random endpoint)');
  }
  if ((tp.tls?.mode === 'SIMPLE' || tp.tls?.mode === 'MUTUAL') && !originatesTls)
    warn([...path, 'tls', 'mode'], `tls mode ${tp.tls.mode} (TLS origination with user certificates) is modelled as mTLS`);
  for (const field of ['tunnel', 'proxyProtocol', 'retryBudget'] as const)
    if (tp[field]) warn([...path, field], `${field} is not modelled; ignored`);
  tp.portLevelSettings?.forEach((p, i) => {
    // Istio: "port must be specified" for every port-level setting (validation.go validateTrafficPolicy).
    if (p.port?.number === undefined) err([...path, 'portLevelSettings', i], 'port traffic policy must have valid port');
    checkTrafficPolicy({ ...p, portLevelSettings: undefined }, [...path, 'portLevelSettings', i], originatesTls, err, warn);
  });
}

function checkDestinationRule(dr: IstioResource<DestinationRuleSpec>, p: Problems, external: boolean): void {
  for (const w of outlierDetectionWarnings(dr.spec.trafficPolicy?.outlierDetection ?? {})) {
    p.warnings.push(at(dr, ['trafficPolicy', 'outlierDetection', ...w.path], 'warning', w.message));
  }
  const err = (path: PathSegment[], m: string) => p.errors.push(at(dr, path, 'error', m));
  const warn = (path: PathSegment[], m: string) => p.warnings.push(at(dr, path, 'warning', m));
  checkTrafficPolicy(dr.spec.trafficPolicy, ['trafficPolicy'], external, err, warn);
  const seen = new Set<string>();
  dr.spec.subsets.forEach((s, i) => {
    if (seen.has(s.name)) err(['subsets', i, 'name'], `duplicate subset names: ${s.name}`);
    seen.add(s.name);
    checkTrafficPolicy(s.trafficPolicy, ['subsets', i, 'trafficPolicy'], external, err, warn);
  });
  if (dr.spec.workloadSelector) warn(['workloadSelector'], 'workloadSelector is not modelled: the rule applies to every client');
}
