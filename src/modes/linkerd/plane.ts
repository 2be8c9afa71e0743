/**
 * Mode `linkerd`: A → A's linkerd2-proxy (outbound) → network → B's linkerd2-proxy (inbound) → B.
 *
 * - mTLS is always on between meshed pods (https://linkerd.io/2-edge/features/automatic-mtls/);
 *   HTTP/1.1 between two proxies rides one multiplexed HTTP/2 connection per (client proxy,
 *   endpoint) (enableH2Upgrade, linkerd2-proxy linkerd/proxy/http/src/orig_proto.rs), so handshakes
 *   are rare; unmeshed peers get plaintext and meet only the server's proxy.
 * - the client proxy balances each request with P2C over peak-EWMA, applies the route's timeouts and
 *   retries (annotations or ServiceProfile budget) and failure accrual (policy/linkerd/*);
 * - the server proxy enforces authorization: 403 for HTTP (policy/linkerd/authorization.ts).
 * A proxy is a one-worker station by default (Linkerd's chart: one runtime worker thread).
 * Linkerd has no Envoy response flags; local answers (404 no route, 503 load shed, 504 fail-fast
 * or timeout, 502 dispatch failure) are marked `local` (linkerd/app/outbound/src/http/server.rs).
 */
import type { AppCall } from '../../world/call.js';
import type { Caller, PodRt } from '../../world/entities.js';
import type { ScheduledEvent } from '../../kernel/simulator.js';
import { DirectPlane } from '../../dataplane/direct.js';
import type { CallDone, PlaneDeps } from '../../dataplane/plane.js';
import { NO_PROXIES, Proxy } from '../../dataplane/proxy.js';
import type { ProxyCosts } from '../../config/profile.js';
import { decideLinkerdInbound, type LinkerdPolicySet } from '../../policy/linkerd/authorization.js';
import { ROUTE_RETRY_BACKOFF, type LinkerdClientPolicy, type LinkerdRoute } from '../../policy/linkerd/client-policy.js';
import { RetryBudget } from '../../policy/linkerd/retry-budget.js';
import { Balancer, type Endpoint } from './balancer.js';

export interface LinkerdCosts {
  proxy: ProxyCosts;
  queueCapacity: number;
  outboundFailfastUs: number;
  outboundConnectTimeoutUs: number;
  defaultRttUs: number;
  rttDecayUs: number;
  tls: { clientHandshakeCpuUs: number; serverHandshakeCpuUs: number; roundTrips: number };
}

/** The multiplexed proxy-to-proxy connection to one endpoint. */
interface H2Conn {
  state: 'connecting' | 'open' | 'closed';
  waiting: (() => void)[];
  mtls: boolean;
}

interface LReq {
  cs: Proxy;
  call: AppCall;
  done: CallDone;
  route: LinkerdRoute;
  balancer: Balancer;
  attempts: number;
  finished: boolean;
  timer?: ScheduledEvent;
  current?: Attempt;
  budget?: RetryBudget;
  lastPod?: PodRt;
  mtls: boolean;
}

interface Attempt {
  req: LReq;
  ep: Endpoint;
  startedUs: number;
  abandoned: boolean;
  timer?: ScheduledEvent;
}

export class LinkerdPlane extends DirectPlane {
  readonly proxyOf = new Map<Caller, Proxy>();
  private readonly balancers = new Map<Proxy, Map<string, Balancer>>();
  private readonly conns = new Map<Proxy, Map<PodRt, H2Conn>>();
  private readonly budgets = new Map<Proxy, Map<string, RetryBudget>>();
  /** Retries sent and requests the budget refused to retry, for reports. */
  readonly stats = { retries: 0, budgetRefused: 0, loadShed: 0, failfast: 0, authzDenied: 0 };

  constructor(
    deps: PlaneDeps,
    private readonly costs: LinkerdCosts,
    private readonly client: LinkerdClientPolicy,
    private readonly authz: LinkerdPolicySet,
  ) {
    super(deps);
  }

  addProxy(caller: Caller): Proxy {
    const p = new Proxy('linkerd-proxy', `${caller.name}.linkerd-proxy`, caller.node, this.costs.proxy, this.sim);
    this.proxyOf.set(caller, p);
    caller.sidecar = p;
    return p;
  }

