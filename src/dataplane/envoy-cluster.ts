/**
 * An Envoy's clusters, as Istio builds them from traffic policy: one cluster per (service, subset)
 * named `outbound|port|subset|host`, its hosts (the subset's label selector), its load balancer,
 * its connection pool and circuit-breaker limits, and its outlier detector (DestinationRule
 * trafficPolicy: https://istio.io/latest/docs/reference/config/networking/destination-rule/;
 * istio/pilot/pkg/networking/core/cluster_traffic_policy.go). A config change rebuilds a cluster in
 * place: its connections stay, the new policy applies. The router (envoy-router.ts) uses them.
 */
import type { Uniform } from '../kernel/random.js';
import type { Simulator } from '../kernel/simulator.js';
import type { TrafficPolicy } from '../config/istio/networking-schemas.js';
import { outlierConfigFromIstio } from '../config/istio/outlier-config.js';
import type { PodRt, ServiceRt } from '../world/entities.js';
import { Fifo } from '../world/fifo.js';
import { objectArray } from '../kernel/object-array.js';
import { LoadBalancer, type LbKind } from '../policy/load-balancer.js';
import type { InboundClusterPlan, MeshPolicy, ServiceAlias } from '../policy/mesh-policy.js';
import { PASSTHROUGH_CLUSTER } from '../policy/egress.js';
import { OutlierDetector, type OutlierEvent } from '../policy/outlier.js';
import type { Timeline } from '../record/timeline.js';
import type { PoolGauge, PoolOccupancy } from '../record/pool-occupancy.js';
import { ConnectionPool, type Connection, type KeyConns, type PoolOptions } from './connections.js';
import { DEFAULT_IDLE_TIMEOUT_US, UNLIMITED_STREAMS } from './plane.js';
import { ProxyState, type Proxy } from './proxy.js';
import type { LocalityPlan } from '../policy/locality.js';
import { clusterLocalityPlan } from './locality-lb.js';
import type { TimeWeighted } from './usage.js';
import { EdfPicker, slowStartFactor, slowStartOf, type SlowStartConfig } from '../policy/slow-start.js';

/**
 * Istio's circuit-breaker default for every threshold (2^32 − 1, math.MaxUint32 in
 * cluster_traffic_policy.go), not Envoy's 1024/3.
 */
export const ISTIO_UNLIMITED = 2 ** 32 - 1;

/** Envoy's per-cluster circuit-breaker and pool stats (names as in Envoy's cluster stats). */
export interface ClusterStats {
  upstream_rq_total: number;
  upstream_rq_pending_overflow: number;
  upstream_cx_overflow: number;
  upstream_rq_retry: number;
  upstream_rq_retry_overflow: number;
  upstream_rq_timeout: number;
  upstream_rq_per_try_timeout: number;
  upstream_cx_connect_fail: number;
}

/** The (worker, host) pool of a cluster, made on first use. */
export function hostPool<P>(c: ClusterRt<P>, worker: number, host: PodRt): HostPool<P> {
  const pools = c.hostStates.of(host).pools;
  let hp = pools[worker];
  if (!hp) pools[worker] = hp = { worker, host, pending: new Fifo<P>(), queued: 0, connecting: 0, conns: undefined };
  return hp;
}

/** A ready connection of the (worker, host) pool with a free stream, reserving it; or undefined. */
export function takeConnection<P>(c: ClusterRt<P>, hp: HostPool<P>): Connection<PodRt> | undefined {
  return c.pool.takeFrom((hp.conns ??= c.pool.conns(hp)));
}

/** What a cluster keeps per host: its active requests (for LEAST_REQUEST) and its pools by worker. */
export interface HostState<P> {
  readonly host: PodRt;
  active: number;
  pools: HostPool<P>[];
}

/**
 * A cluster's per-host state, found by the pod's index in its service: an array read per request
 * instead of a Map lookup by pod (several per attempt: the load balancer's two choices, the pool,
 * the active count up and down). A slot taken by another pod with the same index (a cluster over
 * another service's pods) spills to a Map, so any host works.
 */
export class HostStates<P> {
  private readonly slots: (HostState<P> | undefined)[] = objectArray();
  private spill?: Map<PodRt, HostState<P>>;

  find(host: PodRt): HostState<P> | undefined {
    const s = this.slots[host.index];
    return s !== undefined && s.host === host ? s : this.spill?.get(host);
  }

