/**
 * A proxy (sidecar Envoy, ztunnel or waypoint) as a station: `workers` threads, FIFO, each
 * traversal costing CPU on its node. A traversal is a request leg and a response leg on the
 * critical path, each followed by fixed non-CPU latency, and telemetry work after the response
 * that keeps the worker busy without delaying the response (Istio perf docs: "telemetry is
 * collected after the response is sent", https://istio.io/latest/docs/ops/deployment/performance-and-scalability/).
 */
import type { Simulator } from '../kernel/simulator.js';
import { DOUBLE_ZERO } from '../kernel/stable-shapes.js';
import type { NodeRt, ProxyHandle } from '../world/entities.js';
import type { DeferredEnd } from '../world/cpu.js';
import { Station } from '../world/station.js';
import type { ProxyCosts } from '../config/profile.js';
import { TimeWeighted } from './usage.js';

interface Leg {
  proxy: Proxy;
  cpuUs: number;
  telemetryUs: number;
  then: (arg: unknown) => void;
  arg: unknown;
}

export class Proxy implements ProxyHandle {
  readonly workers: Station;
  cpuUsedUs = DOUBLE_ZERO;
  readonly connections = new TimeWeighted();
  /** The labels of the pod the proxy serves (a sidecar's), for locality failoverPriority. */
  labels?: Readonly<Record<string, string>>;
  /** This proxy as a path of one (a server side, an outbound hop): one array for every request, not one each. */
  readonly alone: readonly Proxy[] = [this];
  /** What other objects keep per proxy (ProxyState): owner and state, pair after pair. */
  readonly ownerStates: unknown[] = [];

  constructor(
    readonly kind: string,
    readonly name: string,
    readonly node: NodeRt,
    readonly costs: ProxyCosts,
    readonly sim: Simulator,
  ) {
    this.workers = new Station(costs.workers);
  }

  /**
   * The request leg: parse, route, encrypt `bytes` of request; then `then(arg)` continues the
   * journey (a handler and its argument, like an event's, so hot paths need no closure).
   */
  requestLeg<A>(bytes: number, then: (arg: A) => void, arg?: A): void {
    this.run(this.costs.requestLegCpuUs + (this.costs.cpuPerKBUs * bytes) / 1000, 0, then as (arg: unknown) => void, arg);
  }

  /** The response leg, followed by the post-response telemetry work off the critical path. */
  responseLeg<A>(bytes: number, then: (arg: A) => void, arg?: A): void {
    this.run(
      this.costs.responseLegCpuUs + (this.costs.cpuPerKBUs * bytes) / 1000,
      this.costs.telemetryCpuUs,
      then as (arg: unknown) => void,
      arg,
    );
  }

  /** TLS handshake work (CPU on a worker thread, as in Envoy and ztunnel). */
  handshake(cpuUs: number, then: () => void): void {
    this.run(cpuUs, 0, then, undefined);
  }

  private run(cpuUs: number, telemetryUs: number, then: (arg: unknown) => void, arg: unknown): void {
    const workers = this.workers;
    if (workers.busy >= workers.servers) {
      this.runOnceFree(cpuUs, telemetryUs, then, arg);
      return;
    }
    workers.take(); // a worker is free: the leg starts at once
    this.startLeg(cpuUs, telemetryUs, then, arg);
  }

  /**
   * Every worker looks busy: first settle legs that have in fact ended; if the leg must still
   * wait, the ends it waits for become real events (legDone hands the worker over, FIFO). Apart
   * from `run`, which V8 then inlines into each leg.
   */
  private runOnceFree(cpuUs: number, telemetryUs: number, then: (arg: unknown) => void, arg: unknown): void {
    const workers = this.workers;
    this.node.cpu.settlePassed();
    if (workers.busy >= workers.servers) {
      // A proxy's deferred ends are all LegEnds (startLeg defers nothing else under its name).
      for (const e of this.node.cpu.takeDeferred(this)) {
        this.sim.atSeq(e.time, e.seq, legDone, this);
        LegEnd.release(e as LegEnd);
      }
      workers.acquire(startQueuedLeg, { proxy: this, cpuUs, telemetryUs, then, arg });
      return;
    }
    workers.take();
    this.startLeg(cpuUs, telemetryUs, then, arg);
  }