  override call(call: AppCall, done: CallDone): void {
    const cs = call.caller.inMesh ? this.proxyOf.get(call.caller) : undefined;
    if (!cs) {
      super.call(call, done);
      return;
    }
    cs.requestLeg(call.req.requestSize, () => this.route(cs, call, done));
  }

  /** Unmeshed callers meet the server's proxy only (plaintext, no client identity). */
  protected override inbound(_caller: Caller, pod: PodRt): readonly Proxy[] {
    return this.proxyOf.get(pod)?.alone ?? NO_PROXIES;
  }

  protected override inboundStatus(call: AppCall, pod: PodRt, mtls: boolean): number | undefined {
    if (!this.proxyOf.has(pod)) return undefined; // unmeshed pods cannot enforce policy
    const v = decideLinkerdInbound(this.authz, {
      namespace: pod.namespace,
      podLabels: pod.version.labels,
      port: pod.service.model.port,
      client: mtls ? { serviceAccount: call.caller.serviceAccount, namespace: call.caller.namespace } : undefined,
      http: true,
    });
    if (v.allowed) return undefined;
    this.stats.authzDenied++;
    return 403;
  }

  private balancer(cs: Proxy, key: string): Balancer | undefined {
    let byKey = this.balancers.get(cs);
    if (!byKey) this.balancers.set(cs, (byKey = new Map()));
    let b = byKey.get(key);
    if (!b) {
      const svc = this.deps.services.get(key);
      if (!svc) return undefined;
      const fa = this.client.forService(key)?.failureAccrual;
      b = new Balancer({
        sim: this.sim,
        // The destination controller serves the ready endpoints of the EndpointSlice.
        pods: () => svc.endpoints,
        random: this.stream(`lb/${cs.name}→${key}`),
        jitter: this.stream(`backoff/${cs.name}→${key}`),
        ...(fa ? { failureAccrual: fa } : {}),
        queueCapacity: this.costs.queueCapacity,
        failfastUs: this.costs.outboundFailfastUs,
        defaultRttUs: this.costs.defaultRttUs,
        rttDecayUs: this.costs.rttDecayUs,
        onBreaker: (pod, e) =>
          this.deps.timeline.add(`failure_accrual_${e.action}`, {
            proxy: cs.name,
            service: key,
            pod: pod.name,
            ...(e.untilUs !== undefined ? { until_s: Math.round(e.untilUs) / 1e6 } : {}),
          }),
      });
      byKey.set(key, b);
    }
    return b;
  }

  private budget(cs: Proxy, profile: string, route: LinkerdRoute): RetryBudget | undefined {
    if (route.retry?.kind !== 'budget') return undefined;
    let byProfile = this.budgets.get(cs);
    if (!byProfile) this.budgets.set(cs, (byProfile = new Map()));
    let b = byProfile.get(profile);
    if (!b) byProfile.set(profile, (b = new RetryBudget(route.retry.budget, this.sim.now)));
    return b;
  }

  private route(cs: Proxy, call: AppCall, done: CallDone): void {
    const svcPolicy = this.client.forService(call.service.model.key);
    const route = svcPolicy?.route(call.req);
    if (!svcPolicy || !route) {
      this.localReply(cs, call, done, 404);
      return;
    }
    // Weighted random among the route's backends, per request (RandomAvailable).
    const backends = route.backends;
    let backend = backends[0]!.service; // never empty: no backendRefs means the parent Service (client-policy.ts)
    if (backends.length > 1) {
      const total = backends.reduce((s, b) => s + b.weight, 0);
      let x = this.stream(`route/${cs.name}→${call.service.model.key}`)() * total;
      for (const b of backends)
        if ((x -= b.weight) < 0) {
          backend = b.service;
          break;
        }
    }
    const balancer = this.balancer(cs, backend);
    if (!balancer) {
      this.localReply(cs, call, done, 503);
      return;
    }
    const req: LReq = { cs, call, done, route, balancer, attempts: 0, finished: false, mtls: false };
    if (svcPolicy.profile) {
      const budget = this.budget(cs, svcPolicy.profile, route);
      if (budget) req.budget = budget;
    }
    if (route.requestTimeoutUs)
      req.timer = this.sim.scheduleCancellable(route.requestTimeoutUs, () => this.onRequestTimeout(req), undefined);
    this.attempt(req);
  }