  /** The host's state, made on first use. */
  of(host: PodRt): HostState<P> {
    return this.find(host) ?? this.add(host);
  }

  private add(host: PodRt): HostState<P> {
    const s: HostState<P> = { host, active: 0, pools: objectArray() };
    while (this.slots.length < host.index) this.slots.push(undefined);
    if (this.slots[host.index] === undefined) this.slots[host.index] = s;
    else (this.spill ??= new Map()).set(host, s);
    return s;
  }

  /** Requests active on `host` (0 for a host never used). */
  active(host: PodRt): number {
    return this.find(host)?.active ?? 0;
  }
}

/** The cluster's circuit-breaker thresholds (Envoy's default priority). */
export interface Limits {
  maxConnections: number;
  maxPending: number;
  maxRequests: number;
  maxRetries: number;
}

/**
 * One worker thread's connection pool to one host of a cluster: Envoy keeps a pool per (worker,
 * host, protocol) (each worker's ThreadLocalClusterManager owns its pools: envoy
 * source/common/upstream/cluster_manager_impl.cc, ThreadLocalClusterManagerImpl::ClusterEntry::httpConnPoolImpl),
 * with its own queue of pending streams (source/common/conn_pool/conn_pool_base.h, pending_streams_).
 * `P` is what waits in it.
 */
export interface HostPool<P> {
  worker: number;
  host: PodRt;
  /** Pending streams, oldest first (entries that gave up are skipped when met). */
  pending: Fifo<P>;
  /** Streams really waiting in `pending`. */
  queued: number;
  /** Connections of this pool still being established. */
  connecting: number;
  /** The pool's connections in the cluster's ConnectionPool, once asked for (takeConnection). */
  conns: KeyConns<PodRt> | undefined;
}

/** One Envoy's cluster: a service, or a subset of it (`outbound|port|subset|host`). `P` is what waits in its pools' pending queues. */
export interface ClusterRt<P = unknown> {
  name: string;
  proxy: Proxy;
  svc: ServiceRt;
  subset?: string;
  labels?: Record<string, string>;
  hosts: PodRt[];
  /** The service's endpointsVersion the hosts were taken from. */
  endpointsVersion: number;
  policy: TrafficPolicy;
  policyVersion: number;
  limits: Limits;
  lb: LoadBalancer<PodRt>;
  /** Every connection of the cluster, keyed by its (worker, host) pool; `openCount` is the cluster-wide connections() resource. */
  pool: ConnectionPool<HostPool<P>, PodRt>;
  /** Per host: active requests, and the (worker, host) pools by worker. */
  hostStates: HostStates<P>;
  /** Envoy worker threads of the proxy (its --concurrency). */
  workers: number;
  /** `hostStates.active` as one function per cluster, for the load balancer (made on first use). */
  activeOf?: (host: PodRt) => number;
  /** Attempts under way (pending or on a connection). */
  activeRequests: number;
  /** Streams attached to a connection: the cluster-wide requests() resource (max_requests). */
  attachedRequests: number;
  /** Streams waiting in any of the cluster's pools: the cluster-wide pendingRequests() resource. */
  pendingRequests: number;
  activeRetries: number;
  /** Back-off jitter of this Envoy's retries to this cluster (a named stream). */
  retryJitter: Uniform;
  stats: ClusterStats;
  /** Envoy's outlier detector for this cluster, when the DestinationRule has outlierDetection. */
  outlier?: OutlierDetector<PodRt>;
  /** Records the pool's occupancy over time for the report, when a report is wanted. */
  gauge?: PoolGauge;
  /** Slow start (loadBalancer.warmup), and when each host joined this cluster. */
  slowStart?: SlowStartConfig;
  addedUs: Map<PodRt, number>;
  edf?: EdfPicker<PodRt>;
  /** Priorities and locality weights Istio gave this proxy's endpoints (undefined: plain LB). */
  locality?: LocalityPlan<PodRt>;
  /** Draws of the priority and locality (`locality/<proxy>→<cluster>`), made only with a plan. */
  localityDraw?: Uniform;
  /**
   * A server sidecar's inbound cluster (`inbound|PORT||`): its one host is the local app;
   * `refused` when the listener forwards to a port the app does not listen on.
   */
  inbound?: { refused: boolean };
}

