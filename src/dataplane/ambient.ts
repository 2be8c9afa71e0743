/**
 * Mode `ambient`: A → ztunnel(node A) → network, HBONE mTLS → [waypoint of B → network →]
 * ztunnel(node B) → B. One ztunnel traversal when both pods share a node.
 *
 * Without a waypoint ztunnel works at L4: it pins each app connection to a random endpoint of the
 * service and carries it as an HTTP/2 CONNECT stream inside a pooled HBONE connection between the
 * two ztunnels (up to `hboneMaxStreams` streams each). With a waypoint, app connections go to the
 * waypoint, an Envoy that balances each request (EnvoyRouter) and reaches pods over HBONE.
 * Sources: https://istio.io/latest/docs/ambient/architecture/data-plane/, istio/ztunnel ARCHITECTURE.md.
 */
import type { AppCall } from '../world/call.js';
import type { Caller, NodeRt, PodRt, ServiceRt } from '../world/entities.js';
import { ConnectionPool, type Connection } from './connections.js';
import { DirectPlane } from './direct.js';
import { EnvoyRouter, type Transport } from './envoy-router.js';
import type { MeshPolicy } from '../policy/mesh-policy.js';
import { afterAuthn, httpAttributes, l4Attributes, peerOf, RBAC_DENIED_STATUS, workloadOf, type Peer } from './admission.js';
import { principalOf } from '../policy/security.js';
import {
  DEFAULT_CONNECT_TIMEOUT_US,
  DEFAULT_IDLE_TIMEOUT_US,
  UNLIMITED_STREAMS,
  type CallDone,
  type CallResult,
  type PlaneDeps,
} from './plane.js';
import { NO_PROXIES, Proxy } from './proxy.js';
import { runExtAuthz } from './ext-authz.js';

/** ztunnel releases an unused pooled HBONE connection after 5 minutes (POOL_UNUSED_RELEASE_TIMEOUT, src/config.rs). */
const HBONE_IDLE_RELEASE_US = 300e6;

/** SPIFFE-style identity `ns/sa` of a caller; ztunnel keys its HBONE pools by it. */
const identityOf = (c: Caller) => `${c.namespace}/${c.serviceAccount}`;

export class AmbientPlane extends DirectPlane {
  readonly ztunnels = new Map<NodeRt, Proxy>();
  readonly waypoints = new Map<ServiceRt, Proxy>();
  private readonly waypointService = new Map<Proxy, ServiceRt>();
  /** HBONE connections from each ztunnel or waypoint to each destination ztunnel or waypoint. */
  private readonly hbone = new Map<Proxy, ConnectionPool<string, Proxy>>();
  private readonly envoy: EnvoyRouter;
  /** App connections through a waypoint, per (caller, service). */
  private readonly viaWaypoint = new Map<Caller, Map<ServiceRt, ConnectionPool<'any', Proxy>>>();

  constructor(deps: PlaneDeps) {
    super(deps);
    const transport: Transport = {
      mtls: (_proxy, host, tlsMode) => tlsMode !== 'DISABLE' && host.inMesh,
      // The waypoint reaches pods over HBONE with its own identity, which the destination ztunnel's L4 policy sees.
      connect: (proxy, host, conn, then, timeoutUs) =>
        host.unreachable
          ? this.sim.schedule(timeoutUs, () => then(false), undefined)
          : this.tunnel(
              proxy,
              proxy.name,
              this.ztunnelOf(host.node),
              () => !host.crashed && this.admits(this.waypointPeer(proxy), host, true),
              conn,
              then,
            ),
      inbound: () => undefined,
      serverSide: (_proxy, host) => (host.inMesh ? this.ztunnelOf(host.node).alone : NO_PROXIES),
      serverConnections: (host) => (host.inMesh ? this.ztunnelOf(host.node).connections : undefined),
      oneWay: (proxy, host) => this.oneWay(proxy.node, host.node),
    };
    this.envoy = this.newEnvoyRouter(transport);
  }

  addZtunnel(node: NodeRt): Proxy {
    const z = new Proxy('ztunnel', `ztunnel-${node.model.name}`, node, this.deps.profile.ztunnel, this.sim);
    this.ztunnels.set(node, z);
    node.ztunnel = z;
    return z;
  }

