/**
 * Ingress gateways: Deployments of Envoy pods in front of the mesh (Istio's istio-ingressgateway,
 * or the `<name>-istio` Deployment Istio provisions for a Gateway API Gateway). A client outside the
 * cluster keeps HTTP/1.1 keep-alive connections to the gateway's LoadBalancer Service, each pinned
 * to a random gateway pod as kube-proxy does; a new connection costs a TCP round trip and, where
 * the listener terminates TLS, the TLS 1.3 flight with the server handshake on a gateway worker.
 * The gateway's Envoy runs the gateway's routes (policy/gateway-routes.ts), picks the destination
 * and forwards: in sidecar mode as the client Envoy of the mesh (the same route engine as sidecars:
 * mTLS, load balancing, retries, timeouts, outlier detection), in the other modes through that
 * mode's data plane. Istio reports the gateway as the source workload of the calls it forwards.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { Uniform } from '../kernel/random.js';
import type { NetworkModel, RequestShape } from '../config/model.js';
import type { CostProfile } from '../config/profile.js';
import type { Caller, ClientRt, NodeRt, ServiceRt } from '../world/entities.js';
import type { CompiledRoute } from '../policy/mesh-policy.js';
import type { GatewayDeployment, IngressGateway, Listener } from '../policy/gateway-routes.js';
import { fnv1a } from '../kernel/hash.js';
import { ConnectionPool } from './connections.js';
import { oneWayUs } from './network.js';
import { DEFAULT_IDLE_TIMEOUT_US, type CallResult, type DataPlane } from './plane.js';
import { Proxy } from './proxy.js';

/** The proxy kind (and resources component) of gateway Envoys. */
export const GATEWAY_PROXY_KIND = 'gateway';

/** One gateway pod: a caller of the mesh whose only container is Envoy. */
export interface GatewayPod extends Caller {
  readonly deployment: GatewayDeployment;
  readonly proxy: Proxy;
}

/** Counters per gateway Deployment (results.json `gateways`). */
export interface GatewayStats {
  deployment: string;
  namespace: string;
  replicas: number;
  requests: number;
  connections: number;
  tlsHandshakes: number;
  /** Answers the gateway gave itself: no route (404), redirects, direct responses, unknown backends. */
  localReplies: number;
}

export interface IngressDeps {
  sim: Simulator;
  profile: CostProfile;
  network: NetworkModel;
  nodes: readonly NodeRt[];
  replicas: number;
  plane: DataPlane;
  services: ReadonlyMap<string, ServiceRt>;
  stream: (name: string) => Uniform;
  /** Whether gateway pods reach the mesh as in-mesh callers (ambient: over HBONE via the node's ztunnel). */
  inMesh: boolean;
  /** The gateway's call to the destination service, through the mesh (recorded as an edge). */
  forward: (gateway: GatewayPod, target: ServiceRt, req: RequestShape, route: CompiledRoute, done: (r: CallResult) => void) => void;
}

/** A workload's way in: the gateway, the listener it connects to and the Host it sends. */
export interface IngressEntry {
  gateway: IngressGateway;
  listener: Listener;
  host: string | undefined;
}

export class IngressGateways {
  readonly proxies: Proxy[] = [];
  readonly stats = new Map<string, GatewayStats>();
  private readonly pods = new Map<string, GatewayPod[]>();
  /** Whether the data plane runs the gateway's Envoy as a mesh client (sidecar mode). */
  private readonly adopted = new Set<GatewayPod>();
  private readonly pools = new Map<ClientRt, ConnectionPool<'any', GatewayPod>>();

  constructor(private readonly deps: IngressDeps) {}

  /** The pods of a gateway Deployment, created on first use (spread over nodes like other pods). */
  podsOf(d: GatewayDeployment): GatewayPod[] {
    const key = `${d.namespace}/${d.name}`;
    let list = this.pods.get(key);
    if (list) return list;
    list = [];
    const nodes = this.deps.nodes;
    for (let i = 0; i < this.deps.replicas; i++) {
      const node = nodes[(fnv1a(`gateway/${key}`) + i) % nodes.length]!;
      const name = `${d.name}-${i}`;
      const proxy = new Proxy(GATEWAY_PROXY_KIND, `${name}.${GATEWAY_PROXY_KIND}`, node, this.deps.profile.sidecar, this.deps.sim);
      const pod: GatewayPod = {
        name,
        edgeName: d.name,
        node,
        ip: `10.${node.index + 1}.250.${i + 1}`,
        inMesh: this.deps.inMesh,
        namespace: d.namespace,
        serviceAccount: d.serviceAccount,
        deployment: d,
        proxy,
      };
      if (this.deps.plane.adoptGateway?.(pod, proxy)) this.adopted.add(pod);
      this.proxies.push(proxy);
      list.push(pod);
    }
    this.pods.set(key, list);
    this.stats.set(key, {
      deployment: d.name,
      namespace: d.namespace,
      replicas: list.length,
      requests: 0,
      connections: 0,
      tlsHandshakes: 0,
      localReplies: 0,
    });
    return list;
  }