export interface EnvoyClustersDeps {
  sim: Simulator;
  stream: (name: string) => Uniform;
  /** The server end's open-connection counter of a host (for memory). */
  serverConnections: (host: PodRt) => TimeWeighted | undefined;
  timeline: Timeline;
  /** Pool occupancy over time (the report's pool view); absent when nothing records it. */
  pools?: PoolOccupancy;
}

/**
 * One proxy's clusters by service, then subset key; and the one it asked for last (a proxy mostly
 * calls one service again and again: found then without two map lookups).
 */
interface ProxyClusters<P> {
  bySvc: Map<ServiceRt, Map<string, ClusterRt<P>>>;
  lastSvc: ServiceRt | undefined;
  lastKey: string;
  last: ClusterRt<P> | undefined;
}

function remember<P>(pc: ProxyClusters<P>, svc: ServiceRt, key: string, c: ClusterRt<P>): void {
  pc.lastSvc = svc;
  pc.lastKey = key;
  pc.last = c;
}

/** Every proxy's clusters, built on first use and rebuilt when the policy version moves on. */
export class EnvoyClusters<P> {
  private readonly clusters = new Map<Proxy, Map<string, ClusterRt<P>>>();
  /** Hot path: the current cluster for (proxy, service, subset), without building its name. */
  private readonly cache = new ProxyState<ProxyClusters<P>>(() => ({ bySvc: new Map(), lastSvc: undefined, lastKey: '', last: undefined }));
  private policy: MeshPolicy;
  private policyVersion = 0;

  constructor(
    private readonly deps: EnvoyClustersDeps,
    policy: MeshPolicy,
  ) {
    this.policy = policy;
  }

  /** New traffic policy: every cluster is rebuilt on its next use. */
  setPolicy(policy: MeshPolicy): void {
    this.policy = policy;
    this.policyVersion++;
  }

  /** Every cluster built so far, for stats. */
  all(): ClusterRt<P>[] {
    return [...[...this.clusters.values()].flatMap((m) => [...m.values()]), ...this.inboundClusters.values()];
  }

  /**
   * The current cluster for (proxy, service, subset); undefined when no DestinationRule defines the
   * subset. `alias`: the host is another Kubernetes Service over some of the service's pods
   * (mesh-policy.ts ServiceAlias), a cluster of its own.
   */
  get(
    proxy: Proxy,
    svc: ServiceRt,
    subset: string | undefined,
    clientNs: string,
    port = svc.model.port,
    alias?: ServiceAlias,
  ): ClusterRt<P> | undefined {
    const pc = this.cache.of(proxy);
    // Most requests of a proxy go to the cluster its last one used, unchanged since: found with no key built.
    const last = pc.last;
    if (
      last !== undefined &&
      pc.lastSvc === svc &&
      alias === undefined &&
      port === svc.model.port &&
      pc.lastKey === (subset ?? '') &&
      last.policyVersion === this.policyVersion &&
      last.endpointsVersion === svc.endpointsVersion
    )
      return last;
    return this.findOrBuild(pc, proxy, svc, subset, clientNs, port, alias);
  }

  private findOrBuild(
    pc: ProxyClusters<P>,
    proxy: Proxy,
    svc: ServiceRt,
    subset: string | undefined,
    clientNs: string,
    port: number,
    alias: ServiceAlias | undefined,
  ): ClusterRt<P> | undefined {
    // A route to another port of the host is another cluster (`outbound|port|subset|host`), and so is a per-version Service.
    const base = alias ? `@${alias.fqdn}` : (subset ?? '');
    const key = port === svc.model.port ? base : `${base}|${port}`;
    let cached = pc.lastSvc === svc && pc.lastKey === key ? pc.last : undefined;
    let bySubset: Map<string, ClusterRt<P>> | undefined;
    if (!cached) {
      bySubset = pc.bySvc.get(svc);
      if (!bySubset) pc.bySvc.set(svc, (bySubset = new Map()));
      cached = bySubset.get(key);
    }
    if (cached && cached.policyVersion === this.policyVersion) {
      if (cached.endpointsVersion !== svc.endpointsVersion) this.refreshHosts(cached);
      remember(pc, svc, key, cached);
      return cached;
    }
    const c = this.build(proxy, svc, subset, clientNs, port, alias);
    if (c) {
      // After a hit on the last one the map was not looked up; it exists (the last one came from it).
      (bySubset ?? pc.bySvc.get(svc))?.set(key, c);
      remember(pc, svc, key, c);
    }
    return c;
  }

