/**
 * The router of an Envoy's client half (a sidecar's outbound side, or a waypoint), as Istio
 * configures it: VirtualService route match, fault injection, the route timeout, retries with
 * back-off and per-try timeouts, and each attempt's trip to a host of the chosen cluster (its
 * circuit breakers, pending queue and the host's server-side proxies). The clusters themselves
 * come from envoy-cluster.ts; opening a connection to a host is the mode's job (`Transport`).
 * Envoy's router: source/common/router/router.cc; Istio: https://istio.io/latest/docs/reference/config/networking/virtual-service/.
 */
import type { Uniform } from '../kernel/random.js';
import type { ScheduledEvent, Simulator } from '../kernel/simulator.js';
import { withRequest, type AppCall } from '../world/call.js';
import type { ClientRt, PodRt, ServiceRt } from '../world/entities.js';
import type { PodBehaviour } from '../world/pod.js';
import type { HttpMatchRequest } from '../config/istio/networking-schemas.js';
import type { OutboundTrafficMode, ServiceModel } from '../config/model.js';
import type { CompiledRoute, InboundClusterPlan, MeshPolicy, RouteDestination, RouteResult } from '../policy/mesh-policy.js';
import { routedResponseHeaders, upstreamRequest } from '../policy/request-rewrite.js';
import { shadowsOf } from './mirror.js';
import { backoffUs, isRetriable, type AttemptOutcome } from '../policy/retry-policy.js';
import type { Timeline } from '../record/timeline.js';
import type { Connection } from './connections.js';
import { EnvoyClusters, hostPool, observePool, slowStartPick, takeConnection, type ClusterRt, type HostPool } from './envoy-cluster.js';
import type { PoolOccupancy } from '../record/pool-occupancy.js';
import { localityHosts } from './locality-lb.js';
import { hashKey } from './hash-policy.js';
import { BLACKHOLE_CLUSTER, BLACKHOLE_HTTP_STATUS, isHttpHost, PASSTHROUGH_CLUSTER } from '../policy/egress.js';
import { DEFAULT_CONNECT_TIMEOUT_US, type CallDone, type CallResult } from './plane.js';
import { ProxyState, traverseRequest, traverseResponse, type Proxy } from './proxy.js';
import type { TimeWeighted } from './usage.js';

/** The inbound route's action: the one cluster, no retries and no timeout. */
const INBOUND_ROUTE: CompiledRoute = { id: 'inbound', matchSets: [], destinations: [], totalWeight: 0, mirrors: [] };

/** Envoy's previous_hosts predicate re-picks at most this many times (Istio: 5). */
const HOST_SELECTION_RETRY_MAX_ATTEMPTS = 5;

export interface Transport {
  /** Whether traffic from `proxy` to `host` is mTLS, given the cluster's tls mode (undefined: auto mTLS). */
  mtls(proxy: Proxy, host: PodRt, tlsMode: string | undefined): boolean;
  /** Establishes `conn`; `then(false)` when the host refused it, or after `timeoutUs` when it never answers. */
  connect(proxy: Proxy, host: PodRt, conn: Connection<PodRt>, then: (ok: boolean) => void, timeoutUs: number): void;
  /** Proxies in front of the host's app, in request order. */
  serverSide(proxy: Proxy, host: PodRt): readonly Proxy[];
  /** The server end's open-connection counter (for memory). */
  serverConnections(host: PodRt): TimeWeighted | undefined;
  /** An answer the server side gives instead of the app (403 from RBAC), or undefined. */
  inbound(proxy: Proxy, host: PodRt, call: AppCall, mtls: boolean): number | undefined;
  /**
   * The server side's ext_authz check (a CUSTOM AuthorizationPolicy matched): returns false when
   * none applies; otherwise calls `then(status, arg)` later, status undefined (go on) or the one
   * to answer. A handler and its argument, so a request that meets no check allocates nothing.
   */
  extAuthz?<A>(host: PodRt, call: AppCall, mtls: boolean, then: (status: number | undefined, arg: A) => void, arg: A): boolean;
  /** The server side's local rate limit filter: 429 when its token bucket is empty, else undefined. */
  rateLimit?(host: PodRt, call: AppCall): number | undefined;
  /** The server side's jwt_authn filter: a status (401) for an invalid token, else undefined. */
  authn?(host: PodRt, call: AppCall): number | undefined;
  /**
   * The host's server sidecar and its inbound cluster, when requests must pass that cluster's
   * pool (a connection pool is configured, or the listener forwards to another port than the
   * app's); undefined: the request goes straight to the app (Istio's unlimited default).
   */
  inboundCluster?(host: PodRt): { proxy: Proxy; plan: InboundClusterPlan } | undefined;
  oneWay(proxy: Proxy, host: PodRt): number;
  /**
   * Defined when the router's downstream connection is the calling app's own (a sidecar): a client
   * that closes it after an answer (`client: fortio`) then takes this long to open the next one
   * before its request can leave (its DNS re-resolution and TCP handshake). Absent (a waypoint,
   * whose downstream is ztunnel's tunnel): the app's connection handling does not reach the router.
   */
  reconnectUs?(proxy: Proxy): number;
}

/** The app's downstream connections to one proxy (EnvoyRouter.downstream). */
interface Downstream {
  /** Idle connections, by the worker each landed on; the most recently freed last. */
  idle: number[];
  /** The kernel's draw of a new connection's worker. */
  land?: Uniform;
  /** Connections the client closed after an answer, each to be replaced by a new one. */
  closed: number;
  /**
   * The route the proxy's last request got, when the policy gave it without looking at the request
   * (no VirtualService for the host), and what it depended on: a proxy's requests mostly go to one
   * service, and then need no route lookup each. Plain fields: a miss allocates nothing.
   */
  routeSvc?: ServiceModel;
  routePolicy?: MeshPolicy;
  routeNs?: string;
  routeOutbound?: OutboundTrafficMode;
  routeResult?: RouteResult;
  /** The destination the proxy's last request took and its service: found again without a lookup by name. */
  dest?: RouteDestination;
  destSvc?: ServiceRt;
}

