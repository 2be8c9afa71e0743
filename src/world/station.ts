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

  constructor(readonly servers: number) {}

  /** Calls `start(arg)` now if a server is free, otherwise when one frees up (FIFO). */
  acquire<A>(start: Start<A>, arg: A): void {
    if (this.hasFree) {
      this.busy++;
      start(arg);
    } else this.wait(start, arg);
  }

  /** Whether a server is free now (then `take` it). */
  get hasFree(): boolean {
    return this.busy < this.servers;
  }

  /** Queues `start(arg)` for the next server freed (FIFO), for a caller that found none free. */
  wait<A>(start: Start<A>, arg: A): void {
    this.waiting.push(start);
    this.waiting.push(arg);
  }

  /** Takes a server the caller knows is free (busy < servers), with no job to start. */
  take(): void {
    this.busy++;
  }

  /** Jobs waiting for a server. */
  get queued(): number {
    return this.waiting.length / 2;
  }

  /** Frees a server; the longest-waiting job (if any) takes it at once. */
  release(): void {
    const next = this.waiting.shift() as Start<unknown> | undefined;
    if (next) next(this.waiting.shift());
    else this.busy--;
  }

  /** Forgets every holder and waiter (the pod crashed; their work is settled elsewhere). */
  reset(): void {
    this.busy = 0;
    this.waiting.clear();
  }
}
