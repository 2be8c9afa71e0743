/**
 * Istio's own validation for the kinds the simulator runs (errors, exit 2) and istioctl-analyze
 * style warnings where config will not do what it seems to. Messages follow Istio's wording
 * (pkg/config/validation/validation.go, virtualservice.go; analysis/msg/messages.yaml).
 */
import type { Diagnostic } from '../diagnostics.js';
import type { MeshMode, ServiceModel } from '../model.js';
import type { PathSegment } from '../yaml-source.js';
import { fqdnOf, hostMatches } from '../../policy/hosts.js';
import type { IstioConfig, IstioResource, Problems } from './resources.js';
import type { DestinationRuleSpec, HttpRoute, TrafficPolicy, VirtualServiceSpec } from './networking-schemas.js';
import { outlierDetectionWarnings } from './outlier-schema.js';
import { authorizationWarnings, projectToZtunnel, type AuthorizationPolicy } from '../../policy/authorization.js';
import { effectiveMtlsMode, peerAuthenticationWarnings as paWarnings } from '../../policy/peer-authentication.js';

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

/** What analysis needs to know of a service. */
export type AnalyzedService = Pick<ServiceModel, 'key' | 'fqdn'> &
  Partial<Pick<ServiceModel, 'namespace' | 'port'>> & { versions: { replicas: number; labels: Record<string, string> }[] };

export interface AnalyzeInputs {
  config: IstioConfig;
  changes: IstioConfig[];
  services: AnalyzedService[];
  mode: MeshMode;
  waypoints: string[];
  /** Out-of-mesh callers and the services they call (for the STRICT-with-plaintext warning). */
  plaintextCallers?: { name: string; target: string }[];
}

export function analyzeIstio(inputs: AnalyzeInputs, problems: Problems): void {
  const all = [inputs.config, ...inputs.changes];
  const drs = all.flatMap((c) => c.destinationRules);
  for (const c of all) {
    for (const vs of c.virtualServices) checkVirtualService(vs, problems);
    for (const dr of c.destinationRules) checkDestinationRule(dr, problems);
  }
  for (const c of all) for (const vs of c.virtualServices) crossCheckVirtualService(vs, drs, inputs, problems);
  for (const c of all) for (const dr of c.destinationRules) crossCheckDestinationRule(dr, inputs, problems);
  for (const c of all) checkSecurity(c, inputs, problems);
}

/** Warnings on PeerAuthentication and AuthorizationPolicy (semantics.md §7, §8). */
function checkSecurity(c: IstioConfig, inputs: AnalyzeInputs, p: Problems): void {
  const pas = c.peerAuthentications;
  const aps = c.authorizationPolicies;
  const byId = new Map<string, IstioResource<unknown>>([...pas, ...aps].map((r) => [`${r.namespace}/${r.name}`, r]));
  const warnAt = (id: string, message: string, kind: string) => {
    const r = byId.get(id) ?? pas[0] ?? aps[0];
    if (r) p.warnings.push(r.src.diagnosticAt(['metadata'], 'warning', `${kind} ${id}: ${message}`));
  };
  const paPolicies = [...pas].sort((a, b) => a.order - b.order).map((r) => ({ name: r.name, namespace: r.namespace, spec: r.spec }));
  for (const w of paWarnings(paPolicies)) warnAt(w.policy, w.message, 'PeerAuthentication');
  const apPolicies = aps.map((r) => ({ name: r.name, namespace: r.namespace, spec: r.spec as AuthorizationPolicy['spec'] }));
  for (const w of authorizationWarnings(apPolicies)) warnAt(w.policy, w.message, 'AuthorizationPolicy');
  if (inputs.mode === 'ambient') {
    for (const w of projectToZtunnel(apPolicies).warnings)
      warnAt(w.policy, `${w.message} (ztunnel enforces L4 only; bind L7 rules to a waypoint)`, 'AuthorizationPolicy');
  }
  // A STRICT workload resets plaintext callers' connections.
  for (const caller of inputs.plaintextCallers ?? []) {
    const svc = inputs.services.find((s) => s.key === caller.target);
    if (!svc || svc.namespace === undefined) continue;
    const strict = svc.versions.some(
      (v) => effectiveMtlsMode(paPolicies, { namespace: svc.namespace as string, labels: v.labels }, svc.port) === 'STRICT',
    );
    if (strict && inputs.mode !== 'none') {
      const pa = paPolicies[0];
      if (pa)
        warnAt(
          `${pa.namespace}/${pa.name}`,
          `${svc.key} requires mTLS (STRICT) but ${caller.name} calls it from outside the mesh: its connections will be reset`,
          'PeerAuthentication',
        );
    }
  }
}

