/**
 * Mode `sidecar`: A → A's sidecar (outbound) → network, mTLS → B's sidecar (inbound) → B.
 * The client sidecar is an EnvoyRouter; a new upstream connection costs a TCP round trip and,
 * with mTLS, the TLS 1.3 flight with handshake CPU on both sidecars. Plaintext callers
 * (inMesh: false) keep the connection-pinned path and meet only B's sidecar.
 */
import type { AppCall } from '../world/call.js';
import type { Caller, PodRt, ServiceRt } from '../world/entities.js';
import type { Connection } from './connections.js';
import { DirectPlane, type AppAnswer } from './direct.js';
import { EnvoyRouter, type Transport } from './envoy-router.js';
import type { CallDone, GatewayListenerCheck, PlaneDeps } from './plane.js';
import type { InboundClusterPlan, MeshPolicy } from '../policy/mesh-policy.js';
import type { ScopedWorkload } from '../policy/sidecar-scope.js';
import type { ConnectionPoolSettings } from '../config/istio/networking-schemas.js';
import { httpAttributes, peerOf, RBAC_DENIED_STATUS, workloadOf } from './admission.js';
import { NO_PROXIES, Proxy } from './proxy.js';
import { runExtAuthz } from './ext-authz.js';
import { outboundDecision } from '../policy/egress.js';
import type { OutboundTrafficMode } from '../config/model.js';
import { headersAfterAuthn, NOT_AUTHENTICATED, type AuthnResult } from '../policy/request-authentication.js';
import { limitsFor, RATE_LIMITED_STATUS, TokenBucket, type LocalRateLimit } from '../policy/local-ratelimit.js';

/**
 * The sidecar of a caller (pod, workload client, adopted gateway), if it has one. Only this plane
 * gives callers a proxy (addSidecar, adoptGateway), so the caller's own field is the lookup: a
 * Map by caller cost a hash lookup each time, several times per request.
 */
const sidecarOf = (c: Caller): Proxy | undefined => c.sidecar as Proxy | undefined;
const hasSidecar = (c: Caller): boolean => c.sidecar !== undefined;

/** A request in its caller's sidecar's request leg: what the router needs next (a record, not a closure per request). */
interface OutboundRequest {
  cs: Proxy;
  call: AppCall;
  done: CallDone;
  outbound: OutboundTrafficMode | undefined;
}

export class SidecarPlane extends DirectPlane {
  private readonly envoy: EnvoyRouter;

  /**
   * `proxyKind` names the sidecars (App Mesh runs the same Envoy engine); without `autoMtls`
   * traffic is encrypted only where the DestinationRule asks for (ISTIO_)MUTUAL TLS.
   */
  constructor(
    deps: PlaneDeps,
    private readonly opts: { proxyKind?: string; autoMtls?: boolean } = {},
  ) {
    super(deps);
    const auto = opts.autoMtls ?? true;
    const transport: Transport = {
      // Auto mTLS: encrypt when the peer has a sidecar, unless the DestinationRule says DISABLE or
      // the server's PeerAuthentication is known to be DISABLE (istio/istio pilot/pkg/networking/core/cluster_tls.go).
      // A gateway's pods lack the `security.istio.io/tlsMode: istio` label auto mTLS looks for
      // (istio/istio#23910, #25536): only a DestinationRule's ISTIO_MUTUAL sends them mTLS.
      mtls: (_proxy, host, tlsMode) =>
        auto && !this.gatewayListeners.has(host)
          ? tlsMode !== 'DISABLE' && hasSidecar(host) && this.mtlsMode(host) !== 'DISABLE'
          : (tlsMode === 'ISTIO_MUTUAL' || tlsMode === 'MUTUAL') && hasSidecar(host),
      connect: (proxy, host, conn, then, timeoutUs) => this.connectUpstream(proxy, host, conn, then, timeoutUs),
      serverSide: (_proxy, host) => this.inbound(host, host),
      serverConnections: (host) => sidecarOf(host)?.connections,
      inbound: (_proxy, host, call, mtls) => this.inboundStatus(call, host, mtls),
      extAuthz: (host, call, mtls, then, arg) => this.extAuthz(host, call, mtls, then, arg),
      authn: (host, call) => this.authnStatus(host, call),
      rateLimit: (host) => this.rateLimited(host, 'SIDECAR_INBOUND'),
      inboundCluster: (host) => this.inboundClusterOf(host),
      oneWay: (proxy, host) => this.oneWay(proxy.node, host.node),
      reconnectUs: (proxy) => this.reconnectUs(proxy),
    };
    this.envoy = this.newEnvoyRouter(transport);
  }