  private build(
    proxy: Proxy,
    svc: ServiceRt,
    subset: string | undefined,
    clientNs: string,
    port: number,
    alias?: ServiceAlias,
  ): ClusterRt<P> | undefined {
    let byName = this.clusters.get(proxy);
    if (!byName) this.clusters.set(proxy, (byName = new Map()));
    // A host outside the registry goes to PassthroughCluster (ORIGINAL_DST: a host per address dialled).
    const passthrough = !this.policy.isRegistered(svc.model);
    const name = passthrough ? PASSTHROUGH_CLUSTER : `outbound|${port}|${alias ? '' : (subset ?? '')}|${alias?.fqdn ?? svc.model.fqdn}`;
    const id = passthrough ? `${name}|${svc.model.fqdn}` : name;
    let c = byName.get(id);
    if (c && c.policyVersion === this.policyVersion) return c;
    let labels: Record<string, string> | undefined = alias ? { ...alias.labels } : undefined;
    if (subset !== undefined && !alias) {
      labels = this.policy.subsetLabels(svc.model, subset, clientNs);
      if (!labels) return undefined;
    }
    const policy = this.policy.trafficPolicy(svc.model, subset, clientNs, port);
    const hosts = hostsOf(svc, labels);
    const limits = clusterLimits(policy);
    const lbKind = lbKindOf(policy);
    if (c) {
      // Config changed: keep connections, take the new policy.
      const odChanged = JSON.stringify(c.policy.outlierDetection) !== JSON.stringify(policy.outlierDetection);
      Object.assign(c, { labels, policy, limits, policyVersion: this.policyVersion });
      c.gauge?.setLimits(limits);
      this.refreshHosts(c);
      this.planLocality(c);
      if (c.lb.kind !== lbKind) c.lb = new LoadBalancer<PodRt>(lbKind, this.deps.stream(`lb/${proxy.name}→${name}`));
      if (odChanged) this.startOutlierDetection(c);
      c.slowStart = slowStartOf(policy.loadBalancer);
      return c;
    }
    c = this.create(proxy, svc, name, policy, hosts, { subset, labels, protocol: svc.model.protocol, inbound: false });
    byName.set(id, c);
    this.startOutlierDetection(c);
    this.planLocality(c);
    return c;
  }

  /**
   * The server sidecar's inbound cluster `inbound|PORT||` in front of `pod`'s app: one host (the
   * app, over loopback), the connection pool the plan names and nothing else (Istio applies only
   * connectionPool to inbound clusters: cluster_traffic_policy.go applyTrafficPolicy). One per
   * sidecar (a service has one port); a config change rebuilds it in place, keeping its connections.
   */
  inbound(proxy: Proxy, pod: PodRt, plan: InboundClusterPlan): ClusterRt<P> {
    const policy: TrafficPolicy = plan.connectionPool ? { connectionPool: plan.connectionPool } : {};
    const refused = plan.endpointPort !== pod.service.model.port;
    let c = this.inboundClusters.get(proxy);
    if (c && c.policyVersion === this.policyVersion) return c;
    if (c) {
      Object.assign(c, { policy, limits: clusterLimits(policy), policyVersion: this.policyVersion, inbound: { refused } });
      c.gauge?.setLimits(c.limits);
      return c;
    }
    c = this.create(proxy, pod.service, plan.name, policy, [pod], { protocol: plan.protocol, inbound: true });
    c.inbound = { refused };
    this.inboundClusters.set(proxy, c);
    return c;
  }

  private readonly inboundClusters = new Map<Proxy, ClusterRt<P>>();

