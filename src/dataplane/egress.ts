/**
 * Istio's egress gateway (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/):
 * the `istio-egressgateway` pods in istio-system, Envoy only. A sidecar whose mesh-bound
 * VirtualService routes an external host to `istio-egressgateway.istio-system.svc.cluster.local`
 * sends the request there like to any service (its cluster, load balancing, retries; mTLS only
 * when a DestinationRule says ISTIO_MUTUAL: gateway pods carry no `security.istio.io/tlsMode`
 * label, istio/istio#25536). The gateway's listeners come from the Gateways that select it
 * (`istio: egressgateway`): a connection on a port no server has, or with TLS on one side only,
 * fails. The gateway then routes by the VirtualServices bound to that Gateway, as an ingress
 * gateway does (policy/gateway-routes.ts), and forwards as a client Envoy of the mesh: to the
 * external host's cluster (a DestinationRule `tls.mode: SIMPLE` there originates TLS). Its
 * answer, or the status it gives itself, goes back to the sidecar.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { Uniform } from '../kernel/random.js';
import type { CostProfile } from '../config/profile.js';
import type { RequestShape } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { PodRt, ServiceRt } from '../world/entities.js';
import type { CompiledRoute, MeshPolicy } from '../policy/mesh-policy.js';
import { gatewaysOnDeployment, hostAdmits, ISTIO_EGRESSGATEWAY, type IngressGateway, type Listener } from '../policy/gateway-routes.js';
import { GATEWAY_PROXY_KIND, pickDestination, type GatewayStats } from './ingress.js';
import type { CallResult, DataPlane } from './plane.js';
import { Proxy } from './proxy.js';

export interface EgressDeps {
  sim: Simulator;
  profile: CostProfile;
  plane: DataPlane;
  /** The gateway's Service and pods (world/build.ts). */
  gateway: ServiceRt;
  services: ReadonlyMap<string, ServiceRt>;
  /** The routing config in force now. */
  policy: () => MeshPolicy;
  stream: (name: string) => Uniform;
  /** Told of every request a gateway pod takes (for the cross-zone traffic of the sidecar → gateway hop). */
  onRequest?: (pod: PodRt, call: AppCall) => void;
  /** The gateway's call to the next hop, through the mesh, as part of the request it serves (recorded as an edge). */
  forward: (pod: PodRt, target: ServiceRt, req: RequestShape, route: CompiledRoute, parent: AppCall, done: (r: CallResult) => void) => void;
}

/** A listener of the gateway's Envoy, and the Gateway it comes from. */
interface Served {
  gateway: IngressGateway;
  listener: Listener;
}

export class EgressGateway {
  readonly proxies: Proxy[] = [];
  readonly stats: GatewayStats;
  private readonly proxyOf = new Map<PodRt, Proxy>();
  private servedFor?: MeshPolicy;
  private served: Served[] = [];

  constructor(private readonly deps: EgressDeps) {
    const svc = deps.gateway;
    for (const pod of svc.pods) {
      const proxy = new Proxy(GATEWAY_PROXY_KIND, `${pod.name}.${GATEWAY_PROXY_KIND}`, pod.node, deps.profile.sidecar, deps.sim);
      proxy.labels = pod.version.labels;
      if (!deps.plane.adoptGateway?.(pod, proxy, (mtls) => this.accepts(mtls))) continue;
      this.proxies.push(proxy);
      this.proxyOf.set(pod, proxy);
    }
    this.stats = {
      deployment: svc.model.name,
      namespace: svc.model.namespace,
      replicas: this.proxies.length,
      requests: 0,
      connections: 0,
      tlsHandshakes: 0,
      localReplies: 0,
    };
  }

  /** The gateway's listeners on its Service port: every server of the Gateways that select it. */
  private listeners(): Served[] {
    const policy = this.deps.policy();
    if (this.servedFor !== policy) {
      this.servedFor = policy;
      const port = this.deps.gateway.model.port;
      this.served = gatewaysOnDeployment(policy, ISTIO_EGRESSGATEWAY).flatMap((gateway) =>
        gateway.listeners.filter((l) => l.port === port).map((listener) => ({ gateway, listener })),
      );
    }
    return this.served;
  }

  /** A sidecar's connection reaches a gateway pod: a server on the port with the same transport (mTLS or not) takes it. */
  private accepts(mtls: boolean): boolean {
    this.stats.connections++;
    const ok = this.listeners().some((s) => s.listener.tls === mtls);
    if (ok && mtls) this.stats.tlsHandshakes++;
    return ok;
  }

  /** A request reached gateway pod `pod`: route it by the Gateway's VirtualServices and forward it. */
  handle(pod: PodRt, call: AppCall, respond: (status: number) => void, mtls: boolean): void {
    const proxy = this.proxyOf.get(pod);
    if (!proxy) return respond(0);
    this.stats.requests++;
    this.deps.onRequest?.(pod, call);
    const req = call.req;
    const local = (status: number) => {
      this.stats.localReplies++;
      proxy.requestLeg(req.requestSize, () => proxy.responseLeg(0, () => respond(status)));
    };
    // The Host the app sent is the external host it called (the sidecar does not rewrite it).
    const host = call.service.model.fqdn;
    const served = this.listeners().find((s) => s.listener.tls === mtls && s.listener.hosts.some((h) => hostAdmits(h, host)));
    // No virtual host for the authority: Envoy's 404 (NR).
    if (!served) return local(404);
    const result = served.gateway.route(served.listener, host, req);
    if (result.kind === 'no-route') return local(404);
    if (result.kind === 'direct') return local(result.status);
    const dest = pickDestination(result.route, this.deps.stream(`route/${pod.name}`));
    const svc = dest?.service !== undefined ? this.deps.services.get(dest.service) : undefined;
    // A host outside the registry has no cluster on a gateway (no passthrough there): 503 NC.
    if (!dest || !svc || (svc.model.external && !this.deps.policy().isRegistered(svc.model))) return local(503);
    const pinned: CompiledRoute = { ...result.route, destinations: [dest], totalWeight: dest.weight };
    // An upstream reset becomes the gateway's own 503 (UC, UF…) towards the sidecar.
    this.deps.forward(pod, svc, req, pinned, call, (r) => respond(r.status === 0 ? 503 : r.status));
  }
}