  /** Sends one end-user request from `client` through the gateway; `done` gets what the client sees. */
  send(client: ClientRt, entry: IngressEntry, req: RequestShape, done: (r: CallResult) => void): void {
    const d = entry.gateway.deployment;
    const pods = d ? this.podsOf(d) : [];
    if (pods.length === 0) {
      // Nothing behind the gateway's address: the connection is refused.
      this.deps.sim.schedule(0, () => done({ status: 0, flags: '', mtls: false }), undefined);
      return;
    }
    const stats = this.stats.get(`${d!.namespace}/${d!.name}`)!;
    const pool = this.poolOf(client);
    const conn = pool.take('any');
    if (conn) {
      this.deliver(client, conn.host, entry, req, stats, () => pool.release('any', conn), done);
      return;
    }
    const pod = pods[Math.floor(this.deps.stream(`ingress/${client.name}`)() * pods.length)]!;
    const fresh = pool.open('any', pod, false);
    stats.connections++;
    const ow = oneWayUs(this.deps.network, client.node, pod.node);
    const sim = this.deps.sim;
    const ready = () => this.deliver(client, pod, entry, req, stats, () => pool.release('any', fresh), done);
    sim.schedule(
      2 * ow,
      () => {
        if (!entry.listener.tls) return ready();
        // TLS termination: ClientHello → the gateway's handshake work → its reply (TLS 1.3: one round trip).
        stats.tlsHandshakes++;
        const tls = this.deps.profile.tls;
        sim.schedule(
          ow * tls.roundTrips,
          () => pod.proxy.handshake(tls.serverHandshakeCpuUs, () => sim.schedule(ow * tls.roundTrips, ready, undefined)),
          undefined,
        );
      },
      undefined,
    );
  }

  private poolOf(client: ClientRt): ConnectionPool<'any', GatewayPod> {
    let pool = this.pools.get(client);
    if (!pool) {
      pool = new ConnectionPool<'any', GatewayPod>(
        {
          maxStreams: 1,
          maxRequestsPerConnection: 0,
          idleTimeoutUs: DEFAULT_IDLE_TIMEOUT_US,
          serverSide: (h) => (h as GatewayPod).proxy.connections,
        },
        this.deps.sim,
      );
      this.pools.set(client, pool);
    }
    return pool;
  }

  /** The request crosses to the gateway pod, is routed there, and the answer comes back to the client. */
  private deliver(
    client: ClientRt,
    pod: GatewayPod,
    entry: IngressEntry,
    req: RequestShape,
    stats: GatewayStats,
    release: () => void,
    done: (r: CallResult) => void,
  ): void {
    const sim = this.deps.sim;
    const ow = oneWayUs(this.deps.network, client.node, pod.node);
    stats.requests++;
    const back = (r: CallResult) =>
      sim.schedule(
        ow,
        () => {
          release();
          done(r);
        },
        undefined,
      );
    const local = (status: number, flags: string) => {
      stats.localReplies++;
      pod.proxy.requestLeg(req.requestSize, () => pod.proxy.responseLeg(0, () => back({ status, flags, mtls: false, local: true })));
    };
    sim.schedule(
      ow,
      () => {
        const result = entry.gateway.route(entry.listener, entry.host, req);
        if (result.kind === 'no-route') return local(404, 'NR');
        if (result.kind === 'direct') return local(result.status, '');
        const route = result.route;
        const dest = pickDestination(route, this.deps.stream(`route/${pod.name}`));
        const svc = dest?.service !== undefined ? this.deps.services.get(dest.service) : undefined;
        // An unknown host: Envoy's cluster_not_found (503 NC); Istio answers 500 for Gateway API backends.
        if (!dest || !svc) return entry.gateway.kind === 'istio' ? local(503, 'NC') : local(500, '');
        const pinned: CompiledRoute = { ...route, destinations: [dest], totalWeight: dest.weight };
        if (this.adopted.has(pod)) {
          this.deps.forward(pod, svc, req, pinned, back);
          return;
        }
        pod.proxy.requestLeg(req.requestSize, () =>
          this.deps.forward(pod, svc, req, pinned, (r) => pod.proxy.responseLeg(req.responseSize, () => back(r))),
        );
      },
      undefined,
    );
  }
}

/** Weighted choice among the route's destinations, per request (weights are relative). */
export function pickDestination(route: CompiledRoute, u: Uniform): CompiledRoute['destinations'][number] | undefined {
  const dests = route.destinations;
  if (dests.length <= 1) return dests[0];
  let x = u() * route.totalWeight;
  for (const d of dests) if ((x -= d.weight) < 0) return d;
  return dests[dests.length - 1];
}
