/**
 * The client half of an Envoy (a sidecar's outbound side, or a waypoint): per-request load
 * balancing, upstream connection pools per host, Istio's default retry policy, and the trip to the
 * host's server-side proxies. How a connection to a host is opened is the caller's (`Transport`).
 */
import type { Uniform } from '../kernel/random.js';
import type { Simulator } from '../kernel/simulator.js';
import type { RequestShape } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { PodRt, ServiceRt } from '../world/entities.js';
import type { PodBehaviour } from '../world/pod.js';
import { ConnectionPool, type Connection } from './connections.js';
import { traverse } from './direct.js';
import { DEFAULT_IDLE_TIMEOUT_US, UNLIMITED_STREAMS, type CallDone } from './plane.js';
import type { Proxy } from './proxy.js';
import { backoffUs, HOST_SELECTION_RETRY_MAX_ATTEMPTS, ISTIO_DEFAULT_RETRIES } from './retry.js';
import type { TimeWeighted } from './usage.js';


export interface Transport {
  /** Whether traffic from `proxy` to `host` is mTLS. */
  mtls(proxy: Proxy, host: PodRt): boolean;
  /** Establishes `conn`; `then(false)` when the host refused it. */
  connect(proxy: Proxy, host: PodRt, conn: Connection<PodRt>, then: (ok: boolean) => void): void;
  /** Proxies in front of the host's app, in request order. */
  serverSide(proxy: Proxy, host: PodRt): readonly Proxy[];
  /** The server end's open-connection counter (for memory). */
  serverConnections(host: PodRt): TimeWeighted | undefined;
  oneWay(proxy: Proxy, host: PodRt): number;
}

/** One Envoy's view of one service: its cluster (pool, outstanding requests, LB state). */
interface UpstreamCluster {
  pool: ConnectionPool<PodRt, PodRt>;
  active: Map<PodRt, number>;
  lb: Uniform;
  retryJitter: Uniform;
}

interface Attempt {
  call: AppCall;
  proxy: Proxy;
  svc: ServiceRt;
  req: RequestShape;
  done: CallDone;
  cluster: UpstreamCluster;
  tried: PodRt[];
  retries: number;
}

export interface EnvoyClientDeps {
  sim: Simulator;
  pods: PodBehaviour;
  stream: (name: string) => Uniform;
  transport: Transport;
  handshakes: { total: number; mtls: number };
}

export class EnvoyClient {
  private readonly clusters = new Map<Proxy, Map<ServiceRt, UpstreamCluster>>();
  private readonly sim: Simulator;

  constructor(private readonly deps: EnvoyClientDeps) {
    this.sim = deps.sim;
  }

  /** The request has passed `proxy`'s request leg; balance, connect, forward, and answer via its response leg. */
  route(proxy: Proxy, call: AppCall, done: CallDone): void {
    const svc = call.service;
    this.attempt({ call, proxy, svc, req: call.req, done, cluster: this.cluster(proxy, svc), tried: [], retries: 0 });
  }

  closeHost(pod: PodRt): void {
    for (const bySvc of this.clusters.values()) for (const c of bySvc.values()) c.pool.closeHost(pod);
  }

  private cluster(proxy: Proxy, svc: ServiceRt): UpstreamCluster {
    let bySvc = this.clusters.get(proxy);
    if (!bySvc) this.clusters.set(proxy, (bySvc = new Map()));
    let c = bySvc.get(svc);
    if (!c) {
      const h2 = svc.model.protocol !== 'http';
      c = {
        pool: new ConnectionPool<PodRt, PodRt>({
          maxStreams: h2 ? UNLIMITED_STREAMS : 1,
          maxRequestsPerConnection: 0,
          idleTimeoutUs: DEFAULT_IDLE_TIMEOUT_US,
          clientSide: proxy.connections,
          serverSide: (host) => this.deps.transport.serverConnections(host as PodRt),
        }, this.sim),
        active: new Map(),
        lb: this.deps.stream(`lb/${proxy.name}→${svc.model.key}`),
        retryJitter: this.deps.stream(`retry/${proxy.name}→${svc.model.key}`),
      };
      bySvc.set(svc, c);
    }
    return c;
  }

