/**
 * The event loop. Knows nothing of meshes.
 *
 * TIME UNIT: simulated time everywhere inside a run is a float64 count of MICROSECONDS since t=0.
 * Durations from the scenario are converted to microseconds at the edge (config/units.ts).
 *
 * Events are ordered by (time, scheduling sequence number) and nothing else, so runs are
 * reproducible. Cancellation is lazy: a cancelled event stays in the heap and is skipped when
 * popped. Events nobody can cancel are recycled through a free list (fewer allocations and GC
 * pauses on the hot path); cancellable ones are handed to the caller and never reused.
 */
import FastPriorityQueue from 'fastpriorityqueue';
import { objectArray } from './object-array.js';

export type EventHandler<A> = (arg: A) => void;

/** A handle to a scheduled event; only `cancel` it, never mutate it. */
export interface ScheduledEvent {
  time: number;
  seq: number;
  cancelled: boolean;
  recyclable: boolean;
  /** Stored untyped so one heap holds events of every argument type. */
  fn: EventHandler<never>;
  arg: unknown;
}

/** The queue on an array that holds objects from the start (object-array.ts; heapify is its public way in). */
function withObjectArray(q: FastPriorityQueue<ScheduledEvent>): FastPriorityQueue<ScheduledEvent> {
  q.heapify(objectArray());
  return q;
}

function earlier(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class Simulator {
  /** Current simulated time (µs). */
  now = 0;
  /** Events executed so far (cancelled ones are not counted). */
  processed = 0;
  private nextSeq = 0;
  /** Sequence number of the event now running; Infinity between runs (every event up to `now` has run). */
  private currentSeq = Infinity;
  private readonly heap = withObjectArray(new FastPriorityQueue<ScheduledEvent>(earlier));
  private readonly free: ScheduledEvent[] = objectArray();
  /**
   * While an event runs it is still at the top of the heap; the first event its handler schedules
   * replaces it there (one sift-down instead of a pop plus a push: the classic "hold" speed-up).
   */
  private topIsSpent = false;
  /**
   * That first event, put in the spent top's place by `run` once the handler returns: the heap's
   * sift-down is then compiled into `run` alone, not inlined into every handler that schedules
   * (V8's inlining budget per function, js-inlining-heuristic.cc, goes to the handlers' own
   * callees). Events are ordered by (time, seq), unique keys, so when the sift happens does not
   * change which event comes out next.
   */
  private held: ScheduledEvent | undefined = undefined;

  /** Schedule `fn(arg)` after `delay` µs (negative delays count as 0). Not cancellable. */
  schedule<A>(delay: number, fn: EventHandler<A>, arg: A): void {
    this.push(this.now + (delay > 0 ? delay : 0), fn, arg, true);
  }

  /** Schedule `fn(arg)` at absolute time `time` µs (clamped to now). Not cancellable. */
  at<A>(time: number, fn: EventHandler<A>, arg: A): void {
    this.push(time, fn, arg, true);
  }

  /** Like `schedule`, but returns a handle that `cancel` accepts. */
  scheduleCancellable<A>(delay: number, fn: EventHandler<A>, arg: A): ScheduledEvent {
    return this.push(this.now + (delay > 0 ? delay : 0), fn, arg, false);
  }

  /**
   * Takes the sequence number an event scheduled now would get, without scheduling one. A caller
   * that settles some end-of-work lazily (instead of as an event nobody else needs to see) keeps
   * its place in the (time, seq) order with it: `hasPassed` says when that moment is behind the
   * running event, and `atSeq` turns it into a real event if somebody must wait for it.
   */
  reserveSeq(): number {
    return this.nextSeq++;
  }

  /** Whether an event at (`time`, `seq`) would already have run. */
  hasPassed(time: number, seq: number): boolean {
    return time < this.now || (time === this.now && seq < this.currentSeq);
  }

  /** Schedules `fn(arg)` at (`time`, `seq`), a place taken earlier with `reserveSeq`. Not cancellable. */
  atSeq<A>(time: number, seq: number, fn: EventHandler<A>, arg: A): void {
    this.push(time, fn, arg, true, seq);
  }

  cancel(ev: ScheduledEvent | undefined): void {
    if (ev) ev.cancelled = true;
  }

  /** Events waiting in the heap (cancelled ones included until they are skipped). */
  get pending(): number {
    return this.heap.size - (this.topIsSpent ? 1 : 0);
  }

  /** Run events with time <= until; afterwards `now` is `until` (or the last event time if the heap empties). */
  run(until = Infinity): void {
    const heap = this.heap;
    while (heap.size > 0) {
      const ev = heap.peek() as ScheduledEvent;
      if (ev.time > until || this.processed >= this.eventLimit) break;
      if (ev.cancelled) {
        heap.poll();
        continue;
      }
      this.now = ev.time;
      this.currentSeq = ev.seq;
      this.processed++;
      this.topIsSpent = true;
      (ev.fn as EventHandler<unknown>)(ev.arg);
      const held = this.held;
      if (held !== undefined) {
        this.held = undefined;
        heap.replaceTop(held);
      } else if (this.topIsSpent) {
        this.topIsSpent = false;
        heap.poll();
      }
      if (ev.recyclable) {
        ev.arg = undefined;
        this.free.push(ev);
      }
    }
    this.currentSeq = Infinity;
    if (until !== Infinity && until > this.now && !this.halted) this.now = until;
  }

  /** Events the run may execute in all; `run` returns once they are spent (a work budget). */
  eventLimit = Infinity;

  /** Stops the run after the current event: `run` returns and every later `run` does nothing. */
  halt(): void {
    this.eventLimit = this.processed;
  }

  /** Whether the run was stopped (halted, or its event limit spent). */
  get halted(): boolean {
    return this.processed >= this.eventLimit;
  }

  private push<A>(time: number, fn: EventHandler<A>, arg: A, recyclable: boolean, seq = this.nextSeq++): ScheduledEvent {
    const at = time > this.now ? time : this.now;
    const spare = recyclable ? this.free.pop() : undefined;
    const ev = spare !== undefined ? reuse(spare, at, seq, fn, arg) : newEvent(at, seq, recyclable, fn, arg);
    if (this.topIsSpent) {
      this.topIsSpent = false;
      this.held = ev;
    } else {
      this.heap.add(ev);
    }
    return ev;
  }
}

/** A spent event made into a new one (kept out of push so push stays small enough for V8 to inline). */
function reuse<A>(ev: ScheduledEvent, time: number, seq: number, fn: EventHandler<A>, arg: A): ScheduledEvent {
  ev.time = time;
  ev.seq = seq;
  ev.fn = fn;
  ev.arg = arg;
  return ev;
}

function newEvent<A>(time: number, seq: number, recyclable: boolean, fn: EventHandler<A>, arg: A): ScheduledEvent {
  return { time, seq, cancelled: false, recyclable, fn, arg };
}
