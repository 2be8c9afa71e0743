/**
 * The data plane of one mesh mode: how an application-level call from a caller reaches a pod of
 * the target service and how the answer comes back (README.md "Mesh modes and the cost model").
 */
import type { PoolOccupancy } from '../record/pool-occupancy.js';
import type { Simulator } from '../kernel/simulator.js';
import type { RandomStreams, Uniform } from '../kernel/random.js';
import type { Scenario } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { Caller, NodeRt, PodRt, ServiceRt } from '../world/entities.js';
import type { PodBehaviour } from '../world/pod.js';
import type { MeshPolicy } from '../policy/mesh-policy.js';
import type { Timeline } from '../record/timeline.js';
import type { CostProfile } from '../config/profile.js';
import { ConnectionPool, type PoolOptions } from './connections.js';
import { oneWayUs } from './network.js';
import type { Proxy } from './proxy.js';

/** What the caller's application finally sees. `status` 0 is a reset (no HTTP response). */
export interface CallResult {
  status: number;
  /** Envoy response flags, comma-separated, '' for none. */
  flags: string;
  mtls: boolean;
  pod?: PodRt;
  /** True when the proxy answered itself (overflow, no route, fault abort…): nothing crossed the network. */
  local?: boolean;
  /** Istio's catch-all cluster the call went to (PassthroughCluster, BlackHoleCluster), for telemetry. */
  cluster?: string;
  /** Response flags the server-side proxy logged (e.g. UAEX when its ext_authz filter denied the request). */
  serverFlags?: string;
  /** The response headers the client proxy returned, when its route has response header operations (request-rewrite.ts routedResponseHeaders). */
  responseHeaders?: Record<string, string>;
}

/**
 * Told the result of a call: `call` is the call the data plane was given (the application's own),
 * so one function can serve every call instead of a closure made for each.
 */
export type CallDone = (r: CallResult, call: AppCall) => void;

export interface DataPlane {
  call(call: AppCall, done: CallDone): void;
  /** A pod crashed: its connections are gone. */
  podCrashed(pod: PodRt): void;
  /** A pod created during the run (scale-up, replacement, rollout): it gets its proxy. */
  podAdded(pod: PodRt): void;
  /** Workload certificates expired (istiod down past their lifetime) or were renewed. */
  setCertsExpired(expired: boolean): void;
  /** A config change reached the proxies. */
  setPolicy(policy: MeshPolicy): void;
  /** Connection handshakes performed (new connections), for reports and tests. */
  readonly handshakes: { total: number; mtls: number };
  /**
   * Takes an ingress gateway pod's Envoy as that caller's client proxy (its route engine then
   * forwards the gateway's calls); false or absent: the gateway forwards through the plane as a plain caller.
   */
  adoptGateway?(caller: Caller, proxy: Proxy, listener?: GatewayListenerCheck): boolean;
}

/**
 * For a gateway that mesh proxies connect to (the egress gateway): whether its listener takes a
 * connection on the gateway Service's port that is (or is not) Istio mTLS. False: no listener,
 * or a TLS mismatch; the connection fails.
 */
export type GatewayListenerCheck = (mtls: boolean) => boolean;

/** Envoy's default max concurrent streams on an HTTP/2 connection (2^31 − 1). */
export const UNLIMITED_STREAMS = 2 ** 31 - 1;

/**
 * How long a connect to an unreachable pod takes to fail: Istio's mesh connectTimeout (10 s,
 * istio/api mesh/v1alpha1/config.proto connectTimeout) for proxies unless the DestinationRule sets tcp.connectTimeout; apps without
 * a proxy are given the same 10 s.
 */
export const DEFAULT_CONNECT_TIMEOUT_US = 10e6;

/** Idle connections close after Istio's default upstream idleTimeout (1h; istio/api destination_rule.proto ConnectionPoolSettings). */
export const DEFAULT_IDLE_TIMEOUT_US = 3600e6;

export interface PlaneDeps {
  sim: Simulator;
  streams: RandomStreams;
  scenario: Scenario;
  profile: CostProfile;
  pods: PodBehaviour;
  /** Routing and traffic policy at t=0 (config changes arrive through setPolicy). */
  policy: MeshPolicy;
  services: Map<string, ServiceRt>;
  timeline: Timeline;
  /** Where the Envoy pools record their occupancy over time (an observer asked for it), if anywhere. */
  pools?: PoolOccupancy;
}

