/**
 * The node lifecycle controller, for a node that stops (power loss, kernel panic, network gone):
 * its kubelet stops renewing its Lease (every 10 s); the controller, checking every 5 s, turns the
 * node Ready=Unknown once no heartbeat came for node-monitor-grace-period (50 s), marks its pods
 * NotReady at once (MarkPodsNotReady) and taints it node.kubernetes.io/unreachable:NoExecute. Pods
 * tolerate that taint for 300 s (DefaultTolerationSeconds); then they are evicted (deleted). The dead
 * kubelet never confirms, so they stay Terminating, but their ReplicaSets replace them at once.
 *
 * kubernetes/kubernetes pkg/controller/nodelifecycle/node_lifecycle_controller.go (monitorNodeHealth,
 * processTaintBaseEviction), pkg/controller/tainteviction; kubernetes/kubernetes#126287 (50 s);
 * kubernetes/website …/reference/command-line-tools-reference/kube-apiserver.md (300 s tolerations).
 */
import type { Simulator } from '../kernel/simulator.js';
import type { NodeRt } from '../world/entities.js';
import { DEFAULT_TOLERATION_US, NODE_LEASE_RENEW_US, NODE_MONITOR_GRACE_US, NODE_MONITOR_PERIOD_US } from './defaults.js';

/** When the controller declares a node that stopped at `stopUs` NotReady (Unknown). */
export function nodeNotReadyAtUs(stopUs: number): number {
  // The last Lease renewal before the stop (renewals at multiples of 10 s from t=0).
  const lastHeartbeat = Math.floor(stopUs / NODE_LEASE_RENEW_US) * NODE_LEASE_RENEW_US;
  // The first 5 s monitor tick at which more than the grace period has passed since then.
  return (Math.floor((lastHeartbeat + NODE_MONITOR_GRACE_US) / NODE_MONITOR_PERIOD_US) + 1) * NODE_MONITOR_PERIOD_US;
}

export interface NodeLifecycleHooks {
  /** The node stopped: its pods' containers are gone and packets to them are dropped. */
  stopped(node: NodeRt): void;
  /** Ready=Unknown: pods marked NotReady, unreachable taint set. */
  notReady(node: NodeRt): void;
  /** The toleration ran out: evict (delete) its pods. */
  evict(node: NodeRt): void;
  /** The kubelet is back. */
  recovered(node: NodeRt): void;
}

export class NodeLifecycleController {
  private readonly down = new Map<NodeRt, number>();
  private readonly tainted = new Set<NodeRt>();
  private readonly cordoned = new Set<NodeRt>();

  constructor(
    private readonly sim: Simulator,
    private readonly hooks: NodeLifecycleHooks,
    private readonly tolerationUs = DEFAULT_TOLERATION_US,
  ) {}

  /** Whether the node's kubelet is running. */
  isUp(node: NodeRt): boolean {
    return !this.down.has(node);
  }

  /** Whether the scheduler may place pods there (Ready, no NoExecute/NoSchedule taint, not cordoned). */
  schedulable(node: NodeRt): boolean {
    return this.isUp(node) && !this.tainted.has(node) && !this.cordoned.has(node);
  }

  /** The cluster autoscaler's ToBeDeletedByClusterAutoscaler:NoSchedule taint: no new pods, those there stay until drained. */
  cordon(node: NodeRt): void {
    this.cordoned.add(node);
  }

  fail(node: NodeRt): void {
    if (this.down.has(node)) return;
    const epoch = this.sim.now;
    this.down.set(node, epoch);
    this.hooks.stopped(node);
    const still = () => this.down.get(node) === epoch;
    this.sim.at(
      nodeNotReadyAtUs(epoch),
      () => {
        if (!still()) return;
        this.tainted.add(node);
        this.hooks.notReady(node);
        this.sim.schedule(
          this.tolerationUs,
          () => {
            if (still()) this.hooks.evict(node);
          },
          undefined,
        );
      },
      undefined,
    );
  }

  recover(node: NodeRt): void {
    if (!this.down.delete(node)) return;
    this.tainted.delete(node);
    this.hooks.recovered(node);
  }
}
