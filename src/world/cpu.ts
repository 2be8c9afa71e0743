/**
 * A node's CPU, shared by the apps and proxies on it.
 *
 * Approximation of processor sharing: a piece of work that starts while `running` others are
 * already executing on a node with `cores` cores is stretched by max(1, (running + 1) / cores) for
 * its whole length. Exact processor sharing would re-time every running job at each start and end;
 * this costs O(1) per job and gives the same mean slowdown in steady state. Below saturation it
 * changes nothing, so queueing-theory checks are exact there.
 */
export class NodeCpu {
  running = 0;
  /** CPU time consumed on this node (µs of one core). */
  usedUs = 0;

  /** Saturation record, for the run-time warning: CPU work that started while demand exceeded the cores. */
  readonly saturation = { firstUs: -1, workUs: 0, stretchedUs: 0, maxSlowdown: 1 };
  /** Simulated clock, for when saturation starts (set by the simulation). */
  clock?: { readonly now: number };

  constructor(readonly cores: number) {}

  /** Begins `workUs` of CPU work; returns its wall-clock duration. Call `end()` when it finishes. */
  begin(workUs: number, throttle = 1): number {
    const slowdown = this.running + 1 > this.cores ? (this.running + 1) / this.cores : 1;
    this.running++;
    this.usedUs += workUs;
    if (slowdown > 1) {
      const s = this.saturation;
      if (s.firstUs < 0) s.firstUs = this.clock?.now ?? 0;
      s.workUs += workUs;
      s.stretchedUs += workUs * slowdown;
      if (slowdown > s.maxSlowdown) s.maxSlowdown = slowdown;
    }
    return (workUs * slowdown) / throttle;
  }

  end(): void {
    this.running--;
  }
}
