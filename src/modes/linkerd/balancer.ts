/**
 * One Linkerd balancer: a client proxy's view of one concrete backend (a Service), with its
 * endpoints' peak-EWMA load, their failure-accrual breakers, their readiness and the queue in front
 * (linkerd/linkerd2-proxy linkerd/proxy/balance/queue/src/{worker,failfast}.rs,
 * linkerd/app/outbound/src/http/concrete.rs):
 *
 * - requests that find no ready endpoint wait in the queue (capacity 10 000);
 * - if no endpoint becomes ready within the fail-fast timeout (3 s outbound), the queued requests
 *   fail (504) and the balancer enters fail-fast: new requests are load-shed at once (503) until
 *   an endpoint is ready again (https://linkerd.io/2-edge/reference/circuit-breaking/).
 * An endpoint is not ready while its breaker is shut or while it waits to reconnect after a
 * refused/failed connect (reconnect back-off 100 ms → 60 s, jitter 0.1; chart values.yaml).
 */
import type { Uniform } from '../../kernel/random.js';
import type { ScheduledEvent, Simulator } from '../../kernel/simulator.js';
import type { PodRt } from '../../world/entities.js';
import { ConsecutiveFailuresBreaker, type BreakerEvent, type FailureAccrualConfig } from '../../policy/linkerd/failure-accrual.js';
import { p2cPick, PeakEwma } from '../../policy/linkerd/peak-ewma.js';

export interface Endpoint {
  pod: PodRt;
  ewma: PeakEwma;
  breaker?: ConsecutiveFailuresBreaker;
  /** Not ready until then (reconnect back-off). */
  reconnectAtUs: number;
  reconnects: number;
}

export interface BalancerOptions {
  sim: Simulator;
  pods: () => readonly PodRt[];
  random: Uniform;
  jitter: Uniform;
  failureAccrual?: FailureAccrualConfig;
  queueCapacity: number;
  failfastUs: number;
  defaultRttUs: number;
  rttDecayUs: number;
  onBreaker: (pod: PodRt, e: BreakerEvent) => void;
}

const RECONNECT = { minUs: 100_000, maxUs: 60_000_000, jitter: 0.1 };

export type Waiter = (ep: Endpoint | 'failfast' | 'loadshed') => void;

export class Balancer {
  private readonly endpoints = new Map<PodRt, Endpoint>();
  private readonly queue: Waiter[] = [];
  private failfast = false;
  private failfastTimer?: ScheduledEvent;
  private wakeAtUs = Infinity;

  constructor(private readonly o: BalancerOptions) {}

  private endpoint(pod: PodRt): Endpoint {
    let ep = this.endpoints.get(pod);
    if (!ep) {
      ep = { pod, ewma: new PeakEwma(this.o.sim.now, this.o.rttDecayUs, this.o.defaultRttUs), reconnectAtUs: 0, reconnects: 0 };
      if (this.o.failureAccrual) ep.breaker = new ConsecutiveFailuresBreaker(this.o.failureAccrual, this.o.jitter);
      this.endpoints.set(pod, ep);
    }
    return ep;
  }

  private ready(now: number): Endpoint[] {
    const out: Endpoint[] = [];
    for (const pod of this.o.pods()) {
      const ep = this.endpoint(pod);
      if (ep.reconnectAtUs > now) continue;
      const events: BreakerEvent[] = [];
      const ok = !ep.breaker || ep.breaker.isReady(now, events);
      for (const e of events) this.o.onBreaker(pod, e);
      if (ok) out.push(ep);
    }
    return out;
  }

  /** Picks an endpoint for a request now, or queues it (`then` is called once either way). */
  acquire(then: Waiter): void {
    const now = this.o.sim.now;
    const ready = this.ready(now);
    if (ready.length > 0) {
      this.leaveFailfast();
      then(this.dispatch(ready, now));
      return;
    }
    if (this.failfast) {
      then('loadshed');
      return;
    }
    // tower::buffer admits capacity + 1 items.
    if (this.queue.length > this.o.queueCapacity) {
      then('loadshed');
      return;
    }
    this.queue.push(then);
    this.failfastTimer ??= this.o.sim.scheduleCancellable(this.o.failfastUs, () => this.enterFailfast(), undefined);
    this.scheduleWake(now);
  }

  private dispatch(ready: Endpoint[], now: number): Endpoint {
    const i = p2cPick(
      ready.map((e) => e.ewma),
      now,
      this.o.random,
    );
    const ep = ready[i]!;
    ep.breaker?.admit(now);
    return ep;
  }

  private enterFailfast(): void {
    this.failfastTimer = undefined;
    if (this.ready(this.o.sim.now).length > 0) return this.drain();
    this.failfast = true;
    const waiting = this.queue.splice(0);
    for (const w of waiting) w('failfast');
  }

  private leaveFailfast(): void {
    this.failfast = false;
    this.o.sim.cancel(this.failfastTimer);
    this.failfastTimer = undefined;
  }

  /** Wakes the queue when the earliest not-ready endpoint may become ready. */
  private scheduleWake(now: number): void {
    let next = Infinity;
    for (const ep of this.endpoints.values()) {
      if (ep.reconnectAtUs > now) next = Math.min(next, ep.reconnectAtUs);
      const r = ep.breaker?.reopensAtUs;
      if (r !== undefined && r > now) next = Math.min(next, r);
    }
    if (next === Infinity || next >= this.wakeAtUs) return;
    this.wakeAtUs = next;
    this.o.sim.schedule(
      next - now,
      () => {
        this.wakeAtUs = Infinity;
        this.drain();
      },
      undefined,
    );
  }

  /** Endpoint readiness may have changed: serve queued requests (or re-arm the wake-up). */
  drain(): void {
    const now = this.o.sim.now;
    while (this.queue.length > 0) {
      const ready = this.ready(now);
      if (ready.length === 0) {
        this.scheduleWake(now);
        return;
      }
      this.leaveFailfast();
      (this.queue.shift() as Waiter)(this.dispatch(ready, now));
    }
    if (this.failfast && this.ready(now).length > 0) this.leaveFailfast();
    else if (this.failfast) this.scheduleWake(now);
  }

  /** A connect to the endpoint failed: it is not ready until its reconnect back-off ends. */
  connectFailed(ep: Endpoint): void {
    const base = Math.min(RECONNECT.minUs * 2 ** ep.reconnects, RECONNECT.maxUs);
    ep.reconnects++;
    ep.reconnectAtUs = this.o.sim.now + base + this.o.jitter() * RECONNECT.jitter * base;
  }

  connected(ep: Endpoint): void {
    ep.reconnects = 0;
  }

  /** The classified result of a request the endpoint answered. */
  result(ep: Endpoint, failure: boolean): void {
    const events: BreakerEvent[] = [];
    ep.breaker?.onResult(!failure, this.o.sim.now, events);
    for (const e of events) this.o.onBreaker(ep.pod, e);
    if (ep.breaker?.state === 'probation' || ep.breaker?.state === 'available') this.drain();
  }
}
