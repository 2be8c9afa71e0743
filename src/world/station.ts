/**
 * A multi-server FIFO station: a pod's concurrency slots, or a proxy's worker threads.
 * A job waits in arrival order until one of `servers` is free; whoever holds a server releases it.
 */
import { Fifo } from './fifo.js';

export type Start<A> = (arg: A) => void;

export class Station {
  busy = 0;
  /** Waiting jobs as (start, arg) pairs, flattened so queueing allocates nothing per job. */
  private readonly waiting = new Fifo<unknown>();
  /** Integral of busy servers over time (µs), for utilisation. */
  private busyArea = 0;
  private lastChange = 0;

  constructor(readonly servers: number, private readonly clock: { now: number }) {}

  get queued(): number {
    return this.waiting.length / 2;
  }

  /** Calls `start(arg)` now if a server is free, otherwise when one frees up (FIFO). */
  acquire<A>(start: Start<A>, arg: A): void {
    if (this.busy < this.servers) {
      this.account();
      this.busy++;
      start(arg);
    } else {
      this.waiting.push(start);
      this.waiting.push(arg);
    }
  }

  /** Frees a server; the longest-waiting job (if any) takes it at once. */
  release(): void {
    const next = this.waiting.shift() as Start<unknown> | undefined;
    if (next) {
      next(this.waiting.shift());
    } else {
      this.account();
      this.busy--;
    }
  }

  /** Forgets every holder and waiter (the pod crashed; their work is settled elsewhere). */
  reset(): void {
    this.account();
    this.busy = 0;
    this.waiting.drain();
  }

  /** Mean busy servers from t=0 to now. */
  meanBusy(now: number): number {
    this.account();
    return now > 0 ? this.busyArea / now : 0;
  }

  private account(): void {
    const now = this.clock.now;
    this.busyArea += this.busy * (now - this.lastChange);
    this.lastChange = now;
  }
}