function at(r: IstioResource<unknown>, path: PathSegment[], severity: 'error' | 'warning', message: string, key?: string): Diagnostic {
  return r.src.diagnosticAt(['spec', ...path], severity, `${r.kind} ${r.namespace}/${r.name}: ${message}`, key);
}

function checkVirtualService(vs: IstioResource<VirtualServiceSpec>, p: Problems): void {
  const err = (path: PathSegment[], m: string, key?: string) => p.errors.push(at(vs, path, 'error', m, key));
  const warn = (path: PathSegment[], m: string, key?: string) => p.warnings.push(at(vs, path, 'warning', m, key));
  const s = vs.spec;
  if (s.hosts.length === 0) err([], 'virtual service must have at least one host', 'hosts');
  if (s.tcp?.length) warn(['tcp'], 'tcp routes are not modelled; ignored');
  if (s.tls?.length) warn(['tls'], 'tls routes are not modelled; ignored');
  if (s.gateways?.some((g) => g !== 'mesh'))
    warn(['gateways'], 'gateway-bound routes are not modelled (no ingress gateway in the simulator); only mesh traffic is routed');
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
    if (d.headers) warn([...path, 'route', j, 'headers'], 'header manipulation is not modelled; ignored');
  });
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
  for (const [field, what] of [
    ['mirror', 'mirroring'],
    ['mirrors', 'mirroring'],
    ['redirect', 'redirects'],
    ['directResponse', 'direct responses'],
    ['delegate', 'delegation'],
    ['rewrite', 'rewrites'],
    ['corsPolicy', 'CORS policies'],
    ['headers', 'header manipulation'],
  ] as const) {
    if (route[field] !== undefined) warn([...path, field], `${what} ${what.endsWith('s') ? 'are' : 'is'} not modelled yet; ignored`);
  }
  route.match?.forEach((m, j) => {
    for (const field of ['port', 'sourceLabels', 'gateways', 'sourceNamespace', 'authority', 'scheme'] as const) {
      if (m[field] !== undefined)
        warn([...path, 'match', j, field], `match on ${field} is not modelled; the condition is treated as matching`);
    }
  });
}