  /** Gives an in-mesh caller (pod or workload client) its sidecar. */
  addSidecar(caller: Caller): Proxy {
    const kind = this.opts.proxyKind ?? 'sidecar';
    const p = new Proxy(kind, `${caller.name}.${kind}`, caller.node, this.deps.profile.sidecar, this.sim);
    if ('version' in caller) p.labels = (caller as PodRt).version.labels;
    caller.sidecar = p;
    return p;
  }

  /** Gateways that mesh proxies connect to (the egress gateway's pods), with what their listener accepts. */
  private readonly gatewayListeners = new Map<Caller, GatewayListenerCheck>();

  /** A gateway's Envoy is a client Envoy of the mesh, like a sidecar without an app. */
  adoptGateway(caller: Caller, proxy: Proxy, listener?: GatewayListenerCheck): boolean {
    if (!caller.inMesh) return false;
    caller.sidecar = proxy;
    this.gateways.add(caller);
    if (listener) this.gatewayListeners.set(caller, listener);
    return true;
  }

  override call(call: AppCall, done: CallDone): void {
    const cs = call.caller.inMesh ? sidecarOf(call.caller) : undefined;
    if (!cs) {
      super.call(call, done);
      return;
    }
    // A gateway's route pins its destination; Sidecar resources scope sidecars, not gateways (sidecar.proto).
    if (!call.route && !this.holdsConfigFor(call.caller, call.service)) {
      this.outOfScope(cs, call, done);
      return;
    }
    // A Sidecar's own outboundTrafficPolicy overrides the mesh's for the workloads it configures.
    const outbound = this.policy.sidecarScopes.any ? this.policy.outboundTrafficMode(scopedWorkload(call.caller)) : undefined;
    cs.requestLeg(call.req.requestSize, this.outboundLegDone, { cs, call, done, outbound });
  }

  /**
   * A service outside the sidecar's Sidecar egress hosts has no cluster, route or listener in it:
   * with outboundTrafficPolicy ALLOW_ANY (Istio's default) the request leaves through the
   * PassthroughCluster, to the original destination, plaintext, with no routing or retries
   * (istio/istio pilot/pkg/networking/core/listener.go; https://istio.io/latest/docs/reference/config/networking/sidecar/).
   * Under REGISTRY_ONLY the same catch-all is the BlackHole instead (policy/egress.ts).
   */
  private outOfScope(cs: Proxy, call: AppCall, done: CallDone): void {
    if (outboundDecision(false, this.policy.outboundTrafficMode(scopedWorkload(call.caller))) === 'blackhole') {
      cs.requestLeg(call.req.requestSize, () => this.envoy.blackhole(cs, call, done));
      return;
    }
    this.passthrough++;
    cs.requestLeg(call.req.requestSize, () => this.directCall(call, (r) => cs.responseLeg(call.req.responseSize, () => done(r, call))));
  }

  /** The request has passed the caller's sidecar's request leg: to its router. */
  private readonly outboundLegDone = ({ cs, call, done, outbound }: OutboundRequest): void => {
    // A local rate limit on the caller's own sidecar (context SIDECAR_OUTBOUND) answers 429 RL itself.
    const limited = this.rateLimited(call.caller, 'SIDECAR_OUTBOUND');
    if (limited !== undefined) cs.responseLeg(0, () => done({ status: limited, flags: 'RL', mtls: false, local: true }, call));
    else this.envoy.route(cs, call, call.caller.namespace, done, outbound);
  };

  /** Token buckets per sidecar and filter (local-ratelimit.ts), rebuilt when the config changes. */
  private buckets = new Map<Caller, Map<LocalRateLimit, TokenBucket>>();

  /** 429 when a local rate limit filter of this sidecar refuses the request, else undefined. */
  private rateLimited(owner: Caller, direction: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND'): number | undefined {
    // Most meshes set no local rate limit: this test alone stays small enough for V8 to inline per request.
    return this.policy.rateLimits.length === 0 ? undefined : this.checkRateLimits(owner, direction);
  }

