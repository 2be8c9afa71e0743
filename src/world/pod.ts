/**
 * What a pod does with a request: wait FIFO for one of its concurrency slots, spend its service
 * time on its node's CPU, make its downstream calls in order while holding the slot, answer.
 */
import type { Simulator } from '../kernel/simulator.js';
import { InsertionList, type Listed } from '../kernel/insertion-list.js';
import type { CallModel, JwtLocation } from '../config/model.js';
import type { AppCall } from './call.js';
import type { Caller, PodRt, ServiceRt } from './entities.js';

/**
 * How a pod's app reaches another service; the data plane of the current mode implements it.
 * `done` gets the answer and the call, whose `owner` is the one given here.
 */
export type CallOut = (
  caller: Caller,
  target: ServiceRt,
  call: CallModel,
  parent: AppCall,
  done: (answer: { readonly status: number }, call: AppCall) => void,
  timeoutUs?: number,
  owner?: unknown,
) => void;

/** One request being served by a pod; settled once, by its answer or by a crash. */
interface Work extends Listed {
  pod: PodRt;
  call: AppCall;
  /** Whether the request came over mTLS (for the server side's telemetry). */
  mtls: boolean;
  arrivedUs: number;
  /** Called once with the answer, and `arg` (deliver's), so callers need no closure per request. */
  respond: Respond<unknown>;
  arg: unknown;
  settled: boolean;
  status: number;
  nextCall: number;
  /** The downstream call under way (the app makes them one at a time), its service, and the retries it has left. */
  outCall: CallModel | undefined;
  outTarget: ServiceRt | undefined;
  retriesLeft: number;
  /** The pod's work in progress this request is in (PodBehaviour.track), kept to leave it without a lookup. */
  tracked: InsertionList<Work>;
}

/** How a pod's answer reaches whoever delivered the request: the status, and the argument given with it. */
export type Respond<T> = (status: number, arg: T) => void;

/** Status a failed downstream call turns into, unless the call says onFailure: ignore. */
const FAILED_CALL_STATUS = 500;

const isFailure = (status: number) => status === 0 || status >= 500;

export class PodBehaviour {
  /** What the server-side proxy changed in a request before the app saw it (jwt_authn: token removed, claim headers). */
  private readonly amended = new WeakMap<AppCall, Amended>();

  amend(call: AppCall, change: Amended): void {
    this.amended.set(call, change);
  }

  /** Handles requests that reach a pod whose only container is Envoy (a gateway's), set by the data plane. */
  envoyOnly?: (pod: PodRt, call: AppCall, respond: (status: number) => void, mtls: boolean) => void;

  /** Told when a request is dropped on its way to an unreachable pod (to say where requests hang). */
  onDropped?: (pod: PodRt, call: AppCall) => void;

  constructor(
    private readonly sim: Simulator,
    private readonly callOut: CallOut,
    private readonly warmupUs: number,
  ) {}

  /**
   * A request has reached the pod's application port; `respond(status, arg)` is its answer, and
   * `respond(0, arg)` means the connection was reset.
   */
  deliver<T>(pod: PodRt, call: AppCall, respond: Respond<T>, arg: T, mtls = false): void {
    if (pod.crashed) {
      respond(0, arg);
      return;
    }
    // Dropped on the way: no answer ever comes; only a timeout (app, per-try or route) ends it.
    if (pod.unreachable) {
      this.onDropped?.(pod, call);
      return;
    }
    // A gateway pod runs no app: its Envoy routes the request on (dataplane/egress.ts).
    if (pod.service.model.envoyOnly && this.envoyOnly) {
      this.envoyOnly(pod, call, (status) => respond(status, arg), mtls);
      return;
    }
    const tracked = this.track(pod);
    const work: Work = {
      pod,
      call,
      mtls,
      arrivedUs: this.sim.now,
      respond: respond as Respond<unknown>,
      arg,
      settled: false,
      status: 200,
      nextCall: 0,
      outCall: undefined,
      outTarget: undefined,
      retriesLeft: 0,
      tracked,
      listSlot: 0,
    };
    tracked.add(work);
    // Station.acquire's work, spelled out: the handler is known here, so V8 calls serve directly.
    const slots = pod.slots;
    if (slots.hasFree) {
      slots.take();
      this.serveNow(work);
    } else slots.wait(this.serve, work);
  }

  /** The pod dies: everything it holds or queues is answered with a reset. */
  crash(pod: PodRt): void {
    pod.crashed = true;
    pod.epoch++;
    pod.slots.reset();
    this.idleWaiters.delete(pod);
    const works = this.track(pod).toArray();
    this.track(pod).clear();
    for (const w of works) this.settle(w, 0, false);
  }

