/**
 * Istio's own validation for the kinds the simulator runs (errors, exit 2) and istioctl-analyze
 * style warnings where config will not do what it seems to. Messages follow Istio's wording
 * (pkg/config/validation/validation.go, virtualservice.go; analysis/msg/messages.yaml).
 */

import { localRateLimits } from '../policy/local-ratelimit.js';
import type { MeshMode, ServiceModel } from '../config/model.js';
import type { PathSegment } from '../config/yaml-source.js';
import { fqdnOf, hostMatches } from '../policy/hosts.js';
import type { IstioConfig, IstioResource, Problems } from '../config/istio/resources.js';
import type { DestinationRuleSpec, VirtualServiceSpec } from '../config/istio/networking-schemas.js';
import { DEFAULT_OUTLIER_CONFIG, outlierConfigFromIstio } from '../config/istio/outlier-config.js';
import { at } from '../config/istio/validate-networking.js';
import { authorizationWarnings, projectToZtunnel } from '../policy/authorization.js';
import { effectiveMtlsMode, peerAuthenticationWarnings as paWarnings } from '../policy/peer-authentication.js';

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
  /** meshConfig.extensionProviders that istiod can build (their service exists). */
  extensionProviders?: string[];
}

export function analyzeIstio(inputs: AnalyzeInputs, problems: Problems): void {
  const all = [inputs.config, ...inputs.changes];
  const drs = all.flatMap((c) => c.destinationRules);
  for (const c of all) for (const vs of c.virtualServices) crossCheckVirtualService(vs, drs, inputs, problems);
  for (const c of all) for (const dr of c.destinationRules) crossCheckDestinationRule(dr, inputs, problems);
  for (const c of all) checkSecurity(c, inputs, problems);
  for (const c of all) checkEnvoyFilters(c, problems);
}

/**
 * Ambient: a CUSTOM policy runs its ext_authz check at the waypoint its targetRefs name (kind
 * Gateway: the `<service>-waypoint` of a service in spec.mesh.waypoints; kind Service: a service with
 * a waypoint). A target with no waypoint runs the check nowhere (https://istio.io/latest/docs/ambient/usage/l7-features/).
 */
function checkCustomTargets(ap: IstioConfig['authorizationPolicies'][number], inputs: AnalyzeInputs, p: Problems): void {
  const refs = [...(ap.spec.targetRef ? [ap.spec.targetRef] : []), ...(ap.spec.targetRefs ?? [])];
  // A service's waypoint here is `<service>-waypoint` in its namespace (dataplane/ambient.ts).
  const withWaypoint = inputs.services
    .filter((s) => inputs.waypoints.includes(s.key))
    .map((s) => ({ name: s.fqdn.split('.')[0] ?? s.key, namespace: s.namespace ?? 'default' }));
  refs.forEach((t, i) => {
    const ns = ap.namespace;
    const found =
      t.kind === 'Gateway'
        ? withWaypoint.some((s) => s.namespace === ns && `${s.name}-waypoint` === t.name)
        : t.kind === 'Service'
          ? withWaypoint.some((s) => s.namespace === ns && s.name === t.name)
          : true;
    if (!found) {
      const path = ap.spec.targetRef ? ['spec', 'targetRef'] : ['spec', 'targetRefs', i];
      p.warnings.push(
        ap.src.diagnosticAt(
          path,
          'warning',
          `AuthorizationPolicy ${ns}/${ap.name}: CUSTOM targetRefs ${t.kind} ${t.name} is not a waypoint (or a service using one) in spec.mesh.waypoints: its ext_authz check runs nowhere`,
        ),
      );
    }
  });
}

/** Warnings on PeerAuthentication and AuthorizationPolicy (as istiod reports them: istio/istio pkg/config/analysis). */
/** EnvoyFilter patches other than local rate limiting are not simulated: each is named (policy/local-ratelimit.ts). */
function checkEnvoyFilters(c: IstioConfig, p: Problems): void {
  for (const w of localRateLimits(c.envoyFilters).warnings)
    p.warnings.push(w.resource.src.diagnosticAt(['spec', 'configPatches', w.patch], 'warning', w.message));
}

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
  const apPolicies = aps.map((r) => ({ name: r.name, namespace: r.namespace, spec: r.spec }));
  for (const w of authorizationWarnings(apPolicies, new Set(inputs.extensionProviders ?? []), c.requestAuthentications.length > 0))
    warnAt(w.policy, w.message, 'AuthorizationPolicy');
  if (inputs.mode === 'ambient') {
    for (const w of projectToZtunnel(apPolicies).warnings)
      warnAt(w.policy, `${w.message} (ztunnel enforces L4 only; bind L7 rules to a waypoint)`, 'AuthorizationPolicy');
    for (const ap of aps) if (ap.spec.action === 'CUSTOM') checkCustomTargets(ap, inputs, p);
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
    const max = outlierConfigFromIstio(o).maxEjectionPercent;
    if ((100 * 1) / endpoints > max) {
      warn(
        [...path, 'outlierDetection'],
        `outlierDetection can never eject: with ${endpoints} endpoint(s) one ejection is ${(100 / endpoints).toFixed(1)}% > maxEjectionPercent ${max}% (Envoy's default is ${DEFAULT_OUTLIER_CONFIG.maxEjectionPercent}%; set maxEjectionPercent to at least ${Math.ceil(100 / endpoints)})`,
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
