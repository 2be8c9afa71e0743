/**
 * A node's CPU, shared by the apps and proxies on it.
 *
 * Approximation of processor sharing: a piece of work that starts while `running` others are
 * already executing on a node with `cores` cores is stretched by max(1, (running + 1) / cores) for
 * its whole length. Exact processor sharing would re-time every running job at each start and end;
 * this costs O(1) per job and gives the same mean slowdown in steady state. Below saturation it
 * changes nothing, so queueing-theory checks are exact there.
 */
import { objectArray } from '../kernel/object-array.js';
import { DOUBLE_ZERO } from '../kernel/stable-shapes.js';

/**
 * The end of a piece of work, kept off the event heap: its owner took the (time, seq) place its
 * end event would have had (Simulator.reserveSeq), and `settle` does what that event would have
 * done. Worth it for work whose end only frees capacity nobody is waiting for.
 */
export interface DeferredEnd {
  readonly time: number;
  readonly seq: number;
  readonly owner: object;
  settle(): void;
}

/** The simulated clock as NodeCpu needs it (the Simulator). */
export interface CpuClock {
  readonly now: number;
  hasPassed(time: number, seq: number): boolean;
}

export class NodeCpu {
  running = 0;
  /** CPU time consumed on this node (µs of one core). */
  usedUs = DOUBLE_ZERO;

  /** Saturation record, for the run-time warning: CPU work that started while demand exceeded the cores. */
  readonly saturation = { firstUs: -1, workUs: 0, stretchedUs: 0, maxSlowdown: 1 };
  /** Simulated clock, for when saturation starts and when deferred ends are due (set by the simulation). */
  clock?: CpuClock;
  /** Ends of work on this node not yet settled (unordered; few: one per busy proxy worker). */
  private readonly deferred: DeferredEnd[] = objectArray();
  /** No deferred end is due before this time (a lower bound: the scan is skipped while the clock is short of it). */
  private earliestDeferredUs = Infinity;

  constructor(readonly cores: number) {}

  /** Begins `workUs` of CPU work; returns its wall-clock duration. Call `end()` when it finishes. */
  begin(workUs: number, throttle = 1): number {
    // settlePassed's test, written out: V8 inlines begin into each leg and pod, not always what it calls.
    const clock = this.clock;
    if (clock !== undefined && clock.now >= this.earliestDeferredUs) this.settleDue(clock);
    const slowdown = this.running + 1 > this.cores ? (this.running + 1) / this.cores : 1;
    this.running++;
    this.usedUs += workUs;
    if (slowdown > 1) this.saturated(workUs, slowdown);
    return (workUs * slowdown) / throttle;
  }

  /** Records work that started while demand exceeded the cores (apart from begin: rare, and begin is inlined). */
  private saturated(workUs: number, slowdown: number): void {
    const s = this.saturation;
    if (s.firstUs < 0) s.firstUs = this.clock?.now ?? 0;
    s.workUs += workUs;
    s.stretchedUs += workUs * slowdown;
    if (slowdown > s.maxSlowdown) s.maxSlowdown = slowdown;
  }

  end(): void {
    this.running--;
  }

  /** Records an end to settle once the clock has passed it (its `settle` must call `end()`). */
  defer(end: DeferredEnd): void {
    this.deferred.push(end);
    if (end.time < this.earliestDeferredUs) this.earliestDeferredUs = end.time;
  }

  /**
   * Settles every deferred end whose moment has passed, as their events would have run by now.
   * Their order does not matter: each only frees capacity (nobody waits on it; see takeDeferred).
   */
  settlePassed(): void {
    const clock = this.clock;
    if (clock !== undefined && clock.now >= this.earliestDeferredUs) this.settleDue(clock);
  }

  /** settlePassed once some end may be due (apart, so the test before it inlines where it is called). */
  private settleDue(clock: CpuClock): void {
    const d = this.deferred;
    let earliest = Infinity;
    for (let i = 0; i < d.length;) {
      const e = d[i]!;
      if (clock.hasPassed(e.time, e.seq)) {
        d[i] = d[d.length - 1]!;
        d.pop();
        e.settle();
      } else {
        if (e.time < earliest) earliest = e.time;
        i++;
      }
    }
    this.earliestDeferredUs = earliest;
  }

  /** Removes and returns `owner`'s deferred ends (it now needs them as real events: somebody waits). */
  takeDeferred(owner: object): DeferredEnd[] {
    const mine: DeferredEnd[] = [];
    const d = this.deferred;
    for (let i = 0; i < d.length;) {
      const e = d[i]!;
      if (e.owner === owner) {
        mine.push(e);
        d[i] = d[d.length - 1]!;
        d.pop();
      } else i++;
    }
    return mine;
  }
}