/**
 * One downstream request through this Envoy (all its attempts). Req and Attempt are classes with
 * every field set from the start: one shape per kind, no property store grown per request.
 */
class Req {
  /** What the upstream receives: `call` with the route's rewrite and header operations applied. */
  upstream: AppCall | undefined = undefined;
  /** The match block that selected the route (a uri rewrite replaces its prefix). */
  match: HttpMatchRequest | undefined = undefined;
  /** The weighted destination picked, for its response header operations. */
  dest: RouteDestination | undefined = undefined;
  cluster: ClusterRt<Attempt> | undefined = undefined;
  /** Flags the fault filter set (FI, DI); made on the first, as most requests meet no fault. */
  flags: string[] | undefined = undefined;
  retries = 0;
  /** Hosts of earlier attempts (for previousHosts); made at the first retry. */
  tried: PodRt[] | undefined = undefined;
  finished = false;
  routeTimer: ScheduledEvent | undefined = undefined;
  current: Attempt | undefined = undefined;
  /** Holds one of the cluster's max_retries slots from its first retry until it finishes. */
  holdsRetry = false;
  /** Through a server sidecar's inbound cluster to its app (deliverInbound): whether the request arrived over mTLS. */
  inbound: { mtls: boolean } | undefined = undefined;
  /** The answer on its way back through the response leg (finish). */
  reply: CallResult | undefined = undefined;
  /** The app's connections to this proxy, when the request came over one (its connection is freed at the answer). */
  downstream: Downstream | undefined = undefined;

  constructor(
    readonly proxy: Proxy,
    readonly call: AppCall,
    readonly done: CallDone,
    readonly route: CompiledRoute,
    /** The Envoy worker thread its downstream connection landed on: every attempt uses that worker's pools. */
    readonly worker: number,
  ) {}
}

class Attempt {
  conn: Connection<PodRt> | undefined = undefined;
  abandoned = false;
  /** Waiting in its pool for a connection (counted in the cluster's pendingRequests). */
  pending = false;
  /** Attached to a connection (counted in the cluster's attachedRequests, Envoy's requests()). */
  attached = false;
  perTryTimer: ScheduledEvent | undefined = undefined;
  /** Response flags the server-side proxy logged for this attempt (UAEX: ext_authz denied it). */
  serverFlags: string | undefined = undefined;
  /** The server sidecar's own circuit breaker refused it: its 503 carries x-envoy-overloaded. */
  overloaded: boolean | undefined = undefined;
  /** The network's one-way delay to the host and back (forward). */
  oneWayUs = 0;
  /** The host's server-side proxies, in request order (forward). */
  server: readonly Proxy[] | undefined = undefined;
  /** What the server side answered (0: a reset). */
  status = 0;

  constructor(
    readonly req: Req,
    readonly cluster: ClusterRt<Attempt>,
    readonly host: PodRt,
    /** The (worker, host) pool it waits in or got its connection from. */
    readonly pool: HostPool<Attempt>,
  ) {}
}

export interface EnvoyRouterDeps {
  sim: Simulator;
  pods: PodBehaviour;
  stream: (name: string) => Uniform;
  transport: Transport;
  handshakes: { total: number; mtls: number };
  policy: MeshPolicy;
  services: Map<string, ServiceRt>;
  timeline: Timeline;
  pools?: PoolOccupancy;
}

export class EnvoyRouter {
  private readonly clusters: EnvoyClusters<Attempt>;
  private readonly sim: Simulator;
  private policy: MeshPolicy;

  constructor(private readonly deps: EnvoyRouterDeps) {
    this.sim = deps.sim;
    this.policy = deps.policy;
    this.clusters = new EnvoyClusters<Attempt>(
      {
        sim: deps.sim,
        stream: deps.stream,
        serverConnections: (host) => deps.transport.serverConnections(host),
        timeline: deps.timeline,
        pools: deps.pools,
      },
      deps.policy,
    );
  }

  /** New routing / traffic policy (a config change has reached the proxies). */
  setPolicy(policy: MeshPolicy, requiresMtls?: (host: PodRt) => boolean): void {
    this.policy = policy;
    this.clusters.setPolicy(policy);
    if (requiresMtls) for (const c of this.allClusters()) c.pool.closeMatching((conn) => !conn.mtls && requiresMtls(conn.host));
  }

  /** Every cluster this Envoy built, for stats. */
  allClusters(): ClusterRt[] {
    return this.clusters.all();
  }

  /** The request has passed `proxy`'s request leg: route it; the answer comes back via its response leg. */
  route(proxy: Proxy, call: AppCall, clientNs: string, done: CallDone, outbound?: OutboundTrafficMode): void {
    const d = this.downstreamOf(proxy);
    // A gateway pins the route it chose (policy/gateway-routes.ts); sidecars route by the mesh's VirtualServices.
    const result = call.route ? { kind: 'route' as const, route: call.route } : this.routeOf(d, call, clientNs, outbound);
    if (result.kind !== 'route') {
      this.noRoute(proxy, call, done, result.kind);
      return;
    }
    // The app reuses its most recently freed connection to the proxy, or opens one; after a client
    // closed one (fortio, on a non-2xx), the new connection first pays the client's reconnect.
    const reused = d.idle.pop();
    const reconnect = reused === undefined && d.closed > 0;
    if (reconnect) d.closed--;
    const worker = reused ?? this.landingWorker(proxy, d);
    const req = new Req(proxy, call, done, result.route, worker);
    req.match = result.match;
    req.downstream = d;
    const fault = result.route.fault;
    // Most requests meet no fault filter and no reconnect: straight to the router.
    if (!fault && !reconnect) this.startRouting(req, clientNs);
    else this.faultThenRoute(req, fault, reconnect, clientNs);
  }