  private checkRateLimits(owner: Caller, direction: 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND'): number | undefined {
    const sidecar = sidecarOf(owner);
    if (!sidecar) return undefined;
    const labels = (owner as Partial<PodRt>).version?.labels ?? {};
    for (const l of limitsFor(this.policy.rateLimits, { namespace: owner.namespace, labels }, direction)) {
      let byLimit = this.buckets.get(owner);
      if (!byLimit) this.buckets.set(owner, (byLimit = new Map()));
      let bucket = byLimit.get(l);
      if (!bucket) byLimit.set(l, (bucket = new TokenBucket(l, this.sim.now)));
      const draw = l.enabledPercent < 100 || l.enforcedPercent < 100 ? this.stream(`ratelimit/${sidecar.name}`) : undefined;
      if (draw && draw() * 100 >= l.enabledPercent) continue; // filter_enabled: not checked
      if (bucket.take(this.sim.now)) continue;
      if (draw && draw() * 100 >= l.enforcedPercent) continue; // filter_enforced: counted, not refused
      return RATE_LIMITED_STATUS;
    }
    return undefined;
  }

  /** Inbound cluster plans per pod under the current policy (undefined entry: straight to the app). */
  private inboundPlans = new Map<PodRt, { proxy: Proxy; plan: InboundClusterPlan } | null>();
  /** Gateway pods whose Envoy this plane adopted: no Sidecar resource configures them. */
  private readonly gateways = new Set<Caller>();
  /** Whether any Sidecar could give an inbound cluster a pool (else skip the lookup). */
  private inboundPools = mayPoolInbound(this.policy);

  /**
   * The pod's server sidecar and inbound cluster, when that cluster changes anything: a connection
   * pool with a limit, or a listener forwarding to another port than the app's. Istio's default
   * inbound cluster is unlimited, so without one the request goes straight to the app.
   */
  private inboundClusterOf(pod: PodRt): { proxy: Proxy; plan: InboundClusterPlan } | undefined {
    return this.inboundPools ? this.inboundPlanOf(pod) : undefined;
  }

  private inboundPlanOf(pod: PodRt): { proxy: Proxy; plan: InboundClusterPlan } | undefined {
    let v = this.inboundPlans.get(pod);
    if (v === undefined) {
      // Sidecar resources configure sidecars, not gateways (sidecar.proto).
      const proxy = this.gateways.has(pod) ? undefined : sidecarOf(pod);
      const plan = proxy ? this.policy.inboundCluster(scopedWorkload(pod), pod.service.model) : undefined;
      v = proxy && plan && (limitsSomething(plan.connectionPool) || plan.endpointPort !== pod.service.model.port) ? { proxy, plan } : null;
      this.inboundPlans.set(pod, v);
    }
    return v ?? undefined;
  }

  /** Plaintext callers reach the app through the same inbound cluster. */
  override deliverToApp<T>(pod: PodRt, call: AppCall, conn: Connection<unknown>, answer: AppAnswer<T>, arg: T): void {
    const inb = this.inboundClusterOf(pod);
    if (!inb) return super.deliverToApp(pod, call, conn, answer, arg);
    this.envoy.deliverInbound(inb.proxy, pod, inb.plan, call, conn, conn.mtls, (r) => answer(r.status, arg, r.flags || undefined));
  }

  /** Calls that left a sidecar through the PassthroughCluster (their service was outside its Sidecar scope). */
  passthrough = 0;

  private directCall(call: AppCall, done: CallDone): void {
    super.call(call, done);
  }

  private readonly scopeCache = new Map<Caller, Map<ServiceRt, boolean>>();

  /** Whether the caller's sidecar has config for the service (Sidecar egress hosts). */
  private holdsConfigFor(caller: Caller, svc: ServiceRt): boolean {
    const scopes = this.policy.sidecarScopes;
    if (!scopes.any) return true;
    let byService = this.scopeCache.get(caller);
    if (!byService) this.scopeCache.set(caller, (byService = new Map()));
    let v = byService.get(svc);
    if (v === undefined) {
      byService.set(svc, (v = scopes.visible(scopedWorkload(caller), svc.model)));
    }
    return v;
  }

  // Plaintext callers: B's sidecar still sits in front of B (PERMISSIVE accepts plaintext).
  protected override inbound(_caller: Caller, pod: PodRt): readonly Proxy[] {
    // A gateway's Envoy handles the request once, as the client of its next hop (dataplane/egress.ts).
    // Most meshes adopt no gateway: skip the lookup (a hash per request) when none is there.
    if (this.gatewayListeners.size > 0 && this.gatewayListeners.has(pod)) return NO_PROXIES;
    return sidecarOf(pod)?.alone ?? NO_PROXIES;
  }

