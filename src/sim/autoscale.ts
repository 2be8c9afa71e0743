/**
 * The cluster autoscaler in a run (`cluster.autoscale`): src/k8s/cluster-autoscaler.ts wired to this
 * run's world (new nodes with their CPU and, in ambient mode, their ztunnel), the scheduler that
 * places pods by their requests and the pod lifecycle (Pending pods scheduled on new nodes; pods
 * of a removed node evicted and recreated elsewhere). It also samples the nodes every scan (10 s):
 * how many exist, their cores, the CPU they used and whether demand exceeded a node's cores.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { Scenario } from '../config/model.js';
import { ClusterAutoscaler, CA_SCAN_INTERVAL_US } from '../k8s/cluster-autoscaler.js';
import type { KubeCluster } from '../k8s/cluster.js';
import { podRequests, type ClusterPlan, type ModeRequests } from '../k8s/placement.js';
import type { MeshPlane } from '../modes/mode.js';
import type { Cluster } from '../world/build.js';
import type { NodeRt } from '../world/entities.js';

/** One sample of the nodes over the last scan interval. */
export interface NodeSample {
  tUs: number;
  nodes: number;
  /** Allocatable cores of the nodes that exist. */
  cores: number;
  /** CPU used over the interval (cores, averaged). */
  usedCores: number;
  /** Cores requested by the pods bound to those nodes (DaemonSets included). */
  requestedCores: number;
  /** Nodes where CPU demand exceeded the cores: over 10 % of the CPU work that started in the interval ran stretched (momentary bursts over the cores are normal queueing). */
  saturated: string[];
}

/** A node counts as saturated in an interval when more than this share of its CPU work ran stretched. */
const SATURATED_SHARE = 0.1;

export interface AutoscaleRun {
  autoscaler: ClusterAutoscaler;
  samples: NodeSample[];
  /** Node lifetimes: when each node existed (µs), for node cost over time. */
  lifetimes: { node: NodeRt; fromUs: number; toUs?: number }[];
}

export function startClusterAutoscaler(deps: {
  sim: Simulator;
  scenario: Scenario;
  cluster: Cluster;
  kube: KubeCluster;
  plan: ClusterPlan;
  plane: MeshPlane;
  modeRequests: ModeRequests;
  untilUs: number;
}): AutoscaleRun | undefined {
  const { sim, scenario, cluster, kube, plan, plane, modeRequests } = deps;
  const auto = scenario.autoscale;
  if (!auto) return undefined;
  const removed = new Set<NodeRt>();
  const lifetimes: AutoscaleRun['lifetimes'] = cluster.nodes.map((node) => ({ node, fromUs: 0 }));
  const alive = () => cluster.nodes.filter((n) => !removed.has(n));
  const autoscaler = new ClusterAutoscaler(
    sim,
    kube.events,
    {
      nodes: alive,
      pendingPods: () => kube.pendingPods(),
      podsOn: (node) => kube.podsOn(node),
      podRequest: (p) => ({
        name: `${p.service.model.key}/${p.index}`,
        group: p.service.model.key,
        ...podRequests(modeRequests, p.service.model),
      }),
      addNode: (model) => {
        const node = cluster.addNode(model);
        node.cpu.clock = sim;
        lifetimes.push({ node, fromUs: sim.now });
        plan.scheduler.addNode({ name: model.name, zone: model.zone, cpu: model.cpu, memory: model.memoryBytes });
        plane.nodeAdded?.(node);
        kube.nodeAdded();
        return node;
      },
      drain: (node) => {
        kube.nodes.cordon(node);
        kube.evictPods(node, kube.podsOn(node), 'ToBeDeletedByClusterAutoscaler', 'evicted: cluster autoscaler scale-down');
      },
      removeNode: (node) => {
        removed.add(node);
        plan.scheduler.removeNode(node.model.name);
        const life = lifetimes.find((l) => l.node === node);
        if (life) life.toUs = sim.now;
      },
    },
    plan.scheduler,
    {
      min: auto.min,
      max: auto.max,
      provisioningDelayUs: auto.provisioningDelayUs,
      template: plan.nodes[0]!,
      daemonSets: modeRequests.daemonSets,
    },
  );
  autoscaler.start(deps.untilUs);

  // Node samples at every scan: CPU used since the last one, and whether any node saturated.
  const samples: NodeSample[] = [];
  const lastUsed = new Map<NodeRt, number>();
  const lastSaturated = new Map<NodeRt, number>();
  const usedAtLast = (n: NodeRt) => lastUsed.get(n) ?? 0;
  let lastUs = 0;
  const sample = () => {
    const nodes = alive();
    const span = sim.now - lastUs;
    let used = 0;
    const saturated: string[] = [];
    for (const n of nodes) {
      const work = n.cpu.usedUs - usedAtLast(n);
      used += work;
      if (n.cpu.saturation.workUs - (lastSaturated.get(n) ?? 0) > SATURATED_SHARE * work) saturated.push(n.model.name);
    }
    for (const n of cluster.nodes) {
      lastUsed.set(n, n.cpu.usedUs);
      lastSaturated.set(n, n.cpu.saturation.workUs);
    }
    const requested = plan.scheduler.usage().reduce((t, u) => t + u.cpu, 0);
    samples.push({
      tUs: sim.now,
      nodes: nodes.length,
      cores: nodes.reduce((t, n) => t + n.model.cpu, 0),
      usedCores: span > 0 ? used / span : 0,
      requestedCores: requested,
      saturated,
    });
    lastUs = sim.now;
  };
  for (let t = CA_SCAN_INTERVAL_US; t <= deps.untilUs; t += CA_SCAN_INTERVAL_US) sim.at(t, sample, undefined);
  return { autoscaler, samples, lifetimes };
}