  /** The fault filter (and a client's reconnect) before the router: apart from route, which V8 inlines per request. */
  private faultThenRoute(req: Req, fault: CompiledRoute['fault'], reconnect: boolean, clientNs: string): void {
    const proxy = req.proxy;
    const faults = fault ? this.streamOf('fault', proxy, '') : undefined;
    // The fault filter runs before the router: delay first, then abort (independent draws).
    const afterDelay = () => {
      if (fault && faults && fault.abortStatus !== undefined && faults() * 100 < fault.abortPercent) {
        (req.flags ??= []).push('FI'); // injected aborts never reach the router, so they are never retried
        this.finish(req, fault.abortStatus);
        return;
      }
      this.startRouting(req, clientNs);
    };
    const start = () => {
      if (fault && faults && fault.delayUs !== undefined && faults() * 100 < fault.delayPercent) {
        (req.flags ??= []).push('DI');
        this.sim.schedule(fault.delayUs, afterDelay, undefined);
      } else afterDelay();
    };
    // A client that closed its previous connection dials again before this request reaches the router.
    const reconnectUs = reconnect ? (this.deps.transport.reconnectUs?.(proxy) ?? 0) : 0;
    if (reconnectUs > 0) this.sim.schedule(reconnectUs, start, undefined);
    else start();
  }

  /** No route matched (404 NR), or the host is outside the registry under REGISTRY_ONLY (the BlackHole). */
  private noRoute(proxy: Proxy, call: AppCall, done: CallDone, kind: 'no-route' | 'blackhole'): void {
    if (kind === 'no-route') this.localReply(proxy, call, done, 404, 'NR');
    else this.blackhole(proxy, call, done);
  }

  /** The mesh policy's route for the call, remembered per proxy while the policy gives it to every request alike. */
  private routeOf(d: Downstream, call: AppCall, clientNs: string, outbound: OutboundTrafficMode | undefined): RouteResult {
    const svc = call.service.model;
    return d.routeSvc === svc && d.routePolicy === this.policy && d.routeNs === clientNs && d.routeOutbound === outbound
      ? (d.routeResult as RouteResult)
      : this.policyRoute(d, call, clientNs, outbound);
  }

  private policyRoute(d: Downstream, call: AppCall, clientNs: string, outbound: OutboundTrafficMode | undefined): RouteResult {
    const svc = call.service.model;
    const result = this.policy.route(svc, call.req, outbound, sourceOf(call.caller), clientNs);
    if (result.kind === 'route' && result.sameForEveryRequest) {
      d.routeSvc = svc;
      d.routePolicy = this.policy;
      d.routeNs = clientNs;
      d.routeOutbound = outbound;
      d.routeResult = result;
    }
    return result;
  }

  /**
   * REGISTRY_ONLY and a host outside the registry (or outside the Sidecar scope): `block_all`
   * answers HTTP with a direct 502 (no flag); TLS reaches BlackHoleCluster, which has no
   * endpoints, and the connection is closed (UH). policy/egress.ts.
   */
  blackhole(proxy: Proxy, call: AppCall, done: CallDone): void {
    const http = isHttpHost(call.service.model);
    proxy.responseLeg(0, () =>
      done(
        { status: http ? BLACKHOLE_HTTP_STATUS : 0, flags: http ? '' : 'UH', mtls: false, local: true, cluster: BLACKHOLE_CLUSTER },
        call,
      ),
    );
  }

  /**
   * Idle downstream connections from the app to each proxy, by the worker each landed on. A call
   * reuses the most recently freed one (an HTTP/1.1 client sends one request per connection at a
   * time) or opens a new one, and the new connection lands on a worker. Envoy leaves that to the
   * kernel when the listener has no connection_balance_config (envoy
   * api/envoy/config/listener/v3/listener.proto, connection_balance_config: "if not specified, the
   * kernel decides"; with reuse_port each worker has its own socket and the kernel hashes the
   * connection's 4-tuple): a uniform draw per connection from a stream named for the proxy.
   * `closed` counts connections the client closed after an answer (a fortio client after a
   * non-2xx): each is replaced by a new connection, on a worker drawn anew, that first pays the
   * client's reconnect.
   */
  private readonly downstream = new ProxyState<Downstream>(() => ({ idle: [], closed: 0 }));

  private downstreamOf(proxy: Proxy): Downstream {
    return this.downstream.of(proxy);
  }

  /** The worker a new downstream connection lands on. */
  private landingWorker(proxy: Proxy, d: Downstream): number {
    const workers = Math.max(1, proxy.costs.workers);
    if (workers === 1) return 0;
    d.land ??= this.deps.stream(`workers/${proxy.name}`);
    return Math.min(workers - 1, Math.floor(d.land() * workers));
  }