/** Helpers every mode shares: network delays, app-level connections pinned to a pod, random picks. */
export abstract class PlaneBase {
  readonly handshakes = { total: 0, mtls: 0 };
  protected readonly sim: Simulator;
  /** App-level connections per (caller, service), each pinned at connect time to one backend. */
  private readonly appPools = new Map<Caller, Map<ServiceRt, ConnectionPool<'any', unknown>>>();
  private readonly pickStreams = new Map<string, Uniform>();

  /** Routing and security config in force now. */
  protected policy: MeshPolicy;

  /** The routing and traffic policy in force now. */
  get currentPolicy(): MeshPolicy {
    return this.policy;
  }

  constructor(protected readonly deps: PlaneDeps) {
    this.sim = deps.sim;
    this.policy = deps.policy;
  }

  protected oneWay(a: NodeRt, b: NodeRt): number {
    return oneWayUs(this.deps.scenario.network, a, b);
  }

  /** The pool appPool gave last, and for whom: consecutive calls mostly come from one caller to one service. */
  private lastPoolCaller?: Caller;
  private lastPoolService?: ServiceRt;
  private lastPool?: ConnectionPool<'any', unknown>;

  /** The app's keep-alive pool towards a service (HTTP/1.1: one request per connection at a time). */
  protected appPool(caller: Caller, svc: ServiceRt): ConnectionPool<'any', unknown> {
    if (caller === this.lastPoolCaller && svc === this.lastPoolService) return this.lastPool!;
    this.lastPoolCaller = caller;
    this.lastPoolService = svc;
    return (this.lastPool = this.appPoolOf(caller, svc));
  }

  private appPoolOf(caller: Caller, svc: ServiceRt): ConnectionPool<'any', unknown> {
    let byService = this.appPools.get(caller);
    if (!byService) this.appPools.set(caller, (byService = new Map()));
    let pool = byService.get(svc);
    if (!pool) {
      pool = new ConnectionPool<'any', unknown>(
        // HTTP/1.1: one request at a time per connection; HTTP/2 and gRPC multiplex on one.
        // Apps keep idle connections as long as Envoy does (1 h): an assumption, as client
        // libraries differ (Go's default is 90 s).
        {
          maxStreams: svc.model.protocol === 'http' ? 1 : UNLIMITED_STREAMS,
          maxRequestsPerConnection: 0,
          idleTimeoutUs: DEFAULT_IDLE_TIMEOUT_US,
          ...this.appPoolOptions(caller),
        },
        this.sim,
      );
      byService.set(svc, pool);
    }
    return pool;
  }

  /** Who counts the app's connections (proxy memory); only modes with proxies on the path do. */
  protected appPoolOptions(_caller: Caller): Pick<PoolOptions, 'clientSide' | 'serverSide' | 'onClose'> {
    return {};
  }

  protected appPoolsTo(): Iterable<ConnectionPool<'any', unknown>> {
    const all: ConnectionPool<'any', unknown>[] = [];
    for (const m of this.appPools.values()) all.push(...m.values());
    return all;
  }

  /** Uniform random pod of the service, as kube-proxy (iptables) and ztunnel pick per connection. */
  protected randomPod(caller: Caller, svc: ServiceRt): PodRt | undefined {
    const pods = svc.endpoints;
    if (pods.length === 0) return undefined;
    return pods[Math.floor(this.stream(`connect/${caller.name}→${svc.model.key}`)() * pods.length)];
  }

  protected stream(name: string): Uniform {
    let s = this.pickStreams.get(name);
    if (!s) this.pickStreams.set(name, (s = this.deps.streams.stream(name)));
    return s;
  }

  podCrashed(pod: PodRt): void {
    for (const pool of this.appPoolsTo()) pool.closeHost(pod);
  }

  podAdded(_pod: PodRt): void {}

  /** While true, new mTLS handshakes fail: the peers' certificates have expired. */
  protected certsExpired = false;

  setCertsExpired(expired: boolean): void {
    this.certsExpired = expired;
  }

  setPolicy(policy: MeshPolicy): void {
    this.policy = policy;
    // A listener update drains connections whose filter chain went away: plaintext connections
    // to workloads that now require mTLS are closed.
    for (const pool of this.appPoolsTo()) pool.closeMatching((c) => !c.mtls && this.requiresMtls(c.host));
  }

  /** Whether the server side of `host` now refuses plaintext (PeerAuthentication STRICT). */
  protected requiresMtls(_host: unknown): boolean {
    return false;
  }
}
