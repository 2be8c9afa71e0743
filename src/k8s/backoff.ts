/**
 * CrashLoopBackOff for one container with restartPolicy Always. The kubelet restarts a container
 * that exits at once the first time; after that it waits 10 s, then 20, 40, … capped at 300 s,
 * measured from the container's exit. A container that ran for more than 10 min (2 × the cap)
 * since the previous exit starts over from an immediate restart.
 *
 * kubernetes/kubernetes pkg/kubelet/kuberuntime/kuberuntime_manager.go (doBackOff:
 * IsInBackOffSince then Next), pkg/util/flowcontrol/backoff.go (Next doubles up to the max;
 * hasExpired after 2 × maxDuration); kubernetes/website …/concepts/workloads/pods/pod-lifecycle.md.
 */
import { CRASH_BACKOFF_INITIAL_US, CRASH_BACKOFF_MAX_US, CRASH_BACKOFF_RESET_US } from './defaults.js';

export class CrashLoopBackOff {
  private backoffUs = 0;
  private lastExitUs: number | undefined;

  constructor(
    private readonly initialUs = CRASH_BACKOFF_INITIAL_US,
    private readonly maxUs = CRASH_BACKOFF_MAX_US,
    private readonly resetUs = CRASH_BACKOFF_RESET_US,
  ) {}

  /** The container exited at `exitUs`: how long after that the kubelet starts it again. */
  onExit(exitUs: number): number {
    const fresh = this.lastExitUs === undefined || exitUs - this.lastExitUs > this.resetUs;
    const delay = fresh ? 0 : this.backoffUs;
    // flowcontrol.Backoff.Next: the initial period on a fresh entry, else doubled up to the cap.
    this.backoffUs = fresh ? this.initialUs : Math.min(this.backoffUs * 2, this.maxUs);
    this.lastExitUs = exitUs;
    return delay;
  }

  /** The back-off the next exit would wait (for events and `kubectl describe`-like reports). */
  get currentUs(): number {
    return this.backoffUs;
  }
}