function checkTrafficPolicy(
  tp: TrafficPolicy | undefined,
  path: PathSegment[],
  err: (p: PathSegment[], m: string) => void,
  warn: (p: PathSegment[], m: string) => void,
): void {
  if (!tp) return;
  const cp = tp.connectionPool;
  if (cp) {
    if (!cp.tcp && !cp.http) err([...path, 'connectionPool'], 'connection pool must have at least one field');
    const neg = (v: number | undefined, field: string[], what: string) => {
      if (v !== undefined && v < 0) err([...path, 'connectionPool', ...field], `${what} must be non-negative`);
    };
    neg(cp.tcp?.maxConnections, ['tcp', 'maxConnections'], 'max connections');
    neg(cp.http?.http1MaxPendingRequests, ['http', 'http1MaxPendingRequests'], 'http1 max pending requests');
    neg(cp.http?.http2MaxRequests, ['http', 'http2MaxRequests'], 'http2 max requests');
    neg(cp.http?.maxRequestsPerConnection, ['http', 'maxRequestsPerConnection'], 'max requests per connection');
    neg(cp.http?.maxRetries, ['http', 'maxRetries'], 'max retries');
    neg(cp.http?.maxConcurrentStreams, ['http', 'maxConcurrentStreams'], 'max concurrent streams');
    if (cp.http?.h2UpgradePolicy === 'UPGRADE' && cp.http.useClientProtocol)
      err([...path, 'connectionPool', 'http'], 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
    if (cp.tcp?.tcpKeepalive || cp.tcp?.maxConnectionDuration !== undefined)
      warn([...path, 'connectionPool', 'tcp'], 'tcpKeepalive and maxConnectionDuration are not modelled; ignored');
  }
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
    if (lb.localityLbSetting || lb.warmupDurationSecs !== undefined || lb.warmup)
      warn([...path, 'loadBalancer'], 'locality load balancing and warmup are not modelled; ignored');
    if (lb.simple === 'PASSTHROUGH')
      warn([...path, 'loadBalancer', 'simple'], 'PASSTHROUGH is modelled as RANDOM (the original destination is a random endpoint)');
  }
  if (tp.tls?.mode === 'SIMPLE' || tp.tls?.mode === 'MUTUAL')
    warn([...path, 'tls', 'mode'], `tls mode ${tp.tls.mode} (TLS origination with user certificates) is modelled as mTLS`);
  for (const field of ['tunnel', 'proxyProtocol', 'retryBudget'] as const)
    if (tp[field]) warn([...path, field], `${field} is not modelled; ignored`);
  if (tp.portLevelSettings?.length)
    warn([...path, 'portLevelSettings'], 'portLevelSettings are not modelled (services have one port); ignored');
}

function checkDestinationRule(dr: IstioResource<DestinationRuleSpec>, p: Problems): void {
  for (const w of outlierDetectionWarnings(dr.spec.trafficPolicy?.outlierDetection ?? {})) {
    p.warnings.push(at(dr, ['trafficPolicy', 'outlierDetection', ...w.path], 'warning', w.message));
  }
  const err = (path: PathSegment[], m: string) => p.errors.push(at(dr, path, 'error', m));
  const warn = (path: PathSegment[], m: string) => p.warnings.push(at(dr, path, 'warning', m));
  checkTrafficPolicy(dr.spec.trafficPolicy, ['trafficPolicy'], err, warn);
  const seen = new Set<string>();
  dr.spec.subsets.forEach((s, i) => {
    if (seen.has(s.name)) err(['subsets', i, 'name'], `duplicate subset names: ${s.name}`);
    seen.add(s.name);
    checkTrafficPolicy(s.trafficPolicy, ['subsets', i, 'trafficPolicy'], err, warn);
  });
  if (dr.spec.workloadSelector) warn(['workloadSelector'], 'workloadSelector is not modelled: the rule applies to every client');
}

const serviceFor = (fqdn: string, services: AnalyzedService[]) => services.find((s) => s.fqdn === fqdn);