  private startRouting(req: Req, clientNs: string): void {
    const route = req.route;
    // Route actions the proxy answers itself (Envoy's router: direct_response, redirect): nothing goes upstream.
    const local = route.directResponse ?? route.redirect;
    if (local) {
      this.finish(req, local.status);
      return;
    }
    // The route timer starts in the router, after injected delays, and covers every retry and back-off.
    if (route.timeoutUs !== undefined && route.timeoutUs > 0) {
      req.routeTimer = this.sim.scheduleCancellable(route.timeoutUs, () => this.onRouteTimeout(req), undefined);
    }
    const dest = this.pickDestination(req);
    req.dest = dest;
    // The upstream sees the request as the route leaves it (rewrite, destination then route headers).
    if (route.rewrite || route.requestHeaders || dest?.requestHeaders) {
      const r = upstreamRequest(req.call.req, {
        rewrite: route.rewrite,
        match: req.match,
        destinationHeaders: dest?.requestHeaders,
        routeHeaders: route.requestHeaders,
        gatewaySemantics: route.gatewaySemantics,
      });
      req.upstream = withRequest(req.call, r);
    }
    if (route.mirrors.length > 0) this.sendShadows(req, clientNs);
    const svc = dest !== undefined ? this.serviceOf(req.downstream, dest) : undefined;
    if (!dest || !svc) {
      // Envoy's cluster_not_found_response_code: 503 by default, 500 on routes from Gateway API
      // HTTPRoutes (pilot/pkg/networking/core/route/route.go: "return 500 for invalid backends").
      this.finish(req, route.gatewaySemantics ? 500 : 503, 'NC');
      return;
    }
    // A ServiceEntry host can have several ports (80 and 443): the route's port picks the cluster
    // and its port-level policy. A Kubernetes service is modelled with its one port.
    const cluster = this.clusters.get(req.proxy, svc, dest.subset, clientNs, svc.model.external ? dest.port : undefined, dest.alias);
    if (!cluster) {
      this.finish(req, 503, 'NC'); // subset defined in no DestinationRule: route to a missing cluster
      return;
    }
    req.cluster = cluster;
    this.attempt(req);
  }

  /** The service a destination names, remembered per downstream (a proxy's requests mostly take one destination). */
  private serviceOf(d: Downstream | undefined, dest: RouteDestination): ServiceRt | undefined {
    if (d !== undefined && d.dest === dest) return d.destSvc;
    const svc = dest.service !== undefined ? this.deps.services.get(dest.service) : undefined;
    // Services are made with the world and never replaced, so a service found stays the answer.
    if (d !== undefined && svc !== undefined) {
      d.dest = dest;
      d.destSvc = svc;
    }
    return svc;
  }

  /** Per-request streams (`fault/<proxy>`, `route/<proxy>→<service>`) looked up without building their names. */
  private readonly perRequestStreams = new Map<string, Map<Proxy, Map<string, Uniform>>>();

  private streamOf(kind: 'fault' | 'route' | 'mirror', proxy: Proxy, key: string): Uniform {
    let byProxy = this.perRequestStreams.get(kind);
    if (!byProxy) this.perRequestStreams.set(kind, (byProxy = new Map()));
    let byKey = byProxy.get(proxy);
    if (!byKey) byProxy.set(proxy, (byKey = new Map()));
    let u = byKey.get(key);
    if (!u) byKey.set(key, (u = this.deps.stream(kind === 'route' ? `route/${proxy.name}→${key}` : `${kind}/${proxy.name}`)));
    return u;
  }

  /** Weighted choice among the route's destinations, per request (weights are relative). */
  private pickDestination(req: Req): RouteDestination | undefined {
    const dests = req.route.destinations;
    return dests.length <= 1 ? dests[0] : this.pickWeighted(req, dests);
  }

  private pickWeighted(req: Req, dests: readonly RouteDestination[]): RouteDestination | undefined {
    let x = this.streamOf('route', req.proxy, req.call.service.model.key)() * req.route.totalWeight;
    for (const d of dests) if ((x -= d.weight) < 0) return d;
    return dests[dests.length - 1];
  }

  /** Fire-and-forget copies to the route's mirror clusters (mirror.ts): no retries, answers dropped. */
  private sendShadows(req: Req, clientNs: string): void {
    const forwarded = req.upstream ?? req.call;
    const draw = () => this.streamOf('mirror', req.proxy, '')();
    for (const s of shadowsOf(req.route.mirrors, forwarded, (k) => this.deps.services.get(k), draw)) {
      const cluster = this.clusters.get(req.proxy, s.service, s.target.subset, clientNs);
      if (!cluster) continue;
      // The shadow stream runs on the worker that serves the original request.
      const shadow = new Req(
        req.proxy,
        s.call,
        () => undefined,
        {
          id: `${req.route.id}/mirror`,
          matchSets: [],
          destinations: [{ service: s.service.model.key, host: s.target.host, subset: s.target.subset, weight: 1 }],
          totalWeight: 1,
          timeoutUs: req.route.timeoutUs,
          mirrors: [],
        },
        req.worker,
      );
      shadow.cluster = cluster;
      const t = shadow.route.timeoutUs;
      if (t !== undefined && t > 0) shadow.routeTimer = this.sim.scheduleCancellable(t, () => this.onRouteTimeout(shadow), undefined);
      this.attempt(shadow);
    }
  }

  closeHost(pod: PodRt): void {
    for (const c of this.allClusters()) c.pool.closeHost(pod);
  }

  /**
   * A request that passed the server sidecar's filters goes to the app through the sidecar's
   * inbound cluster `inbound|PORT||` (istio/istio pilot/pkg/networking/core/cluster_builder.go
   * buildInboundCluster): the same Envoy pools and circuit breakers as any cluster (per worker,
   * cluster-wide limits, 503 UO on overflow counted in upstream_rq_pending_overflow /
   * upstream_cx_overflow), over loopback, on the worker the downstream connection landed on. The
   * inbound route has no retries or timeout here. `done` gets what the server sidecar answers,
   * with the flags it logs.
   */
  deliverInbound(
    server: Proxy,
    host: PodRt,
    plan: InboundClusterPlan,
    call: AppCall,
    downstream: object,
    mtls: boolean,
    done: CallDone,
  ): void {
    const req = new Req(server, call, done, INBOUND_ROUTE, this.inboundWorker(server, downstream));
    req.inbound = { mtls };
    req.cluster = this.clusters.inbound(server, host, plan);
    this.attempt(req);
  }

  /** The server worker each downstream connection landed on (the kernel's choice: a draw per connection, as in `landingWorker`). */
  private readonly inboundWorkers = new WeakMap<object, number>();