  /** A new cluster of `proxy` with its pool, limits, balancer and stats (outbound or inbound). */
  private create(
    proxy: Proxy,
    svc: ServiceRt,
    name: string,
    policy: TrafficPolicy,
    hosts: PodRt[],
    o: { subset?: string; labels?: Record<string, string>; protocol: string; inbound: boolean },
  ): ClusterRt<P> {
    const limits = clusterLimits(policy);
    const c: ClusterRt<P> = {
      name,
      proxy,
      svc,
      subset: o.subset,
      labels: o.labels,
      hosts,
      policy,
      policyVersion: this.policyVersion,
      endpointsVersion: svc.endpointsVersion,
      limits,
      lb: new LoadBalancer<PodRt>(lbKindOf(policy), this.deps.stream(`lb/${proxy.name}→${name}`)),
      pool: new ConnectionPool<HostPool<P>, PodRt>(
        {
          ...poolSettings(policy, o.protocol, o.inbound),
          clientSide: proxy.connections,
          // The inbound cluster's far end is the app, which keeps no proxy connection count.
          serverSide: o.inbound ? undefined : (host) => this.deps.serverConnections(host as PodRt),
          onChange: () => observePool(c),
        },
        this.deps.sim,
      ),
      hostStates: new HostStates<P>(),
      workers: Math.max(1, proxy.costs.workers),
      activeRequests: 0,
      attachedRequests: 0,
      pendingRequests: 0,
      activeRetries: 0,
      retryJitter: this.deps.stream(`retry/${proxy.name}→${name}`),
      stats: emptyClusterStats(),
      slowStart: o.inbound ? undefined : slowStartOf(policy.loadBalancer),
      // Hosts known when the cluster is built joined when their pods were created (t=0 pods at 0).
      addedUs: new Map(hosts.map((h) => [h, h.createdUs])),
      ...(o.inbound ? { inbound: { refused: false } } : {}),
    };
    c.gauge = this.deps.pools?.gauge(name, svc.model.key, limits);
    return c;
  }

  /** Istio's locality priorities and weights for this proxy's endpoints (policy/locality.ts). */
  private planLocality(c: ClusterRt<P>): void {
    c.locality = clusterLocalityPlan(c.proxy, c.hosts, c.policy, this.policy.defaults.localityLbEnabled);
    if (c.locality) c.localityDraw ??= this.deps.stream(`locality/${c.proxy.name}→${c.name}`);
  }

  /**
   * An EDS update reached this proxy: the cluster's hosts follow the service's endpoints. Envoy
   * drains the connection pools of removed hosts (no new requests; requests in flight finish) and
   * the outlier detector forgets them. envoy source/common/upstream/cluster_manager_impl.cc
   * (ClusterEntry::drainConnPools(hosts_removed)); outlier_detection_impl.cc (addHostMonitor on
   * member update).
   */
  private refreshHosts(c: ClusterRt<P>): void {
    const next = hostsOf(c.svc, c.labels);
    c.endpointsVersion = c.svc.endpointsVersion;
    for (const h of c.hosts) if (!next.includes(h)) c.pool.closeHost(h);
    // A host EDS adds now starts its slow-start window now (Envoy: the host's creation time).
    for (const h of next) if (!c.hosts.includes(h)) c.addedUs.set(h, this.deps.sim.now);
    c.edf?.retain(next);
    c.hosts = next;
    c.outlier?.setHosts(next);
    this.planLocality(c);
  }

  /**
   * One detector per client proxy per cluster, only when outlierDetection is configured (Istio
   * adds none otherwise). Its interval timer starts with the detector, not with an ejection.
   */
  private startOutlierDetection(c: ClusterRt<P>): void {
    const od = c.policy.outlierDetection;
    if (!od) {
      c.outlier = undefined;
      return;
    }
    const sim = this.deps.sim;
    const det = new OutlierDetector<PodRt>(outlierConfigFromIstio(od), c.hosts, {
      now: () => sim.now,
      onEvent: (e) => this.onOutlierEvent(c, e),
    });
    c.outlier = det;
    const tick = (): void => {
      if (c.outlier !== det) return;
      det.tick(sim.now);
      sim.schedule(det.intervalUs, tick, undefined);
    };
    sim.schedule(det.intervalUs, tick, undefined);
  }

  private onOutlierEvent(c: ClusterRt<P>, e: OutlierEvent<PodRt>): void {
    // Envoy drains the connection pools of a host that becomes unavailable.
    if (e.action === 'eject') c.pool.closeHost(e.host);
    this.deps.timeline.add(e.action === 'eject' ? 'outlier_eject' : 'outlier_uneject', {
      action: e.action,
      service: c.svc.model.key,
      pod: e.host.name,
      ejection_type: e.type,
      num_ejections: e.numEjections,
      cluster: c.name,
      proxy: c.proxy.name,
    });
  }
}

/** Records the cluster's open connections and pending requests now (for the report's pool view). */
export function observePool(c: ClusterRt<unknown>): void {
  c.gauge?.set(c.proxy.sim.now, c.pool.openCount, c.pendingRequests);
}