  /**
   * A worker takes the leg: its CPU (critical part, then any telemetry) runs as one piece of work on
   * the node, stretched as NodeCpu decides when the leg starts. The request continues once the
   * critical part and half the fixed latency are over; the worker is free when all of it is done.
   */
  startLeg(cpuUs: number, telemetryUs: number, then: (arg: unknown) => void, arg: unknown): void {
    const total = cpuUs + telemetryUs;
    this.cpuUsedUs += total;
    const sim = this.sim;
    const wall = this.node.cpu.begin(total);
    const criticalWall = telemetryUs > 0 ? (wall * cpuUs) / total : wall;
    sim.schedule(criticalWall + this.halfFixedUs, then, arg);
    // The end of the leg only frees the worker and the node's CPU. With nobody queued for a worker
    // it is settled lazily in its (time, seq) place (NodeCpu.defer) instead of as an event: same
    // order, same results, a third fewer events per proxied request.
    if (this.workers.queued > 0) sim.schedule(wall, legDone, this);
    else this.node.cpu.defer(LegEnd.at(sim.now + wall, sim.reserveSeq(), this));
  }

  /** Fixed latency split evenly over the two legs. */
  get halfFixedUs(): number {
    return this.costs.fixedLatencyUs / 2;
  }
}

/**
 * State an owner (a router, its clusters) keeps for each proxy, stored on the proxy itself: a Map
 * keyed by proxy cost a hash lookup on every request, several per request; a proxy has one or two
 * owners, found by a short scan of its `ownerStates`.
 */
export class ProxyState<T> {
  constructor(private readonly make: () => T) {}

  of(proxy: Proxy): T {
    const s = proxy.ownerStates;
    for (let i = 0; i < s.length; i += 2) if (s[i] === this) return s[i + 1] as T;
    const state = this.make();
    s.push(this, state);
    return state;
  }
}

/** A path with no proxy on it (shared: paths are never changed). */
export const NO_PROXIES: readonly Proxy[] = [];

/** Which legs a traversal runs: the request's, or the response's (in reverse order). */
type Direction = 'request' | 'response';

/**
 * Runs the request legs of `proxies` in order, then `then(arg)`. One function per direction: the
 * direction is known where each is called, and V8 then inlines only the leg that runs.
 */
export function traverseRequest<A>(proxies: readonly Proxy[], bytes: number, then: (arg: A) => void, arg?: A): void {
  if (proxies.length === 1) proxies[0]!.requestLeg(bytes, then, arg);
  else if (proxies.length === 0) then(arg as A);
  else traverseChain(proxies, 'request', bytes, then, arg);
}

/** Runs the response legs of `proxies` in reverse order, then `then(arg)`. */
export function traverseResponse<A>(proxies: readonly Proxy[], bytes: number, then: (arg: A) => void, arg?: A): void {
  if (proxies.length === 1) proxies[0]!.responseLeg(bytes, then, arg);
  else if (proxies.length === 0) then(arg as A);
  else traverseChain(proxies, 'response', bytes, then, arg);
}

/**
 * A traversal of two or more proxies (ambient's ztunnel and waypoint), one leg after another. Kept
 * apart so that the one-proxy path of every sidecar hop stays small enough for V8 to
 * inline where it is called.
 */
function traverseChain<A>(proxies: readonly Proxy[], direction: Direction, bytes: number, then: (arg: A) => void, arg?: A): void {
  const n = proxies.length;
  let i = 0;
  const step = (): void => {
    if (i === n) {
      then(arg as A);
      return;
    }
    const p = proxies[direction === 'request' ? i : n - 1 - i]!;
    i++;
    if (direction === 'request') p.requestLeg(bytes, step);
    else p.responseLeg(bytes, step);
  };
  step();
}

/** A queued leg whose worker has just been handed over. */
function startQueuedLeg(leg: Leg): void {
  leg.proxy.startLeg(leg.cpuUs, leg.telemetryUs, leg.then, leg.arg);
}

function legDone(p: Proxy): void {
  p.node.cpu.end();
  p.workers.release();
}

/** A leg's end settled lazily: what legDone does, at the moment its event would have run. Recycled. */
class LegEnd implements DeferredEnd {
  private static readonly spare: LegEnd[] = [];

  // Numbers from the start: a field declared without a value is born undefined (class fields
  // define every declared field), and V8 then keeps each number stored in it later as a new boxed
  // heap number.
  time = 0;
  seq = 0;
  owner: Proxy;

  private constructor(time: number, seq: number, owner: Proxy) {
    this.time = time;
    this.seq = seq;
    this.owner = owner;
  }

  static at(time: number, seq: number, owner: Proxy): LegEnd {
    const e = LegEnd.spare.pop();
    if (!e) return new LegEnd(time, seq, owner);
    e.time = time;
    e.seq = seq;
    e.owner = owner;
    return e;
  }

  settle(): void {
    const owner = this.owner;
    LegEnd.release(this);
    legDone(owner);
  }

  /** Back to the spares: settled, or its end became a real event (a leg waits for the worker). */
  static release(e: LegEnd): void {
    LegEnd.spare.push(e);
  }
}