  addWaypoint(svc: ServiceRt, node: NodeRt): Proxy {
    const w = new Proxy('waypoint', `${svc.model.name}-waypoint`, node, this.deps.profile.waypoint, this.sim);
    this.waypoints.set(svc, w);
    this.waypointService.set(w, svc);
    svc.waypoint = w;
    return w;
  }

  ztunnelOf(node: NodeRt): Proxy {
    return this.ztunnels.get(node) as Proxy;
  }

  override call(call: AppCall, done: CallDone): void {
    // A waypoint's own call (its ext_authz check) leaves from its Envoy: its cluster for the
    // provider's service, HBONE to the destination ztunnel (waypoints do not chain to waypoints).
    const from = this.waypointOfCaller.get(call.caller);
    if (from) {
      from.requestLeg(call.req.requestSize, () => this.envoy.route(from, call, call.caller.namespace, done));
      return;
    }
    const wp = this.waypoints.get(call.service);
    // Out-of-mesh callers reach pods directly: only the source ztunnel redirects to a waypoint.
    if (wp && call.caller.inMesh) this.callViaWaypoint(call, wp, done);
    else super.call(call, done);
  }

  protected override encrypted(caller: Caller, pod: PodRt): boolean {
    return caller.inMesh && pod.inMesh;
  }

  protected override outbound(caller: Caller): readonly Proxy[] {
    return caller.inMesh ? this.ztunnelOf(caller.node).alone : NO_PROXIES;
  }

  protected override inbound(caller: Caller, pod: PodRt): readonly Proxy[] {
    if (!pod.inMesh || (caller.inMesh && caller.node === pod.node)) return NO_PROXIES;
    return this.ztunnelOf(pod.node).alone;
  }

  /** A new app connection: plain TCP, or a CONNECT stream in an HBONE tunnel between the ztunnels. */
  protected override connect(caller: Caller, pod: PodRt, conn: Connection<unknown>, then: (ok: boolean) => void): void {
    if (!conn.mtls || caller.node === pod.node) {
      super.connect(caller, pod, conn, (ok) => then(ok && this.admits(peerOf(caller, conn.mtls), pod, conn.mtls)));
      return;
    }
    if (pod.unreachable) {
      // The destination ztunnel's connect to the pod times out; the CONNECT fails.
      this.sim.schedule(DEFAULT_CONNECT_TIMEOUT_US, () => then(false), undefined);
      return;
    }
    this.tunnel(
      this.ztunnelOf(caller.node),
      identityOf(caller),
      this.ztunnelOf(pod.node),
      () => !pod.crashed && this.admits(peerOf(caller, true), pod, true),
      conn,
      then,
    );
  }

  /**
   * Carries `conn` from `from` to the destination proxy `to` in an HBONE tunnel: reuse a pooled
   * HTTP/2 connection with a free stream or open one (TCP + TLS 1.3 with handshake CPU on both
   * ends), then the CONNECT round trip, after which `to` has connected onwards (`reachable()`).
   * ztunnel pools per (source identity, destination) (istio/ztunnel src/proxy/pool.rs).
   */
  private tunnel(
    from: Proxy,
    identity: string,
    to: Proxy,
    reachable: () => boolean,
    conn: Connection<unknown>,
    then: (ok: boolean) => void,
  ): void {
    const pool = this.hbonePool(from);
    const key = `${identity}→${to.name}`;
    const ow = this.oneWay(from.node, to.node);
    const connectStream = () => this.sim.schedule(2 * ow, () => then(reachable()), undefined);
    let outer = pool.take(key);
    conn.tunnel = { release: () => outer && pool.release(key, outer) };
    if (outer) {
      connectStream();
      return;
    }
    if (this.certsExpired) {
      // ztunnel's certificate expired while istiod was down: the HBONE handshake fails.
      this.sim.schedule(2 * ow, () => then(false), undefined);
      return;
    }
    outer = pool.open(key, to, true);
    this.handshakes.total++;
    this.handshakes.mtls++;
    const tls = this.deps.profile.tls;
    this.sim.schedule(
      2 * ow + ow * tls.roundTrips,
      () =>
        to.handshake(tls.serverHandshakeCpuUs, () => {
          this.sim.schedule(ow * tls.roundTrips, () => from.handshake(tls.clientHandshakeCpuUs, connectStream), undefined);
        }),
      undefined,
    );
  }