  private attempt(req: LReq): void {
    req.attempts++;
    req.balancer.acquire((ep) => {
      if (req.finished) return;
      if (ep === 'loadshed') {
        this.stats.loadShed++;
        this.finish(req, 503, true);
        return;
      }
      if (ep === 'failfast') {
        this.stats.failfast++;
        this.finish(req, 504, true);
        return;
      }
      const a: Attempt = { req, ep, startedUs: this.sim.now, abandoned: false };
      req.current = a;
      ep.ewma.start(this.sim.now);
      const perAttempt = req.route.perAttemptTimeoutUs ?? req.route.responseTimeoutUs;
      if (perAttempt) a.timer = this.sim.scheduleCancellable(perAttempt, () => this.onAttemptTimeout(a), undefined);
      this.withConnection(req.cs, ep, req.balancer, a);
    });
  }

  /** The h2 connection to the endpoint: reused, or opened (TCP + TLS 1.3 with handshake CPU). */
  private withConnection(cs: Proxy, ep: Endpoint, balancer: Balancer, a: Attempt): void {
    let byPod = this.conns.get(cs);
    if (!byPod) this.conns.set(cs, (byPod = new Map()));
    let c = byPod.get(ep.pod);
    if (c && c.state === 'open') {
      this.forward(a, c.mtls);
      return;
    }
    const go = () => {
      if (a.abandoned || a.req.finished) return;
      const cc = byPod.get(ep.pod);
      if (cc?.state === 'open') this.forward(a, cc.mtls);
      else {
        // The endpoint could not be reached: it leaves the ready set; the request is balanced again.
        ep.ewma.finish(a.startedUs, this.sim.now);
        this.sim.cancel(a.timer);
        a.abandoned = true;
        a.req.attempts--;
        this.attempt(a.req);
      }
    };
    if (c && c.state === 'connecting') {
      c.waiting.push(go);
      return;
    }
    const ss = this.proxyOf.get(ep.pod);
    c = { state: 'connecting', waiting: [go], mtls: ss !== undefined };
    byPod.set(ep.pod, c);
    this.handshakes.total++;
    if (c.mtls) this.handshakes.mtls++;
    const conn = c;
    const settle = (ok: boolean) => {
      if (conn.state !== 'connecting') return;
      conn.state = ok ? 'open' : 'closed';
      if (ok) {
        balancer.connected(ep);
        // One long-lived connection: counted at both proxies for their memory.
        cs.connections.add(1, this.sim.now);
        ss?.connections.add(1, this.sim.now);
      } else {
        byPod.delete(ep.pod);
        balancer.connectFailed(ep);
      }
      for (const w of conn.waiting.splice(0)) w();
    };
    const pod = ep.pod;
    if (pod.unreachable) {
      this.sim.schedule(this.costs.outboundConnectTimeoutUs, () => settle(false), undefined);
      return;
    }
    const ow = this.oneWay(cs.node, pod.node);
    this.sim.schedule(
      2 * ow,
      () => {
        if (pod.crashed) return settle(false);
        if (!ss) return settle(true);
        const tls = this.costs.tls;
        this.sim.schedule(
          ow * tls.roundTrips,
          () =>
            ss.handshake(tls.serverHandshakeCpuUs, () =>
              this.sim.schedule(ow * tls.roundTrips, () => cs.handshake(tls.clientHandshakeCpuUs, () => settle(!pod.crashed)), undefined),
            ),
          undefined,
        );
      },
      undefined,
    );
  }

  private forward(a: Attempt, mtls: boolean): void {
    const { cs, call } = a.req;
    const pod = a.ep.pod;
    a.req.mtls = mtls;
    a.req.lastPod = pod;
    const ss = this.proxyOf.get(pod);
    const ow = this.oneWay(cs.node, pod.node);
    const back = (status: number) => this.sim.schedule(ow, () => this.attemptDone(a, status), undefined);
    this.sim.schedule(
      ow,
      () => {
        const respond = (status: number) => (ss ? ss.responseLeg(call.req.responseSize, () => back(status)) : back(status));
        const atServer = () => {
          const denied = this.inboundStatus(call, pod, mtls);
          if (denied !== undefined) respond(denied);
          else this.deps.pods.deliver(pod, call, respond, undefined, mtls);
        };
        if (ss) ss.requestLeg(call.req.requestSize, atServer);
        else atServer();
      },
      undefined,
    );
  }

