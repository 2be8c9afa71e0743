/**
 * A multi-server FIFO station: a pod's concurrency slots, or a proxy's worker threads.
 * A job waits in arrival order until one of `servers` is free; whoever holds a server releases it.
 */
import { Fifo } from './fifo.js';

export type Start = () => void;

export class Station {
  busy = 0;
  private readonly waiting = new Fifo<Start>();
  /** Integral of busy servers over time (µs), for utilisation. */
  private busyArea = 0;
  private lastChange = 0;

  constructor(readonly servers: number, private readonly clock: { now: number }) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Calls `start` now if a server is free, otherwise when one frees up (FIFO). */
  acquire(start: Start): void {
    if (this.busy < this.servers) {
      this.account();
      this.busy++;
      start();
    } else {
      this.waiting.push(start);
    }
  }

  /** Frees a server; the longest-waiting job (if any) takes it at once. */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
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