  private hbonePool(from: Proxy): ConnectionPool<string, Proxy> {
    let pool = this.hbone.get(from);
    if (!pool) {
      pool = new ConnectionPool<string, Proxy>(
        {
          maxStreams: this.deps.profile.ztunnel.hboneMaxStreams,
          maxRequestsPerConnection: 0,
          idleTimeoutUs: HBONE_IDLE_RELEASE_US,
          clientSide: from.connections,
          serverSide: (to) => (to as Proxy).connections,
        },
        this.sim,
      );
      this.hbone.set(from, pool);
    }
    return pool;
  }

  /** App connections are counted by both ztunnels they pass, and their HBONE stream freed on close. */
  protected override appPoolOptions(caller: Caller) {
    return {
      clientSide: caller.inMesh ? this.ztunnelOf(caller.node).connections : undefined,
      serverSide: (host: unknown) => {
        const pod = host as PodRt;
        return pod.inMesh && pod.node !== caller.node ? this.ztunnelOf(pod.node).connections : undefined;
      },
      onClose: (c: Connection<unknown>) => c.tunnel?.release(),
    };
  }

  private callViaWaypoint(call: AppCall, wp: Proxy, done: CallDone): void {
    const { caller, service: svc, req } = call;
    const zt = this.ztunnelOf(caller.node);
    let bySvc = this.viaWaypoint.get(caller);
    if (!bySvc) this.viaWaypoint.set(caller, (bySvc = new Map()));
    let pool = bySvc.get(svc);
    if (!pool) {
      pool = new ConnectionPool<'any', Proxy>(
        {
          maxStreams: svc.model.protocol === 'http' ? 1 : UNLIMITED_STREAMS,
          maxRequestsPerConnection: 0,
          idleTimeoutUs: DEFAULT_IDLE_TIMEOUT_US,
          clientSide: zt.connections,
          serverSide: () => wp.connections,
          onClose: (c) => c.tunnel?.release(),
        },
        this.sim,
      );
      bySvc.set(svc, pool);
    }
    const appPool = pool;
    const ow = this.oneWay(caller.node, wp.node);
    const back = (conn: Connection<Proxy>, r: CallResult) =>
      this.sim.schedule(
        ow,
        () =>
          zt.responseLeg(req.responseSize, () => {
            appPool.release('any', conn);
            done({ ...r, mtls: true }, call);
          }),
        undefined,
      );
    const send = (conn: Connection<Proxy>) => {
      zt.requestLeg(req.requestSize, () =>
        this.sim.schedule(
          ow,
          () => {
            wp.requestLeg(req.requestSize, () => this.waypointChain(wp, svc, call, (r) => back(conn, r)));
          },
          undefined,
        ),
      );
    };
    const conn = appPool.take('any');
    if (conn) {
      send(conn);
      return;
    }
    const fresh = appPool.open('any', wp, true);
    this.tunnel(
      zt,
      identityOf(caller),
      wp,
      () => true,
      fresh,
      () => send(fresh),
    );
  }

  /**
   * The waypoint's HTTP filters, then its router: ext_authz (CUSTOM policies bound to it), jwt_authn
   * (401 for an invalid token), RBAC (L7 AuthorizationPolicy bound to it or to the service by
   * targetRefs), in that order (istio/istio pilot/pkg/networking/core/listener_waypoint.go
   * buildWaypointHTTPFilters). An ext_authz denial is logged by the waypoint with Envoy's UAEX flag
   * (envoy source/common/stream_info/utility.cc); in ambient the waypoint's log is the call's.
   */
  private waypointChain(wp: Proxy, svc: ServiceRt, call: AppCall, answer: CallDone): void {
    const gateway = { name: wp.name, namespace: svc.model.namespace };
    const local = (status: number, flags: string) => wp.responseLeg(0, () => answer({ status, flags, mtls: true }, call));
    const afterExtAuthz = () => {
      const authn = this.policy.security.authnAtWaypoint(gateway, svc.model, call.req.jwt);
      if (authn.kind === 'invalid') return local(authn.status, '');
      const d = this.policy.security.hasAuthz
        ? this.policy.security.atWaypoint(gateway, svc.model, httpAttributes(call, peerOf(call.caller, true), svc.pods[0]!, authn))
        : undefined;
      if (d && !d.allowed) local(RBAC_DENIED_STATUS, '');
      else this.envoy.route(wp, afterAuthn(call, authn), svc.model.namespace, answer);
    };
    const checking = this.extAuthzAtWaypoint(wp, gateway, svc, call, (denied) =>
      denied === undefined ? afterExtAuthz() : local(denied, 'UAEX'),
    );
    if (!checking) afterExtAuthz();
  }