  /**
   * LEAST_REQUEST with equal weights: pick two hosts at random, keep the one with fewer outstanding
   * requests from this Envoy (Envoy load_balancers.rst, "power of two choices"; Istio's default LB).
   * Hosts tried by earlier attempts are avoided (previous_hosts predicate, up to 5 reselections).
   */
  private pickHost(a: Attempt): PodRt | undefined {
    const pods = a.svc.pods;
    if (pods.length === 0) return undefined;
    let host: PodRt | undefined;
    for (let i = 0; i <= HOST_SELECTION_RETRY_MAX_ATTEMPTS; i++) {
      const x = pods[Math.floor(a.cluster.lb() * pods.length)] as PodRt;
      const y = pods[Math.floor(a.cluster.lb() * pods.length)] as PodRt;
      host = (a.cluster.active.get(y) ?? 0) < (a.cluster.active.get(x) ?? 0) ? y : x;
      if (!a.tried.includes(host)) break;
    }
    return host;
  }

  private attempt(a: Attempt): void {
    const host = this.pickHost(a);
    if (!host) {
      this.localReply(a, 503, 'UH', undefined);
      return;
    }
    a.cluster.active.set(host, (a.cluster.active.get(host) ?? 0) + 1);
    const conn = a.cluster.pool.take(host);
    if (conn) {
      this.forward(a, host, conn);
      return;
    }
    const fresh = a.cluster.pool.open(host, host, this.deps.transport.mtls(a.proxy, host));
    this.deps.handshakes.total++;
    if (fresh.mtls) this.deps.handshakes.mtls++;
    this.deps.transport.connect(a.proxy, host, fresh, (ok) => {
      if (ok && !host.crashed && !fresh.closed) this.forward(a, host, fresh);
      else this.connectFailure(a, host, fresh);
    });
  }

  private connectFailure(a: Attempt, host: PodRt, conn: Connection<PodRt>): void {
    a.cluster.pool.discard(host, conn);
    a.cluster.pool.closeHost(host);
    this.settleActive(a, host);
    a.tried.push(host);
    // connect-failure is in Istio's default retryOn list; URX when the retries run out.
    if (a.retries < ISTIO_DEFAULT_RETRIES) {
      a.retries++;
      a.svc.retries++;
      this.sim.schedule(backoffUs(a.retries, a.cluster.retryJitter), () => this.attempt(a), undefined);
    } else {
      this.localReply(a, 503, 'UF,URX', host);
    }
  }

  private forward(a: Attempt, host: PodRt, conn: Connection<PodRt>): void {
    const ow = this.deps.transport.oneWay(a.proxy, host);
    const server = this.deps.transport.serverSide(a.proxy, host);
    const { requestSize, responseSize } = a.req;
    this.sim.schedule(ow, () => {
      traverse(server, 'request', requestSize, () => {
        this.deps.pods.deliver(host, a.call, (status) => {
          traverse(server, 'response', responseSize, () => {
            this.sim.schedule(ow, () => {
              a.cluster.pool.release(host, conn);
              this.settleActive(a, host);
              // A reset from the app (crash mid-request) reaches the client as 503 UC (upstream connection termination).
              const code = status === 0 ? 503 : status;
              const flags = status === 0 ? 'UC' : '';
              a.proxy.responseLeg(responseSize, () => a.done({ status: code, flags, mtls: conn.mtls, pod: host }));
            }, undefined);
          });
        });
      });
    }, undefined);
  }

  /** An answer Envoy makes itself (no healthy host, connect failure): still a response leg. */
  private localReply(a: Attempt, status: number, flags: string, pod: PodRt | undefined): void {
    a.proxy.responseLeg(0, () => a.done({ status, flags, mtls: false, pod }));
  }

  private settleActive(a: Attempt, host: PodRt): void {
    a.cluster.active.set(host, (a.cluster.active.get(host) ?? 1) - 1);
  }
}
