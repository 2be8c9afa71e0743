/**
 * Connection-pinned calls: the app keeps HTTP/1.1 keep-alive connections to a service, and each new
 * connection is pinned to one pod picked at random (kube-proxy balances connections, not requests;
 * so does ztunnel). Mode `none` is exactly this, with a TCP round trip per new connection, no
 * retries and no mTLS: a refused or reset connection is status 0. Ambient (without a waypoint) and
 * plaintext callers in sidecar mode reuse it with proxies on the way (`outbound`/`inbound`).
 */
import type { RequestShape } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { Caller, PodRt } from '../world/entities.js';
import type { Connection, ConnectionPool } from './connections.js';
import { DEFAULT_CONNECT_TIMEOUT_US, PlaneBase, type CallDone, type CallResult, type DataPlane } from './plane.js';
import { NO_PROXIES, traverseRequest, traverseResponse, type Proxy } from './proxy.js';
import { EnvoyRouter, type Transport } from './envoy-router.js';
import { stableRecord } from '../kernel/stable-shapes.js';

/** The answer to a request delivered to a pod's app: its status, the caller's argument, the server-side proxy's flags. */
export type AppAnswer<T> = (status: number, arg: T, serverFlags?: string) => void;

export class DirectPlane extends PlaneBase implements DataPlane {
  get pods() {
    return this.deps.pods;
  }

  get clock() {
    return this.sim;
  }

  refusal(call: AppCall, pod: PodRt, mtls: boolean): number | undefined {
    return this.inboundStatus(call, pod, mtls);
  }

  /**
   * The Envoy router of a mode whose mesh proxies are Envoys (sidecars, waypoints), reaching the
   * pods through `transport`. The request path reads its dependencies: see stableRecord.
   */
  protected newEnvoyRouter(transport: Transport): EnvoyRouter {
    return new EnvoyRouter(
      stableRecord({
        sim: this.sim,
        pods: this.deps.pods,
        stream: (n) => this.stream(n),
        transport,
        handshakes: this.handshakes,
        policy: this.deps.policy,
        services: this.deps.services,
        timeline: this.deps.timeline,
        pools: this.deps.pools,
      }),
    );
  }

  /**
   * The request reaches the pod's app, which calls `answer(status, arg)`; a mode whose server-side
   * proxy has its own pool in front of the app (a sidecar's inbound cluster) may answer instead,
   * with the flags that proxy logs.
   */
  deliverToApp<T>(pod: PodRt, call: AppCall, conn: Connection<unknown>, answer: AppAnswer<T>, arg: T): void {
    this.deps.pods.deliver(pod, call, answer, arg, conn.mtls);
  }

  call(call: AppCall, done: CallDone): void {
    const { caller, service: svc } = call;
    const pool = this.appPool(caller, svc);
    const conn = pool.take('any');
    if (conn) {
      this.send(call, pool, conn, done);
      return;
    }
    const pod = this.randomPod(caller, svc);
    if (!pod) {
      done({ status: 0, flags: '', mtls: false }, call);
      return;
    }
    const fresh = pool.open('any', pod, this.encrypted(caller, pod));
    this.handshakes.total++;
    this.connect(caller, pod, fresh, (ok) => {
      if (ok && !pod.crashed && !fresh.closed) {
        this.send(call, pool, fresh, done);
      } else {
        pool.discard('any', fresh);
        this.connectFailed(call, pod, done);
      }
    });
  }

  /** Establishes a new app connection to `pod`; `then(false)` when it was refused. Mode none: one TCP round trip. */
  protected connect(caller: Caller, pod: PodRt, _conn: Connection<unknown>, then: (ok: boolean) => void): void {
    if (pod.unreachable) {
      this.sim.schedule(DEFAULT_CONNECT_TIMEOUT_US, () => then(false), undefined);
      return;
    }
    this.sim.schedule(2 * this.oneWay(caller.node, pod.node), () => then(!pod.crashed), undefined);
  }

