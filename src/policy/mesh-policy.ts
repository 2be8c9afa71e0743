/**
 * The traffic configuration a client-side Envoy (sidecar or waypoint) runs with, compiled from
 * VirtualServices and DestinationRules: which route a request takes, which cluster (service and
 * subset) it goes to, and with which traffic policy. Sources: istio/api networking/v1alpha3/
 * virtual_service.proto and destination_rule.proto; istio/istio pilot/pkg/networking/core/route/route.go
 * (routes), pilot/pkg/model/push_context.go (which DestinationRule a client sees).
 */
import type {
  ConnectionPoolSettings,
  DestinationRuleSpec,
  HeaderOperations,
  HttpMatchRequest,
  HttpRewrite,
  HttpRoute,
  TrafficPolicy,
  VirtualServiceSpec,
} from '../config/istio/networking-schemas.js';
import type { IstioConfig, IstioResource } from '../config/istio/resources.js';
import type { OutboundTrafficMode, RequestShape, ServiceModel } from '../config/model.js';
import { serviceEntryFor } from '../config/external.js';
import { isHttpHost, outboundDecision } from './egress.js';
import { localRateLimits, type LocalRateLimit } from './local-ratelimit.js';
import { fqdnOf, hostMatches } from './hosts.js';
import { MESH_GATEWAY, matchingBlock, requestMatches, resolveGatewayRef, sourceMatches, type RouteSource } from './match.js';
import { compileRetryPolicy, defaultRetriableCodes, defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { SecurityPolicy } from './security.js';
import { defaultEndpointPort, SidecarScopes, type InboundListener, type ScopedWorkload } from './sidecar-scope.js';
import { gammaVirtualServices, isGatewayApiVirtualService, type GatewayApiVirtualService } from './gamma.js';

/** Istio's root namespace: config there applies mesh-wide (meshConfig.rootNamespace). */
export const ROOT_NAMESPACE = 'istio-system';

export interface RouteDestination {
  /** Key of the target service, or undefined when the host is not a known service (→ 503 NC). */
  service?: string;
  host: string;
  subset?: string;
  weight: number;
  /** The destination's own request header operations (Envoy's weighted-cluster headers). */
  requestHeaders?: HeaderOperations;
  /** `destination.port.number`: the cluster `outbound|port|subset|host` and its port-level policy (the service's port when absent). */
  port?: number;
  /** The destination's own response header operations (weighted cluster response_headers_to_add/remove). */
  responseHeaders?: HeaderOperations;
  /** The host is a Kubernetes Service selecting some pods of `service` (serviceAlias): its own cluster, those pods. */
  alias?: ServiceAlias;
}

/**
 * A Kubernetes Service that selects some of the pods of a modelled service, such as Bookinfo's
 * per-version `reviews-v1` (app=reviews, version=v1; samples/bookinfo/platform/kube/bookinfo-versions.yaml):
 * Envoy builds a cluster `outbound|port||<its host>` whose endpoints are those pods.
 */
export interface ServiceAlias {
  fqdn: string;
  /** The Service's selector, which the pods' labels must carry. */
  labels: Readonly<Record<string, string>>;
}

/** A mirror (shadow) target of a route and the percentage of requests copied to it. */
export interface MirrorTarget {
  service?: string;
  host: string;
  subset?: string;
  percent: number;
}

export interface CompiledRoute {
  /** `namespace/name#index` of the rule, or `default` for the mesh default route. */
  id: string;
  /** Match blocks that must all hold: the rule's own, and for a delegated rule its root rule's first. */
  matchSets: (HttpMatchRequest[] | undefined)[];
  destinations: RouteDestination[];
  totalWeight: number;
  timeoutUs?: number;
  retry?: RetryPolicy;
  fault?: { delayUs?: number; delayPercent: number; abortStatus?: number; abortPercent: number };
  /** The catch-all `allow_any` route to PassthroughCluster (a host outside the registry). */
  passthrough?: boolean;
  /** HTTPRedirect: answered by the proxy with `status` (301 by default). */
  redirect?: { status: number };
  /** HTTPDirectResponse: answered by the proxy. */
  directResponse?: { status: number; bodyBytes: number };
  rewrite?: HttpRewrite;
  /** The route's request header operations (after the destination's). */
  requestHeaders?: HeaderOperations;
  /** The route's response header operations (after the destination's). */
  responseHeaders?: HeaderOperations;
  mirrors: MirrorTarget[];
  /**
   * A route Istio generated from a Gateway API HTTPRoute (route semantics `gateway`): prefixes
   * match path-separated, a rewrite to `/` strips the prefix, and a backend that resolves to no
   * cluster answers 500 instead of 503 (pilot/pkg/networking/core/route/route.go).
   */
  gatewaySemantics?: true;
}

/** Version-dependent istiod defaults (from the cost profile's `features`). */
export interface MeshDefaults {
  /** EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: true from Istio 1.24 (503 not retried by default). */
  exclude503FromDefaultRetry: boolean;
  /** meshConfig.localityLbSetting.enabled (default true). */
  localityLbEnabled: boolean;
  /** meshConfig.extensionProviders istiod can build (names); CUSTOM policies naming others deny. */
  extensionProviders?: readonly string[];
  /** meshConfig.outboundTrafficPolicy.mode (default ALLOW_ANY). */
  outboundTrafficPolicy?: OutboundTrafficMode;
}

export const CURRENT_MESH_DEFAULTS: MeshDefaults = { exclude503FromDefaultRetry: true, localityLbEnabled: true };

/**
 * `blackhole`: REGISTRY_ONLY and a host outside the registry (egress.ts). A route to a host
 * outside the registry under ALLOW_ANY is the `allow_any` passthrough route (`passthrough` set).
 * `match` is the match block that selected the route (its uri prefix is what a rewrite replaces).
 */
export type RouteResult =
  | {
      kind: 'route';
      route: CompiledRoute;
      match?: HttpMatchRequest;
      /** Given without looking at the request (no VirtualService for the host): every request from that proxy namespace gets it under this policy. */
      sameForEveryRequest?: boolean;
    }
  | { kind: 'no-route' }
  | { kind: 'blackhole' };

export class MeshPolicy {
  private readonly byFqdn: Map<string, ServiceModel>;
  private readonly routeCache = new Map<IstioResource<VirtualServiceSpec>, CompiledRoute[]>();
  /** The VirtualService a proxy uses per service, then per proxy namespace ('' when not known). */
  private readonly vsCache = new Map<string, Map<string, IstioResource<VirtualServiceSpec> | null>>();
  /** VirtualServices Istio generates from HTTPRoutes whose parent is a Service (GAMMA, policy/gamma.ts). */
  readonly gammaVirtualServices: readonly GatewayApiVirtualService[];

  /** mTLS modes and authorization, from the same config. */
  readonly security: SecurityPolicy;
  /** Local rate limits inserted by EnvoyFilters (local-ratelimit.ts). */
  readonly rateLimits: readonly LocalRateLimit[];
  /** Which services each sidecar holds config for (Sidecar resources). */
  readonly sidecarScopes: SidecarScopes;

  constructor(
    readonly config: IstioConfig,
    readonly services: readonly ServiceModel[],
    readonly defaults: MeshDefaults = CURRENT_MESH_DEFAULTS,
  ) {
    this.byFqdn = new Map(services.map((s) => [s.fqdn, s]));
    this.security = new SecurityPolicy(config, defaults.extensionProviders);
    this.rateLimits = localRateLimits(config.envoyFilters).limits;
    this.sidecarScopes = new SidecarScopes(config.sidecars, ROOT_NAMESPACE);
    const k8sHosts = new Set(config.k8sServices.map((k) => `${k.name}.${k.namespace}.svc.cluster.local`));
    this.gammaVirtualServices = gammaVirtualServices(config.mesh.httpRoutes, (fqdn) => this.byFqdn.has(fqdn) || k8sHosts.has(fqdn));
  }

  /** A copy with `change` applied: resources with the same kind, namespace and name are replaced. */
  withChange(change: IstioConfig): MeshPolicy {
    const replace = <T extends IstioResource<unknown>>(old: T[], next: T[]) => [
      ...old.filter((o) => !next.some((n) => n.name === o.name && n.namespace === o.namespace)),
      ...next,
    ];
    return new MeshPolicy(
      {
        ...this.config,
        virtualServices: replace(this.config.virtualServices, change.virtualServices),
        destinationRules: replace(this.config.destinationRules, change.destinationRules),
        peerAuthentications: replace(this.config.peerAuthentications, change.peerAuthentications),
        authorizationPolicies: replace(this.config.authorizationPolicies, change.authorizationPolicies),
        sidecars: replace(this.config.sidecars, change.sidecars),
        serviceEntries: replace(this.config.serviceEntries, change.serviceEntries),
        requestAuthentications: replace(this.config.requestAuthentications, change.requestAuthentications),
        envoyFilters: replace(this.config.envoyFilters, change.envoyFilters),
      },
      this.services,
      this.defaults,
    );
  }

  /**
   * The VirtualService a mesh proxy (sidecar, or waypoint) in `proxyNs` uses for a service: the
   * oldest one bound to `mesh` naming its host, a second one for the same host being dropped
   * ("duplicate domain from virtual service", pilot/pkg/networking/core/httproute.go). VirtualServices
   * generated from HTTPRoutes (GAMMA) count only for proxies in their own namespace (consumer
   * routes) or in the Service's (producer routes), and those in the proxy's own namespace come
   * first whatever their age (pilot/pkg/networking/core/route/route.go "Gateway allows only routes
   * from the namespace of the proxy, or namespace of the destination"; pilot/pkg/model/virtualservice.go
   * SelectVirtualServices: gateway-semantics VirtualServices of the proxy's namespace first).
   */
  virtualServiceFor(svc: ServiceModel, proxyNs?: string): IstioResource<VirtualServiceSpec> | undefined {
    let byNs = this.vsCache.get(svc.key);
    if (!byNs) this.vsCache.set(svc.key, (byNs = new Map()));
    let vs = byNs.get(proxyNs ?? '');
    if (vs === undefined) {
      const classic = this.config.virtualServices.filter(
        (v) => boundTo(v, MESH_GATEWAY) && v.spec.hosts.some((h) => hostMatches(fqdnOf(h, v.namespace), svc.fqdn)),
      );
      const gamma = this.gammaVirtualServices.filter(
        (v) => v.spec.hosts[0] === svc.fqdn && (v.namespace === svc.namespace || v.namespace === proxyNs),
      );
      const own = gamma.filter((v) => v.namespace === proxyNs).sort((a, b) => a.order - b.order);
      const rest = [...classic, ...gamma.filter((v) => v.namespace !== proxyNs)].sort((a, b) => a.order - b.order);
      vs = own[0] ?? rest[0] ?? null;
      byNs.set(proxyNs ?? '', vs);
    }
    return vs ?? undefined;
  }

  /** Routes for a service: its VirtualService's http rules (delegates merged in), or Istio's default route. */
  routesFor(svc: ServiceModel, proxyNs?: string): CompiledRoute[] | null {
    const vs = this.virtualServiceFor(svc, proxyNs);
    if (!vs) return null;
    let routes = this.routeCache.get(vs);
    if (routes === undefined) this.routeCache.set(vs, (routes = this.compileRules(vs)));
    return routes;
  }

  /**
   * A root VirtualService's rules, each `delegate` rule replaced by the delegate's rules: their
   * matches must hold together with the root rule's, and the root rule fills in what a delegate
   * rule leaves unset (istio/istio pilot/pkg/model/virtualservice.go mergeVirtualServicesIfNeeded,
   * mergeHTTPRoute). A missing delegate drops the rule. One level only.
   */
  private compileRules(vs: IstioResource<VirtualServiceSpec>): CompiledRoute[] {
    if (isGatewayApiVirtualService(vs))
      return vs.spec.http.map((r, i) =>
        this.compileRule(vs.namespace, vs.ruleIds[i] ?? `${vs.namespace}/${vs.name}#${i}`, r, [r.match], true),
      );
    const out: CompiledRoute[] = [];
    vs.spec.http.forEach((r, i) => {
      if (!r.delegate) {
        out.push(this.compileRule(vs.namespace, `${vs.namespace}/${vs.name}#${i}`, r, [r.match]));
        return;
      }
      const d = this.delegateOf(r.delegate, vs.namespace);
      d?.spec.http.forEach((sub, j) => {
        if (sub.delegate) return;
        const merged: HttpRoute = {
          ...sub,
          rewrite: sub.rewrite ?? r.rewrite,
          directResponse: sub.directResponse ?? r.directResponse,
          timeout: sub.timeout ?? r.timeout,
          retries: sub.retries ?? r.retries,
          fault: sub.fault ?? r.fault,
          mirror: sub.mirror ?? r.mirror,
          mirrors: sub.mirrors ?? r.mirrors,
          mirrorPercentage: sub.mirrorPercentage ?? r.mirrorPercentage,
          corsPolicy: sub.corsPolicy ?? r.corsPolicy,
          headers: sub.headers ?? r.headers,
        };
        out.push(this.compileRule(d.namespace, `${d.namespace}/${d.name}#${j}`, merged, [r.match, sub.match]));
      });
    });
    return out;
  }

  /** The delegate VirtualService a root rule names (a VirtualService without hosts). */
  delegateOf(ref: { name?: string; namespace?: string }, rootNs: string): IstioResource<VirtualServiceSpec> | undefined {
    const ns = ref.namespace ?? rootNs;
    return this.config.virtualServices.find((v) => v.name === ref.name && v.namespace === ns && v.spec.hosts.length === 0);
  }

  private readonly registered = new Map<string, boolean>();

  /** Whether a host is in the mesh's registry: a Kubernetes Service, or a host a ServiceEntry declares. */
  isRegistered(svc: ServiceModel): boolean {
    if (!svc.external) return true;
    let r = this.registered.get(svc.key);
    if (r === undefined) this.registered.set(svc.key, (r = serviceEntryFor(this.config, svc.fqdn) !== undefined));
    return r;
  }

  /**
   * The outbound traffic policy a client proxy applies: the Sidecar resource's
   * `outboundTrafficPolicy.mode` for the workload it configures, else the mesh's
   * (istio/api networking/v1alpha3/sidecar.proto outboundTrafficPolicy: "overrides the mesh-wide setting").
   */
  outboundTrafficMode(workload?: ScopedWorkload): OutboundTrafficMode {
    const own = workload && this.sidecarScopes.any ? this.sidecarScopes.sidecarFor(workload)?.spec.outboundTrafficPolicy?.mode : undefined;
    return own ?? this.defaults.outboundTrafficPolicy ?? 'ALLOW_ANY';
  }

  /**
   * First matching rule wins; with a VirtualService and no match → no route (404 NR). A host
   * outside the registry gets the catch-all instead (egress.ts); a TLS host (https) is forwarded
   * by SNI with no HTTP route at all (no VirtualService http rules, retries or faults). Match blocks
   * not built for this proxy (`gateways`, `sourceLabels`, `sourceNamespace`, `port`) are skipped; when
   * that leaves no rule at all, the VirtualService is not used and the default route applies.
   */
  route(
    svc: ServiceModel,
    req: RequestShape,
    mode: OutboundTrafficMode = this.outboundTrafficMode(),
    source?: Omit<RouteSource, 'gateway' | 'port'>,
    proxyNs: string | undefined = source?.namespace,
  ): RouteResult {
    const decision = outboundDecision(this.isRegistered(svc), mode);
    if (decision === 'blackhole') return { kind: 'blackhole' };
    if (decision === 'passthrough' || !isHttpHost(svc)) return { kind: 'route', route: this.forwardRoute(svc, decision === 'passthrough') };
    const routes = this.routesFor(svc, proxyNs);
    if (routes === null) return this.defaultResult(svc);
    const vs = this.virtualServiceFor(svc, proxyNs) as IstioResource<VirtualServiceSpec>;
    if (vs.spec.http.some((r) => r.delegate)) {
      for (const route of routes) {
        let match: HttpMatchRequest | undefined;
        let ok = true;
        for (const set of route.matchSets) {
          const block = matchingBlock(set, req);
          if (block === null) {
            ok = false;
            break;
          }
          // A delegate's uri match is the one a rewrite's prefix refers to, else the root's.
          if (block?.uri || !match) match = block ?? match;
        }
        if (ok) return { kind: 'route', route, match };
      }
      return { kind: 'no-route' };
    }
    const src: RouteSource = { ...source, gateway: MESH_GATEWAY, port: svc.port };
    const picked = firstMatchingRule(vs, req, src);
    if (picked === 'unbuilt') return { kind: 'route', route: this.defaultRoute(svc) };
    if (picked === undefined) return { kind: 'no-route' };
    const match = matchingBlock(vs.spec.http[picked]?.match, req, isGatewayApiVirtualService(vs)) ?? undefined;
    return { kind: 'route', route: routes[picked]!, match };
  }

  private defaultRouteCache = new Map<string, CompiledRoute>();
  /** The default route as a route() result, one per service (results are only read): none made per request. */
  private readonly defaultResults = new Map<string, RouteResult>();
  private readonly forwardRouteCache = new Map<string, CompiledRoute>();

  /** A route with no retry policy, timeout or fault: `allow_any` (passthrough) or a TLS host's TCP forwarding. */
  private forwardRoute(svc: ServiceModel, passthrough: boolean): CompiledRoute {
    const k = `${svc.key}|${passthrough}`;
    let r = this.forwardRouteCache.get(k);
    if (!r) {
      r = {
        id: passthrough ? 'allow_any' : 'tcp',
        matchSets: [],
        mirrors: [],
        destinations: [{ service: svc.key, host: svc.fqdn, weight: 1 }],
        totalWeight: 1,
        passthrough,
      };
      this.forwardRouteCache.set(k, r);
    }
    return r;
  }

  defaultRoute(svc: ServiceModel): CompiledRoute {
    let r = this.defaultRouteCache.get(svc.key);
    if (!r) {
      r = {
        id: 'default',
        matchSets: [],
        mirrors: [],
        destinations: [{ service: svc.key, host: svc.fqdn, weight: 1 }],
        totalWeight: 1,
        retry: defaultRetryPolicy(this.isConsistentHash(svc, undefined), this.defaultCodes),
      };
      this.defaultRouteCache.set(svc.key, r);
    }
    return r;
  }

  private defaultResult(svc: ServiceModel): RouteResult {
    let r = this.defaultResults.get(svc.key);
    if (!r) this.defaultResults.set(svc.key, (r = { kind: 'route', route: this.defaultRoute(svc), sameForEveryRequest: true }));
    return r;
  }

  /** One http rule as Envoy runs it (also for gateway-bound VirtualServices, policy/gateway-routes.ts). */
  compileRoute(vs: IstioResource<VirtualServiceSpec>, r: HttpRoute, index: number): CompiledRoute {
    return this.compileRule(vs.namespace, `${vs.namespace}/${vs.name}#${index}`, r, [r.match]);
  }

  /** An http route converted from an HTTPRoute rule (policy/gateway-api-conversion.ts), with gateway route semantics. */
  compileGatewayApiRoute(namespace: string, id: string, r: HttpRoute): CompiledRoute {
    return this.compileRule(namespace, id, r, [r.match], true);
  }

  private compileRule(
    namespace: string,
    id: string,
    r: HttpRoute,
    matchSets: (HttpMatchRequest[] | undefined)[],
    gatewaySemantics = false,
  ): CompiledRoute {
    const dests: RouteDestination[] = (r.route ?? []).map((d) => {
      const fqdn = fqdnOf(d.destination.host, namespace);
      const svc = this.byFqdn.get(fqdn);
      const alias = svc ? undefined : this.serviceAlias(fqdn);
      return {
        service: svc?.key ?? alias?.service.key,
        host: d.destination.host,
        subset: d.destination.subset,
        weight: d.weight ?? 0,
        ...(d.headers?.request ? { requestHeaders: d.headers.request } : {}),
        ...(d.destination.port ? { port: d.destination.port.number } : {}),
        ...(d.headers?.response ? { responseHeaders: d.headers.response } : {}),
        ...(alias ? { alias: { fqdn, labels: alias.labels } } : {}),
      };
    });
    // One destination takes everything whatever its weight; weight-0 destinations get nothing.
    if (dests.length === 1) (dests[0] as RouteDestination).weight = 1;
    const first = dests[0];
    const firstSvc = first?.service ? this.services.find((s) => s.key === first.service) : undefined;
    const consistentHash = dests.length === 1 && firstSvc !== undefined && this.isConsistentHash(firstSvc, first?.subset);
    const f = r.fault;
    return {
      id,
      matchSets,
      destinations: dests.filter((d) => d.weight > 0),
      totalWeight: dests.reduce((n, d) => n + d.weight, 0),
      timeoutUs: r.timeout,
      retry: compileRetryPolicy(r.retries, consistentHash, this.defaultCodes),
      // Without `percentage` the deprecated integer `percent` applies (default 0: no fault).
      fault: f && {
        delayUs: f.delay?.fixedDelay,
        delayPercent: f.delay ? (f.delay.percentage?.value ?? f.delay.percent ?? 0) : 0,
        abortStatus: f.abort?.httpStatus ?? (f.abort?.grpcStatus !== undefined ? 200 : undefined),
        abortPercent: f.abort ? (f.abort.percentage?.value ?? 0) : 0,
      },
      // HTTPRedirect.redirectCode defaults to 301 (Envoy RedirectAction MOVED_PERMANENTLY).
      ...(r.redirect ? { redirect: { status: r.redirect.redirectCode ?? 301 } } : {}),
      ...(r.directResponse
        ? { directResponse: { status: r.directResponse.status, bodyBytes: directBodyBytes(r.directResponse.body) } }
        : {}),
      ...(r.rewrite ? { rewrite: r.rewrite } : {}),
      ...(r.headers?.request ? { requestHeaders: r.headers.request } : {}),
      ...(r.headers?.response ? { responseHeaders: r.headers.response } : {}),
      mirrors: this.compileMirrors(namespace, r),
      ...(gatewaySemantics ? { gatewaySemantics: true as const } : {}),
    };
  }

  private readonly aliases = new Map<string, { service: ServiceModel; labels: Record<string, string> } | null>();

  /**
   * A host that is a Kubernetes Service of the YAML but not a modelled service, because its
   * selector picks pods of one (config/istio/manifest-services.ts models each pod once): that
   * service and the selector, or undefined.
   */
  serviceAlias(fqdn: string): { service: ServiceModel; labels: Record<string, string> } | undefined {
    let a = this.aliases.get(fqdn);
    if (a === undefined) {
      const ks = this.config.k8sServices.find((k) => `${k.name}.${k.namespace}.svc.cluster.local` === fqdn);
      const wanted = Object.entries(ks?.selector ?? {});
      const service =
        ks && wanted.length > 0
          ? this.services.find(
              (s) => s.namespace === ks.namespace && !s.external && s.versions.some((v) => wanted.every(([k, val]) => v.labels[k] === val)),
            )
          : undefined;
      a = service && ks ? { service, labels: ks.selector } : null;
      this.aliases.set(fqdn, a);
    }
    return a ?? undefined;
  }

  /** The default retry policy's status codes for this release (also for Gateway API routes). */
  get defaultRetryCodes(): readonly number[] {
    return this.defaultCodes;
  }

  /**
   * `mirror` with `mirrorPercentage` (absent: 100%; the deprecated integer `mirrorPercent` before
   * it), or `mirrors[]` each with its own percentage (istio/istio pilot/pkg/networking/core/route/route.go
   * MirrorPercent / translateRoute). 0% mirrors nothing.
   */
  private compileMirrors(namespace: string, r: HttpRoute): MirrorTarget[] {
    const target = (host: string, subset: string | undefined, percent: number): MirrorTarget => ({
      service: this.byFqdn.get(fqdnOf(host, namespace))?.key,
      host,
      subset,
      percent,
    });
    const out: MirrorTarget[] = [];
    if (r.mirror) out.push(target(r.mirror.host, r.mirror.subset, r.mirrorPercentage?.value ?? r.mirrorPercent ?? 100));
    for (const m of r.mirrors ?? []) out.push(target(m.destination.host, m.destination.subset, m.percentage?.value ?? 100));
    return out.filter((m) => m.percent > 0);
  }

  private get defaultCodes(): readonly number[] {
    return defaultRetriableCodes(this.defaults.exclude503FromDefaultRetry);
  }

  private isConsistentHash(svc: ServiceModel, subset: string | undefined): boolean {
    return this.trafficPolicy(svc, subset, svc.namespace).loadBalancer?.consistentHash !== undefined;
  }

  /**
   * The DestinationRule for a host as a client in `clientNs` sees it: one in the client's
   * namespace, else one in the service's namespace, else one in the root namespace; within a
   * level an exact host beats a wildcard and the oldest wins (push_context.go destinationRule).
   */
  destinationRule(svc: ServiceModel, clientNs: string): IstioResource<DestinationRuleSpec> | undefined {
    // PassthroughCluster (a host outside the registry) takes no DestinationRule.
    if (!this.isRegistered(svc)) return undefined;
    for (const ns of [clientNs, svc.namespace, ROOT_NAMESPACE]) {
      const candidates = this.config.destinationRules
        .filter((dr) => dr.namespace === ns && hostMatches(fqdnOf(dr.spec.host, dr.namespace), svc.fqdn))
        .sort((a, b) => {
          const wa = a.spec.host.startsWith('*') ? 1 : 0;
          const wb = b.spec.host.startsWith('*') ? 1 : 0;
          return wa - wb || a.order - b.order;
        });
      if (candidates[0]) return candidates[0];
    }
    return undefined;
  }

  /** Labels of a subset, or undefined when no DestinationRule defines it (→ 503 NC). */
  subsetLabels(svc: ServiceModel, subset: string, clientNs: string): Record<string, string> | undefined {
    return this.destinationRule(svc, clientNs)?.spec.subsets.find((s) => s.name === subset)?.labels;
  }

  /**
   * The server sidecar's inbound cluster `inbound|PORT||` for a workload of `svc`. Its connection
   * pool, highest precedence first: the Sidecar ingress listener's `connectionPool`, the Sidecar's
   * `inboundConnectionPool`, else Istio's unlimited default (istio/istio
   * pilot/pkg/networking/core/cluster_builder.go buildInboundCluster; sidecar.proto
   * inbound_connection_pool, https://istio.io/latest/docs/reference/config/networking/sidecar/).
   * Istio puts the DestinationRule's connectionPool between the two (it applies to the server's
   * inbound cluster too); that step is left out for now (README "Sidecar ingress listeners").
   * Only the connection pool applies inbound (cluster_traffic_policy.go applyTrafficPolicy skips
   * the rest for TrafficDirectionInbound). Traffic to a port no ingress listener lists takes
   * InboundPassthroughCluster, whose pool is Istio's default.
   */
  inboundCluster(w: ScopedWorkload, svc: ServiceModel): InboundClusterPlan {
    const listener = this.sidecarScopes.inboundListener(w, svc.port);
    const name = `inbound|${svc.port}||`;
    if (listener.kind === 'passthrough') return { name, listener, endpointPort: svc.port, protocol: svc.protocol };
    // A Sidecar's ingress/inboundConnectionPool configures the inbound cluster; without one the
    // service's DestinationRule applies to the server's inbound sidecar too ("By default, Istio
    // applies a service's DestinationRule to client-sidecars ... but also to the server's inbound
    // sidecar", istio/api networking/v1alpha3/sidecar.proto, inboundConnectionPool).
    const connectionPool =
      this.sidecarScopes.inboundConnectionPool(w, svc.port) ?? this.trafficPolicy(svc, undefined, w.namespace).connectionPool;
    const ingress = listener.kind === 'listener' ? listener.ingress : undefined;
    return {
      name,
      listener,
      ...(connectionPool ? { connectionPool } : {}),
      endpointPort: defaultEndpointPort(ingress?.defaultEndpoint) ?? svc.port,
      protocol: inboundProtocol(ingress?.port?.protocol) ?? svc.protocol,
    };
  }

  /**
   * The cluster's traffic policy: the DestinationRule's, with a subset's own policy replacing it
   * block by block (connectionPool, outlierDetection, loadBalancer, tls…), not field by field
   * (MergeSubsetTrafficPolicy, istio/istio pilot/pkg/networking/util/util.go).
   */
  trafficPolicy(svc: ServiceModel, subset: string | undefined, clientNs: string, port = svc.port): TrafficPolicy {
    const dr = this.destinationRule(svc, clientNs);
    const base = withPortLevel(dr?.spec.trafficPolicy ?? {}, port);
    if (subset === undefined) return base;
    const own = dr?.spec.subsets.find((s) => s.name === subset)?.trafficPolicy;
    if (!own) return base;
    const merged: TrafficPolicy = { ...base };
    for (const [k, v] of Object.entries(own)) if (v !== undefined && k !== 'portLevelSettings') (merged as Record<string, unknown>)[k] = v;
    return withPortLevel({ ...merged, portLevelSettings: own.portLevelSettings }, port);
  }
}

/**
 * Whether a VirtualService applies to mesh traffic (sidecars, waypoints): istio/api
 * networking/v1alpha3/virtual_service.proto `gateways`: "When this field is omitted, the default
 * gateway (mesh) will be used … If a list of gateway names is provided, the rules will apply only to
 * the gateways. To apply the rules to both gateways and sidecars, specify mesh as one of the gateway
 * names." (Bookinfo's `bookinfo` VirtualService, bound to bookinfo-gateway, must not route the
 * productpage → details calls.)
 */
export function appliesToMesh(spec: VirtualServiceSpec): boolean {
  return !spec.gateways || spec.gateways.length === 0 || spec.gateways.includes(MESH_GATEWAY);
}

/** The gateways a VirtualService is bound to, resolved (`mesh` when it lists none: virtual_service.proto). */
export function gatewaysOf(vs: IstioResource<VirtualServiceSpec>): string[] {
  const g = vs.spec.gateways;
  return g && g.length > 0 ? g.map((ref) => resolveGatewayRef(ref, vs.namespace)) : [MESH_GATEWAY];
}

/** Whether a VirtualService applies to the proxies of `gateway` (`mesh` for sidecars, else `ns/name`). */
export function boundTo(vs: IstioResource<VirtualServiceSpec>, gateway: string): boolean {
  return gatewaysOf(vs).includes(gateway);
}

/**
 * Index of the first rule whose match holds for `req` among the match blocks built for `src`;
 * undefined when none holds; 'unbuilt' when every rule was left out for this proxy (route.go
 * BuildHTTPRoutesForVirtualService: "no routes matched", the VirtualService is skipped).
 */
export function firstMatchingRule(
  vs: IstioResource<VirtualServiceSpec>,
  req: RequestShape,
  src: RouteSource,
): number | undefined | 'unbuilt' {
  let built = false;
  const http = vs.spec.http;
  const pathSeparated = isGatewayApiVirtualService(vs);
  for (let i = 0; i < http.length; i++) {
    const match = http[i]?.match;
    if (!match || match.length === 0) return i;
    for (const m of match) {
      if (!sourceMatches(m, vs.namespace, src)) continue;
      built = true;
      if (requestMatches(m, req, pathSeparated)) return i;
    }
  }
  return built ? undefined : 'unbuilt';
}

/** Bytes of a direct response's body (`string`, or base64 `bytes`). */
function directBodyBytes(body: { string?: string; bytes?: string } | undefined): number {
  if (body?.string !== undefined) return Buffer.byteLength(body.string, 'utf8');
  if (body?.bytes !== undefined) return Buffer.from(body.bytes, 'base64').length;
  return 0;
}

/**
 * A policy's `portLevelSettings` entry for the service's port replaces its connectionPool,
 * outlierDetection, loadBalancer and tls wholesale: "port level policies do not inherit and
 * instead [go] to defaults if not provided" (istio/istio pilot/pkg/networking/util/util.go
 * MergeTrafficPolicy; istio/api destination_rule.proto portLevelSettings).
 */
function withPortLevel(tp: TrafficPolicy, port: number): TrafficPolicy {
  const { portLevelSettings, ...rest } = tp;
  const p = portLevelSettings?.find((s) => s.port?.number === port);
  if (!p) return rest;
  return { ...rest, connectionPool: p.connectionPool, outlierDetection: p.outlierDetection, loadBalancer: p.loadBalancer, tls: p.tls };
}

/** A server sidecar's inbound cluster for one port (MeshPolicy.inboundCluster). */
export interface InboundClusterPlan {
  /** `inbound|PORT||` (model.BuildInboundSubsetKey). */
  name: string;
  listener: InboundListener;
  /** The pool in force; undefined: Istio's default (every threshold 2^32 − 1). */
  connectionPool?: ConnectionPoolSettings;
  /** Where the sidecar forwards: defaultEndpoint's port, else the service's (the app's) port. */
  endpointPort: number;
  /** The listener's protocol (the inbound cluster speaks HTTP/1.1 to the app for `http`, HTTP/2 otherwise). */
  protocol: string;
}

/** A Sidecar port protocol as the simulator's service protocols (HTTP, HTTP2, GRPC; others stay as written). */
function inboundProtocol(p: string | undefined): string | undefined {
  if (p === undefined) return undefined;
  const u = p.toUpperCase();
  return u === 'HTTP' ? 'http' : u === 'HTTP2' ? 'http2' : u === 'GRPC' ? 'grpc' : p.toLowerCase();
}