  /**
   * The waypoint's ext_authz filter, when a CUSTOM policy bound to the waypoint (Gateway) or to
   * the service (targetRefs) matches with a declared provider: the waypoint calls the provider's
   * service (its latency, failures, timeout, failOpen and statusOnError as at sidecars: ext-authz.ts).
   * https://istio.io/latest/docs/ambient/usage/l7-features/; false when no check applies.
   */
  private extAuthzAtWaypoint(
    wp: Proxy,
    gateway: { name: string; namespace: string },
    svc: ServiceRt,
    call: AppCall,
    then: (status: number | undefined) => void,
  ): boolean {
    if (!this.policy.security.hasAuthz) return false;
    const attrs = httpAttributes(call, peerOf(call.caller, true), svc.pods[0]!, { kind: 'none' });
    const name = this.policy.security.customAtWaypoint(gateway, svc.model, attrs);
    const provider = name === undefined ? undefined : this.deps.scenario.mesh.extensionProviders.find((p) => p.name === name);
    if (provider?.service === undefined) return false;
    runExtAuthz(this.deps.pods, this.waypointCaller(wp, svc), { ...provider, service: provider.service }, call, then);
    return true;
  }

  /** Each waypoint as the caller of its own calls (edge `<service>-waypoint → provider`), with the waypoint's identity. */
  private readonly waypointCallers = new Map<Proxy, Caller>();
  private readonly waypointOfCaller = new Map<Caller, Proxy>();

  private waypointCaller(wp: Proxy, svc: ServiceRt): Caller {
    let c = this.waypointCallers.get(wp);
    if (!c) {
      c = {
        edgeName: wp.name,
        name: wp.name,
        node: wp.node,
        inMesh: true,
        namespace: svc.model.namespace,
        serviceAccount: wp.name,
        ip: this.waypointPeer(wp).ip,
        sidecar: wp,
      };
      this.waypointCallers.set(wp, c);
      this.waypointOfCaller.set(c, wp);
    }
    return c;
  }

  override setPolicy(policy: MeshPolicy): void {
    super.setPolicy(policy);
    this.envoy.setPolicy(policy, (host) => this.requiresMtls(host));
  }

  protected override requiresMtls(target: unknown): boolean {
    const host = target as PodRt;
    return host.inMesh && this.policy.security.mtlsMode(workloadOf(host), host.service.model.port) === 'STRICT';
  }

  /**
   * The destination ztunnel's checks on a new connection: PeerAuthentication (a STRICT workload
   * refuses plaintext; ztunnel treats DISABLE as PERMISSIVE) and L4 AuthorizationPolicy. A
   * refusal resets the connection.
   */
  private admits(peer: Peer, pod: PodRt, mtls: boolean): boolean {
    if (!pod.inMesh) return true;
    const w = workloadOf(pod);
    if (!mtls && this.policy.security.mtlsMode(w, pod.service.model.port) === 'STRICT') return false;
    return this.policy.security.atZtunnel(w, l4Attributes(peer, pod)).allowed;
  }

  /**
   * The identity a waypoint's traffic carries at the destination ztunnel (istio/istio
   * pilot/pkg/serviceregistry/ambient/policies.go).
   * Istio names it after the waypoint's Gateway service account; here each service's waypoint is
   * `<service>-waypoint` in the service's namespace, with an address of its own.
   */
  private waypointPeer(wp: Proxy): Peer {
    const svc = this.waypointService.get(wp) as ServiceRt;
    return { principal: principalOf(svc.model.namespace, wp.name), ip: `10.0.0.${1 + this.deps.scenario.services.indexOf(svc.model)}` };
  }

  get envoyRouter(): EnvoyRouter {
    return this.envoy;
  }

  override podCrashed(pod: PodRt): void {
    super.podCrashed(pod);
    this.envoy.closeHost(pod);
  }
}