  private inboundWorker(server: Proxy, downstream: object): number {
    const workers = Math.max(1, server.costs.workers);
    if (workers === 1) return 0;
    let w = this.inboundWorkers.get(downstream);
    if (w === undefined) {
      w = Math.min(workers - 1, Math.floor(this.deps.stream(`inbound-workers/${server.name}`)() * workers));
      this.inboundWorkers.set(downstream, w);
    }
    return w;
  }

  private attempt(req: Req): void {
    const cluster = req.cluster as ClusterRt<Attempt>;
    // Ejected hosts leave the LB set; with Istio's panic threshold (minHealthPercent, default 0)
    // all ejected means no healthy upstream.
    const hosts = cluster.locality
      ? localityHosts(cluster.locality, cluster.outlier, cluster.localityDraw!)
      : cluster.outlier
        ? cluster.outlier.hostsForLb(cluster.hosts)
        : cluster.hosts;
    if (hosts.length === 0) {
      this.finish(req, 503, 'UH'); // no endpoint, or all ejected (a subset may select no pods)
      return;
    }
    const active = (cluster.activeOf ??= (h: PodRt) => cluster.hostStates.active(h));
    // Consistent hashing and slow start are rare: most attempts call neither.
    const key = cluster.policy.loadBalancer?.consistentHash ? hashKey(cluster.policy.loadBalancer, req.call) : undefined;
    let host = (cluster.slowStart ? slowStartPick(cluster, hosts, active, this.sim.now) : undefined) ?? cluster.lb.pick(hosts, active, key);
    if (req.route.retry?.previousHosts && req.tried) {
      const tried = req.tried;
      for (let i = 0; i < HOST_SELECTION_RETRY_MAX_ATTEMPTS && tried.includes(host); i++) host = cluster.lb.pick(hosts, active, key);
    }
    const pool = hostPool(cluster, req.worker, host);
    const a = new Attempt(req, cluster, host, pool);
    req.current = a;
    cluster.stats.upstream_rq_total++;
    cluster.activeRequests++;
    cluster.hostStates.of(host).active++;
    const perTry = req.route.retry?.perTryTimeoutUs;
    if (perTry !== undefined) a.perTryTimer = this.sim.scheduleCancellable(perTry, () => this.onPerTryTimeout(a), undefined);
    this.newStream(a);
  }

  /**
   * Envoy's ConnPoolImplBase::newStreamImpl (envoy source/common/conn_pool/conn_pool_base.cc): a
   * ready connection of the attempt's (worker, host) pool takes it at once; otherwise, unless the
   * cluster's pendingRequests() resource is full (immediate 503 UO, upstream_rq_pending_overflow),
   * it waits in that pool's queue and the pool tries to open a connection.
   */
  private newStream(a: Attempt): void {
    const c = a.cluster;
    const conn = takeConnection(c, a.pool);
    if (conn) this.attach(a, conn);
    else this.queueStream(a);
  }

  /** No ready connection has a free stream: the stream waits in its pool's queue, or overflows. */
  private queueStream(a: Attempt): void {
    const c = a.cluster;
    if (c.pendingRequests >= c.limits.maxPending) {
      this.settleAttempt(a);
      this.overflow(a.req, 'upstream_rq_pending_overflow');
      return;
    }
    a.pending = true;
    c.pendingRequests++;
    a.pool.queued++;
    a.pool.pending.push(a);
    observePool(c);
    this.tryCreateConnections(a.pool, c);
  }

  /**
   * ConnPoolImplBase::attachStreamToClient: an HTTP pool enforces the cluster's requests()
   * resource (max_requests, Istio's http2MaxRequests) when a stream is put on a connection; over
   * it the stream fails with Overflow and upstream_rq_pending_overflow counts it. `conn` has the
   * stream reserved.
   */
  private attach(a: Attempt, conn: Connection<PodRt>): void {
    const c = a.cluster;
    if (c.attachedRequests >= c.limits.maxRequests) {
      c.pool.unreserve(conn);
      this.settleAttempt(a);
      this.overflow(a.req, 'upstream_rq_pending_overflow');
      return;
    }
    a.attached = true;
    c.attachedRequests++;
    this.forward(a, conn);
  }

  /**
   * ConnPoolImplBase::tryCreateNewConnections / tryCreateNewConnection (conn_pool_base.cc): while
   * the pool's pending streams outnumber what its connecting connections will carry (at most 3 per
   * call), open one more. Over the cluster's connections() resource (max_connections) it counts
   * upstream_cx_overflow and opens none, except when the pool has no connection at all: "If we are
   * at the connection circuit-breaker limit due to other upstreams having too many open
   * connections, and this upstream has no connections, always create one, to prevent pending
   * streams being queued to this upstream with no way to be processed." So every (worker, host)
   * pool gets a first connection (circuit_breaking.rst: the limit can be exceeded by one connection
   * per host per worker).
   */
  private tryCreateConnections(hp: HostPool<Attempt>, c: ClusterRt<Attempt>): void {
    const perConnection = c.pool.maxStreams;
    for (let i = 0; i < 3; i++) {
      if (hp.queued === 0 || hp.queued <= hp.connecting * perConnection) return;
      const can = c.pool.openCount < c.limits.maxConnections;
      if (!can) c.stats.upstream_cx_overflow++;
      if (!can && c.pool.countOf(hp) > 0) return;
      this.open(hp, c);
      if (!can) return;
    }
  }

  /** Circuit-breaker overflow: immediate 503 UO, never retried, not charged to any host. */
  private overflow(req: Req, stat: 'upstream_rq_pending_overflow' | 'upstream_rq_retry_overflow'): void {
    if (req.cluster) {
      req.cluster.stats[stat]++;
      req.cluster.gauge?.overflow(this.sim.now);
    }
    this.finish(req, 503, 'UO');
  }

