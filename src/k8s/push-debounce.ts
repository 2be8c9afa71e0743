/**
 * istiod's push debounce: the first change opens a window; each further change restarts the
 * quiet timer; the merged push goes out once nothing changed for PILOT_DEBOUNCE_AFTER (100 ms) or
 * the window has been open for PILOT_DEBOUNCE_MAX (10 s). Only one debounced push is in flight at a
 * time; changes arriving meanwhile wait for the next one. EDS (endpoint) updates are debounced too
 * (PILOT_ENABLE_EDS_DEBOUNCE=true).
 *
 * istio/istio pilot/pkg/xds/discovery.go (debounce, pushWorker), pilot/pkg/features/tuning.go.
 */
import type { Simulator } from '../kernel/simulator.js';
import { PILOT_DEBOUNCE_AFTER_US, PILOT_DEBOUNCE_MAX_US } from './defaults.js';

export interface DebounceOptions {
  afterUs: number;
  maxUs: number;
  /** Time a push takes to reach every proxy once it starts. */
  pushUs: number;
}

export const ISTIOD_DEBOUNCE: DebounceOptions = { afterUs: PILOT_DEBOUNCE_AFTER_US, maxUs: PILOT_DEBOUNCE_MAX_US, pushUs: 0 };

export class PushDebouncer<T> {
  private pending: T[] = [];
  private windowStartUs = 0;
  private lastChangeUs = 0;
  private timerArmed = false;
  private pushing = false;
  private paused = false;

  constructor(
    private readonly sim: Simulator,
    /** Delivers a merged push: every change since the last one, oldest first. */
    private readonly deliver: (changes: T[]) => void,
    private readonly opts: DebounceOptions = ISTIOD_DEBOUNCE,
  ) {}

  /** A change istiod has seen (an EndpointSlice update, a config change). */
  enqueue(change: T): void {
    const now = this.sim.now;
    if (this.pending.length === 0) this.windowStartUs = now;
    this.pending.push(change);
    this.lastChangeUs = now;
    if (!this.timerArmed && !this.paused) this.arm(this.opts.afterUs);
  }

  /** istiod is down: nothing is pushed; changes pile up. */
  pause(): void {
    this.paused = true;
  }

  /** istiod is back: proxies reconnect and get the current state (the pile) in one push. */
  resume(): void {
    this.paused = false;
    if (this.pending.length > 0 && !this.timerArmed) {
      this.windowStartUs = this.sim.now;
      this.lastChangeUs = this.sim.now;
      this.arm(this.opts.afterUs);
    }
  }

  private arm(delayUs: number): void {
    this.timerArmed = true;
    this.sim.schedule(delayUs, this.fire, undefined);
  }

  private readonly fire = (): void => {
    this.timerArmed = false;
    if (this.paused || this.pending.length === 0) return;
    const now = this.sim.now;
    const quiet = now - this.lastChangeUs;
    const open = now - this.windowStartUs;
    if (quiet >= this.opts.afterUs || open >= this.opts.maxUs) {
      if (this.pushing) return; // pushDone re-checks
      this.push();
    } else this.arm(Math.min(this.opts.afterUs - quiet, this.opts.maxUs - open));
  };

  private push(): void {
    const changes = this.pending;
    this.pending = [];
    this.pushing = true;
    this.sim.schedule(
      this.opts.pushUs,
      () => {
        this.pushing = false;
        this.deliver(changes);
        // Changes that came in during the push start their own window now.
        if (this.pending.length > 0 && !this.timerArmed && !this.paused) this.fire();
      },
      undefined,
    );
  }
}

/**
 * kube-proxy (mode none): rules are re-synced on an EndpointSlice change, but at most once per
 * minSyncPeriod (1 s). kubernetes/kubernetes pkg/proxy/iptables/proxier.go (syncRunner,
 * BoundedFrequencyRunner with minSyncPeriod); kube-proxy.md (--iptables-min-sync-period 1s).
 */
export class MinIntervalSync<T> {
  private pending: T[] = [];
  private lastSyncUs = -Infinity;
  private armed = false;

  constructor(
    private readonly sim: Simulator,
    private readonly deliver: (changes: T[]) => void,
    private readonly minIntervalUs: number,
  ) {}

  enqueue(change: T): void {
    this.pending.push(change);
    if (this.armed) return;
    this.armed = true;
    this.sim.at(Math.max(this.sim.now, this.lastSyncUs + this.minIntervalUs), this.sync, undefined);
  }

  private readonly sync = (): void => {
    this.armed = false;
    this.lastSyncUs = this.sim.now;
    const changes = this.pending;
    this.pending = [];
    this.deliver(changes);
  };
}