  /**
   * SIGTERM: the app closes its listener (new connections and requests are refused, like a dead
   * app's) and exits once the requests it accepted are answered.
   */
  drain(pod: PodRt, onIdle: () => void): void {
    pod.crashed = true;
    if (this.track(pod).size === 0) onIdle();
    else this.idleWaiters.set(pod, onIdle);
  }

  /** The pod's node died: nothing it holds is ever answered (callers wait for their timeouts). */
  vanish(pod: PodRt): void {
    pod.crashed = true;
    pod.epoch++;
    pod.slots.reset();
    this.idleWaiters.delete(pod);
    for (const w of this.track(pod).toArray()) {
      w.settled = true;
      this.onDropped?.(pod, w.call);
    }
    this.track(pod).clear();
  }

  /** A restarted container: it accepts requests again. */
  restart(pod: PodRt): void {
    pod.crashed = false;
  }

  private readonly idleWaiters = new Map<PodRt, () => void>();

  /** Work in progress or waiting at the pod, so a crash can reset it all at once. */
  private track(pod: PodRt): InsertionList<Work> {
    return pod.works as InsertionList<Work>;
  }

  /** serveNow for the slots' queue, which calls a plain function with the work. */
  private readonly serve = (work: Work): void => this.serveNow(work);

  /**
   * The work takes its slot: a method, not the arrow above, for the call in `deliver` that V8
   * inlines into the data plane's hops. An arrow in a field is a new function in each run's
   * PodBehaviour, and code compiled for the first run's was deoptimised in the second ("wrong
   * call target"; kernel/stable-shapes.ts says why runs should look alike).
   */
  private serveNow(work: Work): void {
    if (work.settled) return;
    const pod = work.pod;
    const svc = pod.service;
    const version = pod.version;
    const shadow = work.call.shadow === true;
    const serviceUs = svc.serviceTime[pod.versionIndex]!.sample(shadow ? svc.shadowStreams.serviceTime : svc.serviceTimeStream);
    if (version.failure.rate > 0 || pod.faultErrorRate > 0) this.drawFailure(work, shadow);
    // CPU: the node's cores are shared (NodeCpu); a CPU limit caps this pod's own parallelism.
    // Only the CPU share of the service time competes for cores; the rest is plain waiting.
    const cpuUs = serviceUs * svc.model.cpuShare;
    const limit = svc.model.resources.limitCpu;
    const limitSlowdown = limit && pod.cpuRunning + 1 > limit ? (pod.cpuRunning + 1) / limit : 1;
    pod.cpuRunning++;
    pod.cpuUsedUs += cpuUs;
    const wallUs = pod.node.cpu.begin(cpuUs, pod.throttle) * limitSlowdown + (serviceUs - cpuUs);
    this.sim.schedule(wallUs + pod.faultLatencyUs, this.afterService, work);
  }

  /** The version's declared failure rate, then a fault's error rate: each a draw of its own stream. */
  private drawFailure(work: Work, shadow: boolean): void {
    const pod = work.pod;
    const svc = pod.service;
    const version = pod.version;
    if (version.failure.rate > 0 && (shadow ? svc.shadowStreams.failure : svc.failureStream)() < version.failure.rate)
      work.status = version.failure.status;
    if (pod.faultErrorRate > 0 && svc.faultStream() < pod.faultErrorRate) work.status = pod.faultErrorStatus;
  }

  private readonly afterService = (work: Work): void => {
    work.pod.node.cpu.end();
    work.pod.cpuRunning--;
    if (work.settled) return;
    if (work.status !== 200) this.settle(work, work.status, true);
    else this.nextCall(work);
  };

  private nextCall(work: Work): void {
    const calls = work.pod.service.model.calls;
    // Calls limited to other versions are skipped by this pod.
    while (work.nextCall < calls.length && !callsFrom(calls[work.nextCall]!, work.pod)) work.nextCall++;
    if (work.nextCall >= calls.length) {
      this.settle(work, 200, true);
      return;
    }
    const index = work.nextCall++;
    const model = calls[index]!;
    // Copying headers (and amendments the server side made) only for apps that propagate some.
    const call =
      work.pod.service.model.propagateHeaders.length > 0 ? withPropagatedHeaders(model, work, this.amended.get(work.call)) : model;
    const target = work.pod.service.callTargets[index] ?? this.resolveCall(work.pod.service, index);
    work.outCall = call;
    work.outTarget = target;
    work.retriesLeft = call.retries;
    this.callOut(work.pod, target, call, work.call, this.answered, call.timeoutUs, work);
  }