  /**
   * A fortio client dialling its sidecar again after closing its connection: it first re-resolves
   * the target's name (fortio >= 1.35 re-resolves on every new connection unless -no-reresolve:
   * fhttp/http_client.go FastClient.connect), one round trip to the cluster DNS, a CoreDNS pod on
   * another node of the zone; then the TCP handshake, one round trip over the loopback and
   * iptables redirect to Envoy, the non-CPU part of a traversal (the profile's fixedLatencyUs).
   */
  private reconnectUs(proxy: Proxy): number {
    return 2 * this.deps.scenario.network.sameZoneUs + proxy.costs.fixedLatencyUs;
  }

  /** TCP round trip, then (mTLS) ClientHello → server handshake work → reply → client handshake work. */
  private connectUpstream(cs: Proxy, host: PodRt, conn: Connection<PodRt>, then: (ok: boolean) => void, timeoutUs: number): void {
    if (host.unreachable) {
      this.sim.schedule(timeoutUs, () => then(false), undefined);
      return;
    }
    const ow = this.oneWay(cs.node, host.node);
    const tls = this.deps.profile.tls;
    const ss = sidecarOf(host);
    this.sim.schedule(
      2 * ow,
      () => {
        if (host.crashed) return then(false);
        // A gateway's listener comes from its Gateway servers (PeerAuthentication does not apply):
        // no server on the port, or TLS on one side only, and the connection fails.
        const gateway = this.gatewayListeners.get(host);
        if (gateway && !gateway(conn.mtls)) return then(false);
        // A STRICT server sidecar has no plaintext filter chain: it drops the connection (UF).
        if (!gateway && !conn.mtls && ss && this.mtlsMode(host) === 'STRICT') return then(false);
        if (!conn.mtls || !ss) return conn.originatesTls ? this.originateTls(cs, ow, () => then(true)) : then(true);
        // An expired workload certificate fails the TLS handshake (istiod could not renew it).
        if (this.certsExpired) return then(false);
        this.sim.schedule(
          ow * tls.roundTrips,
          () =>
            ss.handshake(tls.serverHandshakeCpuUs, () => {
              this.sim.schedule(ow * tls.roundTrips, () => cs.handshake(tls.clientHandshakeCpuUs, () => then(true)), undefined);
            }),
          undefined,
        );
      },
      undefined,
    );
  }

  /**
   * TLS origination (a DestinationRule `tls.mode` SIMPLE or MUTUAL to a host without a sidecar,
   * e.g. an external host): the TLS 1.3 flight to the remote server, then the client's handshake
   * work on this proxy. The remote's own handshake work is not on the cluster's nodes.
   */
  private originateTls(cs: Proxy, ow: number, then: () => void): void {
    const tls = this.deps.profile.tls;
    this.sim.schedule(2 * ow * tls.roundTrips, () => cs.handshake(tls.clientHandshakeCpuUs, then), undefined);
  }

  override setPolicy(policy: MeshPolicy): void {
    if (policy.rateLimits !== this.policy.rateLimits) this.buckets = new Map();
    super.setPolicy(policy);
    this.scopeCache.clear();
    this.inboundPlans.clear();
    this.inboundPools = mayPoolInbound(policy);
    this.envoy.setPolicy(policy, (host) => this.requiresMtls(host));
  }

  protected override requiresMtls(target: unknown): boolean {
    const host = target as PodRt;
    return hasSidecar(host) && this.mtlsMode(host) === 'STRICT';
  }

  private mtlsMode(pod: PodRt) {
    return this.policy.security.mtlsMode(workloadOf(pod), pod.service.model.port);
  }

  /** A plaintext caller's connection to a STRICT workload is reset by its sidecar (status 0). */
  protected override connect(caller: Caller, pod: PodRt, conn: Connection<unknown>, then: (ok: boolean) => void): void {
    super.connect(caller, pod, conn, (ok) => then(ok && !(hasSidecar(pod) && !conn.mtls && this.mtlsMode(pod) === 'STRICT')));
  }

  /**
   * The server sidecar's jwt_authn filter (401 for an invalid token), then its RBAC filter (403
   * when an AuthorizationPolicy denies the request, judging the validated token's principal).
   */
  protected override inboundStatus(call: AppCall, pod: PodRt, mtls: boolean): number | undefined {
    if (!hasSidecar(pod)) return undefined;
    const authn = this.authn(pod, call);
    if (authn.kind === 'invalid') return authn.status;
    return this.policy.security.hasAuthz ? this.rbacStatus(call, pod, mtls, authn) : undefined;
  }

