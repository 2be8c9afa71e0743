/**
 * The cluster autoscaler during a run (`cluster.autoscale: {min, max, provisioningDelay}`), as
 * kubernetes/autoscaler's cluster-autoscaler decides, with its defaults
 * (https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/FAQ.md, "What are the
 * parameters to CA?"; cluster-autoscaler/config/flags):
 * - it looks at the cluster every `--scan-interval`, 10 s;
 * - scale-up: pods that failed to schedule (Pending by their requests) and would fit on a new node of
 *   the group's shape make it add as many nodes as its bin-packing estimate says
 *   (estimator/binpacking_estimator.go), minus nodes already on their way, within `max`; a new node
 *   is Ready after the cloud's provisioning time (`provisioningDelay`), then the Pending pods are
 *   scheduled there;
 * - scale-down: a node whose requested CPU and memory (DaemonSet pods included,
 *   `--ignore-daemonsets-utilization=false`) are both below `--scale-down-utilization-threshold` 0.5
 *   of allocatable, and whose pods fit on the other nodes, is unneeded; once unneeded for
 *   `--scale-down-unneeded-time` 10 min (and no scale-up in the last `--scale-down-delay-after-add`
 *   10 min), it is tainted, its pods are evicted (gracefully; their ReplicaSets recreate them on the
 *   other nodes) and the node is deleted once they are gone; never below `min`. One node at a time.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { NodeModel } from '../config/model.js';
import type { NodeRt, PodRt } from '../world/entities.js';
import type { EventSink } from './events.js';
import { estimateNodes, type DaemonSetSpec, type PodRequest, type Scheduler, type SchedNode } from './scheduler.js';

/** `--scan-interval` default. */
export const CA_SCAN_INTERVAL_US = 10e6;
/** `--scale-down-unneeded-time` default. */
export const CA_SCALE_DOWN_UNNEEDED_US = 600e6;
/** `--scale-down-delay-after-add` default. */
export const CA_SCALE_DOWN_DELAY_AFTER_ADD_US = 600e6;
/** `--scale-down-utilization-threshold` default. */
export const CA_SCALE_DOWN_UTILIZATION = 0.5;

/** What the autoscaler needs from the cluster. */
export interface AutoscalerCluster {
  /** Nodes that exist now (not removed), in order. */
  nodes(): NodeRt[];
  pendingPods(): PodRt[];
  /** Pods on a node that are not terminated. */
  podsOn(node: NodeRt): PodRt[];
  podRequest(pod: PodRt): PodRequest;
  /** A new node of `model` is Ready: build it, give it its DaemonSet pods, schedule Pending pods. */
  addNode(model: NodeModel): NodeRt;
  /** Taint the node (no new pods) and evict its pods gracefully. */
  drain(node: NodeRt): void;
  /** The node is deleted (its pods are gone). */
  removeNode(node: NodeRt): void;
}

export interface AutoscaleSettings {
  min: number;
  max: number;
  provisioningDelayUs: number;
  /** The node group's shape (the first node of spec.cluster.nodes). */
  template: NodeModel;
  daemonSets: readonly DaemonSetSpec[];
}

const schedNode = (n: NodeModel): SchedNode => ({ name: n.name, zone: n.zone, cpu: n.cpu, memory: n.memoryBytes });

export class ClusterAutoscaler {
  private provisioning = 0;
  private lastScaleUpUs = -Infinity;
  private readonly unneededSince = new Map<NodeRt, number>();
  private draining?: NodeRt;
  private nextName: number;
  /** Node count after every change: [t (µs), nodes]. */
  readonly timeline: { tUs: number; nodes: number }[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly events: EventSink,
    private readonly cluster: AutoscalerCluster,
    private readonly scheduler: Scheduler,
    private readonly settings: AutoscaleSettings,
  ) {
    this.nextName = cluster.nodes().length;
    this.timeline.push({ tUs: 0, nodes: cluster.nodes().length });
  }

  start(untilUs: number): void {
    for (let t = CA_SCAN_INTERVAL_US; t <= untilUs; t += CA_SCAN_INTERVAL_US) this.sim.at(t, () => this.scan(), undefined);
  }

  private scan(): void {
    this.finishDrain();
    if (!this.scaleUp()) this.scaleDown();
  }