  protected connectFailed(call: AppCall, pod: PodRt, done: CallDone): void {
    done({ status: 0, flags: '', mtls: false, pod }, call);
  }

  /** Whether the traffic from caller to pod is mTLS (none: never). */
  protected encrypted(_caller: Caller, _pod: PodRt): boolean {
    return false;
  }

  /**
   * An answer the pod's side gives instead of the app (e.g. 403 from an authorization policy);
   * undefined lets the request through.
   */
  protected inboundStatus(_call: AppCall, _pod: PodRt, _mtls: boolean): number | undefined {
    return undefined;
  }

  /** Proxies a request passes on the caller's side, in order. */
  protected outbound(_caller: Caller, _pod: PodRt): readonly Proxy[] {
    return NO_PROXIES;
  }

  /** Proxies a request passes on the pod's side, in order. */
  protected inbound(_caller: Caller, _pod: PodRt): readonly Proxy[] {
    return NO_PROXIES;
  }

  private send(call: AppCall, pool: ConnectionPool<'any', unknown>, conn: Connection<unknown>, done: CallDone): void {
    const { caller, req } = call;
    const f: Flight = {
      plane: this,
      pool,
      conn,
      pod: conn.host as PodRt,
      call,
      req,
      done,
      leg: 0,
      out: this.outbound(caller, conn.host as PodRt),
      inb: this.inbound(caller, conn.host as PodRt),
      status: 0,
      flags: '',
      mtls: conn.mtls,
      // Set when answered, but in the literal: the answer then stores into a field every flight
      // has, where adding the property to each flight cost M/M/4 ~5% of its instructions.
      serverFlags: undefined,
    };
    f.leg = this.oneWay(caller.node, f.pod.node);
    traverseRequest(f.out, req.requestSize, toServer, f);
  }
}

/**
 * One request on a pinned connection; stepped by the module functions below (fewer closures on the
 * hot path). At the end it is itself the call's result (a CallResult: status, flags, mtls, pod,
 * serverFlags), so answering allocates nothing.
 */
interface Flight extends CallResult {
  plane: DirectPlane;
  pool: ConnectionPool<'any', unknown>;
  conn: Connection<unknown>;
  pod: PodRt;
  call: AppCall;
  req: RequestShape;
  done: CallDone;
  leg: number;
  out: readonly Proxy[];
  inb: readonly Proxy[];
}

/**
 * The flight crosses the network, then `next(f)`. A zero-latency hop (a network of 0 µs, as in the
 * queueing-theory scenarios) is no event: it arrives in the same instant, so it goes on at once.
 */
function hop(f: Flight, next: (f: Flight) => void): void {
  if (f.leg > 0) f.plane.clock.schedule(f.leg, next, f);
  else next(f);
}

const toServer = (f: Flight): void => hop(f, arriveAtServer);
const toClient = (f: Flight): void => hop(f, arriveBack);

function arriveAtServer(f: Flight): void {
  traverseRequest(f.inb, f.req.requestSize, deliverTo, f);
}

function deliverTo(f: Flight): void {
  const refused = f.plane.refusal(f.call, f.pod, f.conn.mtls);
  if (refused !== undefined) answered(refused, f);
  else f.plane.deliverToApp(f.pod, f.call, f.conn, answered, f);
}

function answered(status: number, f: Flight, serverFlags?: string): void {
  f.status = status;
  f.serverFlags = serverFlags;
  traverseResponse(f.inb, f.req.responseSize, toClient, f);
}

function arriveBack(f: Flight): void {
  traverseResponse(f.out, f.req.responseSize, finish, f);
}

function finish(f: Flight): void {
  f.pool.release('any', f.conn);
  if (!f.serverFlags) f.serverFlags = undefined; // '' (none) reads as no server flags
  f.done(f, f.call);
}