  /** The RBAC filter's verdict (apart from inboundStatus: most meshes have no AuthorizationPolicy). */
  private rbacStatus(call: AppCall, pod: PodRt, mtls: boolean, authn: AuthnResult): number | undefined {
    const d = this.policy.security.atSidecar(workloadOf(pod), httpAttributes(call, peerOf(call.caller, mtls), pod, authn));
    return d.allowed ? undefined : RBAC_DENIED_STATUS;
  }

  /** jwt_authn's verdict; a verified token leaves the request (unless forwarded) and its claims may become headers. */
  private authn(pod: PodRt, call: AppCall): AuthnResult {
    // Most meshes verify no tokens: no workload identity to build per request.
    return this.policy.security.hasRequestAuthn && call.req.jwt !== undefined ? this.verifyToken(pod, call) : NOT_AUTHENTICATED;
  }

  private verifyToken(pod: PodRt, call: AppCall): AuthnResult {
    const r = this.policy.security.authnAtSidecar(workloadOf(pod), call.req.jwt);
    if (r.kind !== 'invalid' && (r.kind === 'valid' || r.sanitized?.length))
      this.deps.pods.amend(call, { stripJwt: r.kind === 'valid' && r.strip, headers: headersAfterAuthn(call.req.headers, r) });
    return r;
  }

  /** The jwt_authn filter runs first in the server sidecar's chain (before ext_authz and RBAC). */
  private authnStatus(pod: PodRt, call: AppCall): number | undefined {
    if (!hasSidecar(pod)) return undefined;
    const r = this.authn(pod, call);
    return r.kind === 'invalid' ? r.status : undefined;
  }

  /** The server sidecar's ext_authz filter, when a CUSTOM policy with a valid provider matches. */
  private extAuthz<A>(pod: PodRt, call: AppCall, mtls: boolean, then: (status: number | undefined, arg: A) => void, arg: A): boolean {
    // Most meshes have no AuthorizationPolicy: this test alone stays small enough for V8 to inline per request.
    return this.policy.security.hasAuthz && hasSidecar(pod) && this.customAuthz(pod, call, mtls, then, arg);
  }

  private customAuthz<A>(pod: PodRt, call: AppCall, mtls: boolean, then: (status: number | undefined, arg: A) => void, arg: A): boolean {
    const authn = this.policy.security.authnAtSidecar(workloadOf(pod), call.req.jwt);
    const name = this.policy.security.customAtSidecar(workloadOf(pod), httpAttributes(call, peerOf(call.caller, mtls), pod, authn));
    const provider = name === undefined ? undefined : this.deps.scenario.mesh.extensionProviders.find((p) => p.name === name);
    if (provider?.service === undefined) return false;
    runExtAuthz(this.deps.pods, pod, { ...provider, service: provider.service }, call, (status) => then(status, arg));
    return true;
  }

  get envoyRouter(): EnvoyRouter {
    return this.envoy;
  }

  override podCrashed(pod: PodRt): void {
    super.podCrashed(pod);
    this.envoy.closeHost(pod);
  }
}

/** The workload a sidecar serves, as a Sidecar's workloadSelector sees it (a workload client has no labels). */
export function scopedWorkload(c: Caller): ScopedWorkload {
  return { namespace: c.namespace, labels: 'version' in c ? (c as PodRt).version.labels : {} };
}

/** Whether a Sidecar (ingress listeners, inboundConnectionPool) or a DestinationRule's connectionPool could shape an inbound cluster. */
function mayPoolInbound(policy: MeshPolicy): boolean {
  return (
    policy.config.sidecars.some((s) => s.spec.ingress?.length || s.spec.inboundConnectionPool) ||
    policy.config.destinationRules.some(
      (d) => d.spec.trafficPolicy?.connectionPool || d.spec.trafficPolicy?.portLevelSettings?.some((p) => p.connectionPool),
    )
  );
}

/** Whether a connection pool sets any limit that changes an inbound cluster (a threshold, or requests per connection). */
function limitsSomething(p: ConnectionPoolSettings | undefined): boolean {
  const pos = (v: number | undefined) => v !== undefined && v > 0;
  return (
    pos(p?.tcp?.maxConnections) ||
    pos(p?.http?.http1MaxPendingRequests) ||
    pos(p?.http?.http2MaxRequests) ||
    pos(p?.http?.maxRequestsPerConnection) ||
    pos(p?.http?.maxConcurrentStreams)
  );
}