function crossCheckVirtualService(
  vs: IstioResource<VirtualServiceSpec>,
  drs: IstioResource<DestinationRuleSpec>[],
  inputs: AnalyzeInputs,
  p: Problems,
): void {
  const warn = (path: PathSegment[], m: string) => p.warnings.push(at(vs, path, 'warning', m));
  vs.spec.hosts.forEach((h, i) => {
    const fqdn = fqdnOf(h, vs.namespace);
    const matched = inputs.services.filter((s) => hostMatches(fqdn, s.fqdn));
    if (matched.length === 0) warn(['hosts', i], `host "${h}" matches no service in the scenario; the rules never apply`);
    if (inputs.mode === 'ambient') {
      for (const s of matched) {
        if (!inputs.waypoints.includes(s.key))
          warn(
            ['hosts', i],
            `ambient mode: service ${s.key} has no waypoint, so ztunnel ignores this VirtualService (add it to spec.mesh.waypoints for L7 routing)`,
          );
      }
    }
  });
  vs.spec.http.forEach((route, i) =>
    route.route?.forEach((d, j) => {
      const fqdn = fqdnOf(d.destination.host, vs.namespace);
      const svc = serviceFor(fqdn, inputs.services);
      if (!svc) {
        warn(
          ['http', i, 'route', j, 'destination', 'host'],
          `destination host "${d.destination.host}" is not a service in the scenario: requests routed there get 503 NC`,
        );
        return;
      }
      const subset = d.destination.subset;
      if (subset === undefined) return;
      const def = drs
        .filter((dr) => hostMatches(fqdnOf(dr.spec.host, dr.namespace), fqdn))
        .flatMap((dr) => dr.spec.subsets)
        .find((s) => s.name === subset);
      if (!def) {
        warn(
          ['http', i, 'route', j, 'destination', 'subset'],
          `Referenced host+subset in destinationrule not found: "${d.destination.host}+${subset}" (IST0101): requests routed there get 503 NC`,
        );
      } else if (!svc.versions.some((v) => v.replicas > 0 && Object.entries(def.labels).every(([k, val]) => v.labels[k] === val))) {
        warn(
          ['http', i, 'route', j, 'destination', 'subset'],
          `subset ${subset} of ${svc.key} does not select any pods (IST0173): requests routed there get 503 UH (no healthy upstream)`,
        );
      }
    }),
  );
}

function crossCheckDestinationRule(dr: IstioResource<DestinationRuleSpec>, inputs: AnalyzeInputs, p: Problems): void {
  const warn = (path: PathSegment[], m: string) => p.warnings.push(at(dr, path, 'warning', m));
  const fqdn = fqdnOf(dr.spec.host, dr.namespace);
  const matched = inputs.services.filter((s) => hostMatches(fqdn, s.fqdn));
  // An outlierDetection that can never eject: Envoy's rule (active + 1) / total <= maxEjectionPercent.
  const checkEjectable = (od: DestinationRuleSpec['subsets'][number]['trafficPolicy'], endpoints: number, path: PathSegment[]) => {
    const o = od?.outlierDetection;
    if (!o || endpoints === 0) return;
    const max = o.maxEjectionPercent && o.maxEjectionPercent > 0 ? o.maxEjectionPercent : 10;
    if ((100 * 1) / endpoints > max) {
      warn(
        [...path, 'outlierDetection'],
        `outlierDetection can never eject: with ${endpoints} endpoint(s) one ejection is ${(100 / endpoints).toFixed(1)}% > maxEjectionPercent ${max}% (Envoy's default is 10%; set maxEjectionPercent to at least ${Math.ceil(100 / endpoints)})`,
      );
    }
  };
  for (const s of matched) {
    const pods = (labels?: Record<string, string>) =>
      s.versions
        .filter((v) => !labels || Object.entries(labels).every(([k, val]) => v.labels[k] === val))
        .reduce((n, v) => n + v.replicas, 0);
    checkEjectable(dr.spec.trafficPolicy, pods(), ['trafficPolicy']);
    dr.spec.subsets.forEach((sub, i) =>
      checkEjectable(sub.trafficPolicy ?? dr.spec.trafficPolicy, pods(sub.labels), ['subsets', i, 'trafficPolicy']),
    );
  }
  if (matched.length === 0) warn(['host'], `host "${dr.spec.host}" matches no service in the scenario; the rule is ignored`);
  if (inputs.mode === 'ambient') {
    for (const s of matched) {
      if (
        !inputs.waypoints.includes(s.key) &&
        (dr.spec.trafficPolicy?.loadBalancer ||
          dr.spec.trafficPolicy?.connectionPool ||
          dr.spec.trafficPolicy?.outlierDetection ||
          dr.spec.subsets.length)
      ) {
        warn(
          ['host'],
          `ambient mode: service ${s.key} has no waypoint, so ztunnel ignores this DestinationRule's L7 settings (add it to spec.mesh.waypoints)`,
        );
      }
    }
  }
}