  /** Returns true when pods are Pending (scale-down waits then). */
  private scaleUp(): boolean {
    const pending = this.cluster.pendingPods();
    if (pending.length === 0) return false;
    const s = this.settings;
    const template = schedNode(s.template);
    const requests = pending.map((p) => this.cluster.podRequest(p)).filter((r) => this.scheduler.fitsEmpty(template, r));
    if (requests.length === 0) return true; // no new node would help (too big for the shape)
    const needed = estimateNodes(template, s.daemonSets, requests) - this.provisioning;
    const room = s.max - this.cluster.nodes().length - this.provisioning;
    const add = Math.min(needed, room);
    if (add <= 0) return true;
    const asked = this.sim.now;
    this.provisioning += add;
    this.lastScaleUpUs = asked;
    for (let i = 0; i < add; i++) {
      const model: NodeModel = { ...s.template, name: `node-${this.nextName++}` };
      this.sim.schedule(
        s.provisioningDelayUs,
        () => {
          this.provisioning--;
          this.cluster.addNode(model);
          this.events.add('node_added', {
            node: model.name,
            reason: `${pending.length} pod(s) Pending`,
            triggered_s: asked / 1e6,
            provisioning_s: s.provisioningDelayUs / 1e6,
            nodes: this.cluster.nodes().length,
          });
          this.timeline.push({ tUs: this.sim.now, nodes: this.cluster.nodes().length });
        },
        undefined,
      );
    }
    return true;
  }

  private scaleDown(): void {
    const s = this.settings;
    const nodes = this.cluster.nodes();
    const usage = new Map(this.scheduler.usage().map((u) => [u.name, u]));
    const now = this.sim.now;
    // Unneeded: requests below the threshold AND its pods fit on the other nodes (both, at every scan).
    for (const n of nodes) {
      const u = usage.get(n.model.name);
      const low =
        u !== undefined && u.cpu / n.model.cpu < CA_SCALE_DOWN_UTILIZATION && u.memory / n.model.memoryBytes < CA_SCALE_DOWN_UTILIZATION;
      if (low && n !== this.draining && this.podsFitElsewhere(n, nodes, usage)) {
        if (!this.unneededSince.has(n)) this.unneededSince.set(n, now);
      } else this.unneededSince.delete(n);
    }
    if (this.draining || nodes.length <= s.min || now - this.lastScaleUpUs < CA_SCALE_DOWN_DELAY_AFTER_ADD_US) return;
    // The node unneeded longest (the first on a tie).
    const victim = nodes
      .filter((n) => now - (this.unneededSince.get(n) ?? Infinity) >= CA_SCALE_DOWN_UNNEEDED_US)
      .sort((a, b) => (this.unneededSince.get(a) ?? 0) - (this.unneededSince.get(b) ?? 0))[0];
    if (!victim) return;
    this.draining = victim;
    this.unneededSince.delete(victim);
    this.events.add('node_drain', { node: victim.model.name, pods: this.cluster.podsOn(victim).length, reason: 'unneeded for 10 min' });
    this.cluster.drain(victim);
    this.finishDrain();
  }

  /** Whether the node's pods fit in what the other nodes have free (first fit, as the CA's simulation checks). */
  private podsFitElsewhere(node: NodeRt, nodes: NodeRt[], usage: Map<string, { cpu: number; memory: number; pods: number }>): boolean {
    const free = nodes
      .filter((n) => n !== node)
      .map((n) => {
        const u = usage.get(n.model.name);
        return { cpu: n.model.cpu - (u?.cpu ?? 0), memory: n.model.memoryBytes - (u?.memory ?? 0) };
      });
    for (const p of this.cluster.podsOn(node)) {
      const r = this.cluster.podRequest(p);
      const slot = free.find((f) => r.cpu <= f.cpu + 1e-9 && r.memory <= f.memory + 1e-3);
      if (!slot) return false;
      slot.cpu -= r.cpu;
      slot.memory -= r.memory;
    }
    return true;
  }

  /** The drained node is deleted once its pods are gone. */
  private finishDrain(): void {
    const node = this.draining;
    if (!node || this.cluster.podsOn(node).length > 0) return;
    this.draining = undefined;
    this.cluster.removeNode(node);
    this.events.add('node_removed', { node: node.model.name, reason: 'scale-down: unneeded', nodes: this.cluster.nodes().length });
    this.timeline.push({ tUs: this.sim.now, nodes: this.cluster.nodes().length });
  }
}