  private attemptDone(a: Attempt, status: number): void {
    if (a.abandoned) return;
    a.abandoned = true;
    this.sim.cancel(a.timer);
    const req = a.req;
    a.ep.ewma.finish(a.startedUs, this.sim.now);
    // A reset (crashed pod) is a transport error: a failure, answered 502 by the proxy.
    const failure = req.route.isFailure(status);
    req.balancer.result(a.ep, failure);
    if (status === 0) {
      const byPod = this.conns.get(req.cs);
      byPod?.delete(a.ep.pod);
    }
    if (req.finished) return;
    if (this.shouldRetry(req, status)) {
      this.retry(req);
      return;
    }
    req.budget?.deposit(this.sim.now);
    this.finish(req, status === 0 ? 502 : status, status === 0);
  }

  private shouldRetry(req: LReq, status: number): boolean {
    const r = req.route.retry;
    if (!r || !req.route.retryable(status)) return false;
    if (r.kind === 'route') return req.attempts <= r.limit;
    const ok = (req.budget as RetryBudget).tryWithdraw(this.sim.now);
    if (!ok) this.stats.budgetRefused++;
    return ok;
  }

  private retry(req: LReq): void {
    this.stats.retries++;
    req.call.service.retries++;
    const r = req.route.retry;
    if (r?.kind === 'route') {
      // exp-backoff: 25 ms · 2^(n-1) capped at 250 ms, plus up to 1.0 × that.
      const base = Math.min(ROUTE_RETRY_BACKOFF.minUs * 2 ** (req.attempts - 1), ROUTE_RETRY_BACKOFF.maxUs);
      const wait = base + this.stream(`retry-backoff/${req.cs.name}`)() * ROUTE_RETRY_BACKOFF.jitter * base;
      this.sim.schedule(wait, () => !req.finished && this.attempt(req), undefined);
    } else this.attempt(req); // profile retries have no back-off
  }

  /** Per-attempt (retry.linkerd.io/timeout, backendRequest) or response timeout. */
  private onAttemptTimeout(a: Attempt): void {
    if (a.abandoned || a.req.finished) return;
    a.abandoned = true;
    a.ep.ewma.finish(a.startedUs, this.sim.now);
    a.req.balancer.result(a.ep, true);
    const req = a.req;
    const r = req.route.retry;
    // The per-attempt response-headers timeout is retried while attempts remain (linkerd/http/retry).
    if (r?.kind === 'route' && req.route.perAttemptTimeoutUs !== undefined && req.attempts <= r.limit) {
      this.retry(req);
      return;
    }
    this.finish(req, 504, true);
  }

  /** timeout.linkerd.io/request or HTTPRoute timeouts.request: 504, never retried. */
  private onRequestTimeout(req: LReq): void {
    if (req.finished) return;
    const a = req.current;
    if (a && !a.abandoned) {
      a.abandoned = true;
      this.sim.cancel(a.timer);
      a.ep.ewma.finish(a.startedUs, this.sim.now);
    }
    this.finish(req, 504, true);
  }

  private finish(req: LReq, status: number, local: boolean): void {
    if (req.finished) return;
    req.finished = true;
    this.sim.cancel(req.timer);
    const pod = local ? undefined : req.lastPod;
    req.cs.responseLeg(req.call.req.responseSize, () =>
      req.done({ status, flags: '', mtls: req.mtls, ...(pod ? { pod } : {}), local }, req.call),
    );
  }

  private localReply(cs: Proxy, call: AppCall, done: CallDone, status: number): void {
    cs.responseLeg(0, () => done({ status, flags: '', mtls: false, local: true }, call));
  }

  override podCrashed(pod: PodRt): void {
    super.podCrashed(pod);
    for (const byPod of this.conns.values()) {
      const c = byPod.get(pod);
      if (c) c.state = 'closed';
      byPod.delete(pod);
    }
  }
}