  /** The app's own client: a timeout gives up on the call (status 0); failures are retried as configured. */
  private readonly answered = ({ status }: { readonly status: number }, answering: AppCall): void => {
    const work = answering.owner as Work;
    if (work.settled) return;
    const call = work.outCall!;
    if (isFailure(status) && work.retriesLeft > 0) {
      work.retriesLeft--;
      this.callOut(work.pod, work.outTarget!, call, work.call, this.answered, call.timeoutUs, work);
    } else if (isFailure(status) && call.onFailure === 'fail') this.settle(work, FAILED_CALL_STATUS, true);
    else this.nextCall(work);
  };

  /**
   * A call a proxy makes itself (a sidecar's ext_authz check on its pod's behalf, or a waypoint's),
   * through the same path as the app's calls, so it is seen on the edge and in traces.
   */
  callFrom(from: Caller, call: CallModel, parent: AppCall, done: (status: number) => void, timeoutUs?: number): void {
    this.callOut(from, this.resolve(call.service), call, parent, (r) => done(r.status), timeoutUs);
  }

  /** The service of `svc`'s call `index`, looked up by name once (services never change during a run). */
  private resolveCall(svc: ServiceRt, index: number): ServiceRt {
    return (svc.callTargets[index] = this.resolve(svc.model.calls[index]!.service));
  }

  /** Set by the simulation once services exist (calls name services by key). */
  resolve: (key: string) => ServiceRt = () => {
    throw new Error('PodBehaviour.resolve not set');
  };

  private settle(work: Work, status: number, releaseSlot: boolean): void {
    work.settled = true;
    const pod = work.pod;
    if (releaseSlot) {
      const works = work.tracked;
      works.delete(work);
      pod.slots.release();
      if (works.size === 0 && this.idleWaiters.size > 0) this.wakeIdleWaiter(pod);
    }
    // Counted by the end-user request's start, so every mode counts the same requests (common random numbers).
    if (work.call.rootStartUs >= this.warmupUs) {
      const latencyUs = this.sim.now - work.arrivedUs;
      pod.served++;
      pod.service.stats.record(status, '', latencyUs);
    }
    this.onServed?.(pod, work.call, status, work.arrivedUs, work.mtls);
    work.respond(status, work.arg);
  }

  /** The pod holds no request now: a drain waiting for that goes on, after this answer is on its way (the app exits). */
  private wakeIdleWaiter(pod: PodRt): void {
    const waiter = this.idleWaiters.get(pod);
    if (!waiter) return;
    this.idleWaiters.delete(pod);
    this.sim.schedule(0, waiter, undefined);
  }

  /**
   * Told of every request a pod answered (or lost to a crash), at its end: the server side's view.
   * Plain arguments, so a run nothing watches this way makes no record per request.
   */
  onServed?: (pod: PodRt, call: AppCall, status: number, arrivedUs: number, mtls: boolean) => void;
}

/** One request as the pod (and its server-side proxy) saw it: every attempt, retries included. */
export interface ServedRecord {
  pod: PodRt;
  call: AppCall;
  status: number;
  arrivedUs: number;
  endUs: number;
  mtls: boolean;
}

const callsFrom = (call: CallModel, pod: PodRt) => call.versions === undefined || call.versions.includes(pod.version.name);

/** A request as the server-side proxy handed it to the app: `headers` replace the request's; the token may be gone. */
export interface Amended {
  stripJwt: boolean;
  headers: Record<string, string>;
}

/** The header that carries a token onward when the app copies it: its header, or `cookie`; a query parameter never (each call has its own path). */
const tokenCarrier = (loc: JwtLocation) => ('header' in loc ? loc.header : 'cookie' in loc ? 'cookie' : undefined);

/** The call as the app sends it: with the headers it copies from the request it is serving. */
function withPropagatedHeaders(call: CallModel, work: Work, amended?: Amended): CallModel {
  const names = work.pod.service.model.propagateHeaders;
  if (names.length === 0) return call;
  const inbound = amended ? amended.headers : work.call.req.headers;
  const copied: Record<string, string> = {};
  for (const [k, v] of Object.entries(inbound)) if (names.includes(k.toLowerCase())) copied[k] = v;
  // The app forwards the JWT if it copies the header (or cookie) carrying it and its sidecar did
  // not remove it (RequestAuthentication forwardOriginalToken: false, the default).
  const token = work.call.req.jwt;
  const carrier = token && tokenCarrier(token.location);
  const jwt = carrier !== undefined && names.includes(carrier) && !amended?.stripJwt ? token : undefined;
  return { ...call, headers: { ...copied, ...call.headers }, ...(jwt ? { jwt } : {}) };
}