/** Istio sets a circuit-breaker threshold only when the field is > 0 ("0 cannot be distinguished from unset"). */
function clusterLimits(policy: TrafficPolicy): Limits {
  const http = policy.connectionPool?.http;
  const tcp = policy.connectionPool?.tcp;
  const limit = (v: number | undefined) => (v !== undefined && v > 0 ? v : ISTIO_UNLIMITED);
  return {
    maxConnections: limit(tcp?.maxConnections),
    maxPending: limit(http?.http1MaxPendingRequests),
    maxRequests: limit(http?.http2MaxRequests),
    maxRetries: limit(http?.maxRetries),
  };
}

/**
 * The upstream connection settings: HTTP/2 (many streams) when h2UpgradePolicy is UPGRADE or the
 * port speaks a protocol other than HTTP/1.1, else one stream per connection; idle timeout from
 * http.idleTimeout, then tcp.idleTimeout, then the default.
 */
function poolSettings(
  policy: TrafficPolicy,
  protocol: string,
  inbound = false,
): Pick<PoolOptions, 'maxStreams' | 'maxRequestsPerConnection' | 'idleTimeoutUs'> {
  const http = policy.connectionPool?.http;
  const tcp = policy.connectionPool?.tcp;
  // An inbound cluster speaks the port's protocol to the app: h2UpgradePolicy is outbound only (applyH2Upgrade).
  const h2 = inbound
    ? protocol !== 'http'
    : http?.h2UpgradePolicy === 'UPGRADE' || (protocol !== 'http' && http?.h2UpgradePolicy !== 'DO_NOT_UPGRADE');
  return {
    maxStreams: h2 ? (http?.maxConcurrentStreams && http.maxConcurrentStreams > 0 ? http.maxConcurrentStreams : UNLIMITED_STREAMS) : 1,
    maxRequestsPerConnection: http?.maxRequestsPerConnection ?? 0,
    idleTimeoutUs: http?.idleTimeout ?? tcp?.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_US,
  };
}

export function emptyClusterStats(): ClusterStats {
  return {
    upstream_rq_total: 0,
    upstream_rq_pending_overflow: 0,
    upstream_cx_overflow: 0,
    upstream_rq_retry: 0,
    upstream_rq_retry_overflow: 0,
    upstream_rq_timeout: 0,
    upstream_rq_per_try_timeout: 0,
    upstream_cx_connect_fail: 0,
  };
}

/** Istio's LB mapping (cluster_traffic_policy.go applyLoadBalancer); the default is LEAST_REQUEST. */
function lbKindOf(p: TrafficPolicy): LbKind {
  const lb = p.loadBalancer;
  if (lb?.consistentHash) return 'RING_HASH';
  switch (lb?.simple) {
    case 'ROUND_ROBIN':
      return 'ROUND_ROBIN';
    case 'RANDOM':
    case 'PASSTHROUGH':
      return 'RANDOM';
    default:
      return 'LEAST_REQUEST';
  }
}

/** The service's current endpoints that carry every label of the subset (all of them without one). */
function hostsOf(svc: ServiceRt, labels: Record<string, string> | undefined): PodRt[] {
  if (!labels) return svc.endpoints;
  const wanted = Object.entries(labels);
  return svc.endpoints.filter((p) => wanted.every(([k, v]) => p.version.labels[k] === v));
}

/**
 * The host slow start picks, while some host of the cluster is within its window with a weight
 * unlike the others' (undefined otherwise: the cluster's own balancer picks). ROUND_ROBIN weights
 * are the slow-start factors; LEAST_REQUEST divides them by (active requests + 1), Envoy's
 * active_request_bias of 1.0 (load_balancer_impl.cc LeastRequestLoadBalancer::hostWeight).
 */
export function slowStartPick(c: ClusterRt, hosts: readonly PodRt[], active: (h: PodRt) => number, nowUs: number): PodRt | undefined {
  const ss = c.slowStart;
  if (!ss || hosts.length < 2) return undefined;
  const factor = (h: PodRt) => slowStartFactor(nowUs - (c.addedUs.get(h) ?? 0), ss);
  const first = factor(hosts[0]!);
  if (hosts.every((h) => factor(h) === first)) return undefined;
  const lr = c.lb.kind === 'LEAST_REQUEST';
  c.edf ??= new EdfPicker<PodRt>();
  return c.edf.pick(hosts, (h) => (lr ? factor(h) / (active(h) + 1) : factor(h)));
}