  /** Opens a connection for the pool; once up it serves the pool's pending streams, oldest first. */
  private open(hp: HostPool<Attempt>, c: ClusterRt<Attempt>): void {
    const host = hp.host;
    const proxy = c.proxy;
    const tlsMode = c.policy.tls?.mode;
    const conn = c.pool.open(hp, host, c.inbound ? false : this.deps.transport.mtls(proxy, host, tlsMode), true);
    // TLS origination to an external host (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/).
    if (!conn.mtls && (tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL') && host.service.model.external) conn.originatesTls = true;
    hp.connecting++;
    if (!c.inbound) {
      this.deps.handshakes.total++;
      if (conn.mtls) this.deps.handshakes.mtls++;
    }
    const timeoutUs = c.policy.connectionPool?.tcp?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_US;
    const connect = c.inbound
      ? // Loopback to the app: refused when the app is down or does not listen on the endpoint's port.
        (_p: Proxy, h: PodRt, _c: Connection<PodRt>, then: (ok: boolean) => void) =>
          this.sim.schedule(0, () => then(!h.crashed && !c.inbound?.refused), undefined)
      : this.deps.transport.connect.bind(this.deps.transport);
    connect(
      proxy,
      host,
      conn,
      (ok) => {
        hp.connecting--;
        if (ok && !host.crashed && !conn.closed) {
          c.outlier?.reportLocalOrigin(host, 'connect_success');
          c.pool.ready(conn);
          this.servePending(hp, c);
          return;
        }
        c.stats.upstream_cx_connect_fail++;
        c.pool.discard(hp, conn);
        c.pool.closeHost(host);
        // A connect failure purges every pending stream of the pool, each failing as a connection
        // failure (ConnPoolImplBase::onConnectionEvent → purgePendingStreams).
        this.purgePending(hp);
        this.tryCreateConnections(hp, c);
      },
      timeoutUs,
    );
  }

  /** The pool's pending streams take its free connections, oldest first; any left may open more. */
  private servePending(hp: HostPool<Attempt>, c: ClusterRt<Attempt>): void {
    // Nothing queued is the usual case, and then tryCreateConnections opens nothing either.
    if (hp.queued > 0) this.serveQueued(hp, c);
  }

  private serveQueued(hp: HostPool<Attempt>, c: ClusterRt<Attempt>): void {
    while (hp.queued > 0) {
      const next = hp.pending.peek() as Attempt;
      if (!next.pending) {
        hp.pending.shift(); // gave up while waiting (timeout)
        continue;
      }
      const conn = takeConnection(c, hp);
      if (!conn) break;
      hp.pending.shift();
      this.unpend(next);
      this.attach(next, conn);
    }
    this.tryCreateConnections(hp, c);
  }

  private purgePending(hp: HostPool<Attempt>): void {
    const failed: Attempt[] = [];
    while (hp.pending.length > 0) {
      const next = hp.pending.shift() as Attempt;
      if (next.pending) failed.push(next);
    }
    for (const a of failed) {
      this.unpend(a);
      this.attemptDone(a, { kind: 'connect-failure' });
    }
  }

  private unpend(a: Attempt): void {
    if (!a.pending) return;
    a.pending = false;
    a.cluster.pendingRequests--;
    a.pool.queued--;
    observePool(a.cluster);
  }

  private forward(a: Attempt, conn: Connection<PodRt>): void {
    a.conn = conn;
    const inbound = a.req.inbound;
    if (inbound) {
      const call = a.req.call;
      this.deps.pods.deliver(a.host, call, this.inboundAppAnswered, a, inbound.mtls);
      return;
    }
    // The trip out and back is a chain of handlers that each take the attempt (no closures per request).
    a.oneWayUs = this.deps.transport.oneWay(a.req.proxy, a.host);
    a.server = this.deps.transport.serverSide(a.req.proxy, a.host);
    this.sim.schedule(a.oneWayUs, this.reachServer, a);
  }

  /** The request reaches the host: through its server-side proxies' request legs, then their filters. */
  private readonly reachServer = (a: Attempt): void => {
    traverseRequest(a.server as readonly Proxy[], a.req.call.req.requestSize, this.serverFilters, a);
  };

  /**
   * The server side's HTTP filters, in Istio's inbound order (istio/istio
   * pilot/pkg/networking/core/listener_builder.go, buildInboundHTTPFilters; listener_waypoint.go
   * likewise): the CUSTOM ext_authz filter, then jwt_authn, then RBAC (DENY and ALLOW). Istio's
   * rate-limit EnvoyFilter inserts local_ratelimit first (INSERT_BEFORE).
   */
  private readonly serverFilters = (a: Attempt): void => {
    const call = a.req.upstream ?? a.req.call;
    const limited = this.deps.transport.rateLimit?.(a.host, call);
    if (limited !== undefined) {
      a.serverFlags = 'RL';
      this.answer(a, limited);
      return;
    }
    const checking = this.deps.transport.extAuthz?.(a.host, call, (a.conn as Connection<PodRt>).mtls, this.extAuthzDone, a);
    if (!checking) this.authnThenRbac(a, call);
  };

  /** The server side's ext_authz check answered: on to jwt_authn and RBAC, or its denial goes back. */
  private readonly extAuthzDone = (denied: number | undefined, a: Attempt): void => {
    if (denied === undefined) {
      this.authnThenRbac(a, a.req.upstream ?? a.req.call);
      return;
    }
    // The server sidecar's ext_authz filter answered: Envoy logs UNAUTHORIZED_EXTERNAL_SERVICE
    // (source/common/stream_info/utility.cc "UAEX") on its side.
    a.serverFlags = 'UAEX';
    this.answer(a, denied);
  };

  private authnThenRbac(a: Attempt, call: AppCall): void {
    const host = a.host;
    const unauthenticated = this.deps.transport.authn?.(host, call);
    if (unauthenticated !== undefined) return this.answer(a, unauthenticated);
    const mtls = (a.conn as Connection<PodRt>).mtls;
    const refused = this.deps.transport.inbound(a.req.proxy, host, call, mtls);
    if (refused !== undefined) return this.answer(a, refused);
    const inb = this.deps.transport.inboundCluster?.(host);
    if (!inb) return this.deps.pods.deliver(host, call, this.appAnswered, a, mtls);
    this.viaInboundCluster(a, inb, call, mtls);
  }

  /** The server sidecar's inbound cluster takes the request to the app (apart from authnThenRbac: most meshes need none). */
  private viaInboundCluster(a: Attempt, inb: { proxy: Proxy; plan: InboundClusterPlan }, call: AppCall, mtls: boolean): void {
    this.deliverInbound(inb.proxy, a.host, inb.plan, call, a.conn as Connection<PodRt>, mtls, (r) => {
      if (r.flags) a.serverFlags = r.flags;
      // Envoy adds x-envoy-overloaded to a circuit-breaker overflow reply (router.cc onUpstreamAbort).
      if (r.flags !== '' && r.flags.split(',').includes('UO')) a.overloaded = true;
      this.answer(a, r.status);
    });
  }

  /** The app's answer to an attempt this proxy sent it over the network (one function for all: no closure per attempt). */
  private readonly appAnswered = (status: number, a: Attempt): void => this.answer(a, status);

  /** The app's answer to an attempt of this proxy's inbound cluster (the pod's own sidecar). */
  private readonly inboundAppAnswered = (status: number, a: Attempt): void => {
    if (!a.abandoned) this.attemptDone(a, answerOutcome(status, undefined));
  };

  /** The server side answers `status` (0: the app reset the stream): back through its response legs, then the network. */
  private answer(a: Attempt, status: number): void {
    a.status = status;
    traverseResponse(a.server as readonly Proxy[], a.req.call.req.responseSize, this.leaveServer, a);
  }

  private readonly leaveServer = (a: Attempt): void => {
    this.sim.schedule(a.oneWayUs, this.backAtClient, a);
  };

  private readonly backAtClient = (a: Attempt): void => {
    if (a.abandoned) return;
    const status = a.status;
    // A reset from the app (crash mid-request) is an upstream reset: no HTTP response.
    this.attemptDone(a, answerOutcome(status, a.overloaded));
  };

  /** Frees what the attempt holds (pending slot or connection stream, outstanding counts, timers). */
  private settleAttempt(a: Attempt, closeConnection = false): void {
    const c = a.cluster;
    this.sim.cancel(a.perTryTimer);
    this.unpend(a);
    const wasAttached = a.attached;
    if (wasAttached) {
      a.attached = false;
      c.attachedRequests--;
      if (a.conn && !a.conn.closed) {
        if (closeConnection && c.pool.maxStreams === 1)
          c.pool.discard(a.pool, a.conn); // an HTTP/1.1 reset closes the connection
        else c.pool.release(a.pool, a.conn);
      }
    }
    c.activeRequests--;
    c.hostStates.of(a.host).active--;
    // The freed stream goes to the pool's oldest pending one (onUpstreamReady); a closed
    // connection makes the pool open another for them.
    if (wasAttached) this.servePending(a.pool, c);
  }

  private attemptDone(a: Attempt, outcome: AttemptOutcome): void {
    this.settleAttempt(a, outcome.kind !== 'status');
    reportOutcome(a, outcome);
    const req = a.req;
    if (req.finished) return;
    const status = outcomeStatus(outcome);
    const flag = outcomeFlag(outcome);
    const policy = req.route.retry;
    if (policy && isRetriable(policy, outcome)) {
      if (req.retries >= policy.numRetries) {
        this.finish(req, status, flag, 'URX');
        return;
      }
      const c = a.cluster;
      if (!req.holdsRetry && c.activeRetries >= c.limits.maxRetries) {
        c.stats.upstream_rq_retry_overflow++;
        c.gauge?.overflow(this.sim.now);
        this.finish(req, status, flag, 'UO');
        return;
      }
      req.retries++;
      (req.tried ??= []).push(a.host);
      req.call.service.retries++;
      c.stats.upstream_rq_retry++;
      if (!req.holdsRetry) {
        c.activeRetries++;
        req.holdsRetry = true;
      }
      const wait = backoffUs(req.retries, c.retryJitter, policy.backoffBaseUs);
      this.sim.schedule(
        wait,
        () => {
          if (!req.finished) this.attempt(req);
        },
        undefined,
      );
      return;
    }
    this.finish(req, status, flag);
  }

  private onPerTryTimeout(a: Attempt): void {
    if (a.abandoned || a.req.finished) return;
    a.abandoned = true;
    a.cluster.stats.upstream_rq_per_try_timeout++;
    this.attemptDone(a, { kind: 'per-try-timeout' });
  }

  /** The route timeout caps the whole request, retries and back-off included: 504 UT. */
  private onRouteTimeout(req: Req): void {
    if (req.finished) return;
    const a = req.current;
    if (a && !a.abandoned) {
      a.abandoned = true;
      const wasPending = a.pending;
      this.settleAttempt(a, true);
      if (!wasPending) a.cluster.outlier?.reportLocalOrigin(a.host, 'timeout');
    }
    if (req.cluster) req.cluster.stats.upstream_rq_timeout++;
    this.finish(req, 504, 'UT');
  }

  /** Answers the downstream request: `status` with the flags it gathered, then `flag` and `extra` (each may be ''). */
  private finish(req: Req, status: number, flag = '', extra = ''): void {
    if (req.finished) return;
    req.finished = true;
    this.sim.cancel(req.routeTimer);
    if (req.holdsRetry && req.cluster) req.cluster.activeRetries--;
    const flags = joinFlags(req.flags, flag, extra);
    const pod = req.current?.host;
    const mtls = req.current?.conn?.mtls ?? false;
    const local = !req.current?.conn;
    const cluster = req.route.passthrough ? PASSTHROUGH_CLUSTER : undefined;
    // A mirrored copy's answer is dropped by the router's async client: it never passes the
    // filter chain (no telemetry) nor reaches the app (its codec work is not modelled).
    if (req.call.shadow && !req.inbound) return;
    // The server sidecar's router answers back into its own filter chain (the caller walks the response leg).
    if (req.inbound) {
      req.done({ status, flags, mtls: req.inbound.mtls, pod, local }, req.call);
      return;
    }
    const serverFlags = req.current?.serverFlags;
    // An upstream's own response (not a reset or a timeout) carries the upstream service time.
    const answered = !local && !isUpstreamFailure(flag) && !isUpstreamFailure(extra);
    // The fault filter answers an abort before the router: the route's response headers are not added.
    const destinationHeaders = req.dest?.responseHeaders;
    const routeHeaders = req.route.responseHeaders;
    const responseHeaders =
      (destinationHeaders || routeHeaders) && !req.flags?.includes('FI')
        ? routedResponseHeaders(
            { destinationHeaders, routeHeaders },
            answered ? Math.round((this.sim.now - req.call.startUs) / 1000) : undefined,
          )
        : undefined;
    const reply: CallResult = { status, flags, mtls, pod: local ? undefined : pod, local, cluster };
    if (serverFlags) reply.serverFlags = serverFlags;
    if (responseHeaders) reply.responseHeaders = responseHeaders;
    req.reply = reply;
    req.proxy.responseLeg(req.call.req.responseSize, this.replied, req);
  }

  /** The response leg is over: the downstream connection is free (or closed), the caller has its answer. */
  private readonly replied = (req: Req): void => {
    const reply = req.reply as CallResult;
    const d = req.downstream;
    if (d) {
      if (this.deps.transport.reconnectUs && closesAfter(req.call, reply.status)) d.closed++;
      else d.idle.push(req.worker); // the downstream connection is free again
    }
    req.done(reply, req.call);
  };

  private localReply(proxy: Proxy, call: AppCall, done: CallDone, status: number, flags: string): void {
    proxy.responseLeg(0, () => done({ status, flags, mtls: false, local: true }, call));
  }
}

/**
 * Whether the client closes its connection after this answer: fortio keeps its socket only when
 * the status is 2xx (or 418), fortio fhttp/http_client.go FastClient.readResponse (`if keepAlive &&
 * codeIsOK(c.code)` … else `conn.Close()`) and codeIsOK. Envoy itself keeps an HTTP/1.1 downstream
 * connection open after its local overflow reply.
 */
function closesAfter(call: AppCall, status: number): boolean {
  if ((call.caller as Partial<ClientRt>).model?.client !== 'fortio') return false;
  return !((status >= 200 && status <= 299) || status === 418);
}

/** Plain upstream answers' outcomes by status, each made once (outcomes are only read). */
const ANSWER_OUTCOMES: AttemptOutcome[] = [];
const RESET_OUTCOME: AttemptOutcome = { kind: 'reset' };

/** What an attempt's answer from the server side means to the router: a status, or a reset (0). */
function answerOutcome(status: number, overloaded: boolean | undefined): AttemptOutcome {
  if (status === 0) return RESET_OUTCOME;
  if (overloaded) return { kind: 'status', status, overloaded };
  return (ANSWER_OUTCOMES[status] ??= { kind: 'status', status });
}

/** Envoy's comma-separated flags: `base` (the fault filter's), then `a` and `b` when not empty. */
function joinFlags(base: readonly string[] | undefined, a: string, b: string): string {
  let s = base === undefined ? '' : base.join(',');
  if (a) s = s ? `${s},${a}` : a;
  if (b) s = s ? `${s},${b}` : b;
  return s;
}

/** Flags of a reply the router made itself after trying upstream: no upstream response headers came back. */
const UPSTREAM_FAILURE_FLAGS = new Set(['UT', 'UC', 'UF', 'UO', 'UH', 'NC']);
/** Most answers carry no flag: no set lookup for those. */
const isUpstreamFailure = (flag: string): boolean => flag !== '' && UPSTREAM_FAILURE_FLAGS.has(flag);

/** The calling workload's labels and namespace, for VirtualService `sourceLabels`/`sourceNamespace` matches. */
function sourceOf(caller: AppCall['caller']): { labels: Readonly<Record<string, string>>; namespace: string } {
  const pod = caller as Partial<PodRt>;
  return { labels: pod.version?.labels ?? {}, namespace: caller.namespace };
}

/**
 * What the outlier detector hears: every upstream HTTP status; connect failures and resets as
 * local-origin connect failures (503 in non-split mode); per-try timeouts as local timeouts (504).
 */
function reportOutcome(a: Attempt, o: AttemptOutcome): void {
  const od = a.cluster.outlier;
  if (!od) return;
  if (o.kind === 'status') od.reportHttpStatus(a.host, o.status);
  else od.reportLocalOrigin(a.host, o.kind === 'per-try-timeout' ? 'timeout' : 'connect_failed');
}

/**
 * The status a failed attempt turns into at the client, and (outcomeFlag) its response flag (Envoy's response flags:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags).
 */
function outcomeStatus(o: AttemptOutcome): number {
  switch (o.kind) {
    case 'status':
      return o.status;
    case 'connect-failure':
    case 'reset':
      return 503;
    case 'per-try-timeout':
      return 504;
  }
}

/** The response flag of `outcomeStatus`'s answer ('' for an upstream's own status). */
function outcomeFlag(o: AttemptOutcome): string {
  switch (o.kind) {
    case 'status':
      return '';
    case 'connect-failure':
      return 'UF';
    case 'reset':
      return 'UC';
    case 'per-try-timeout':
      return 'UT';
  }
}
