/**
 * What each pod asks the scheduler for, and the cluster's placement at t=0. The mesh mode says
 * what it adds (src/modes: an injected proxy per pod, DaemonSets per node, control-plane pods);
 * this module only does the arithmetic and the placement.
 */
import type { NodeModel, Scenario, ServiceModel } from '../config/model.js';
import type { PodRt } from '../world/entities.js';
import type { PodPlacement } from './api.js';
import { estimateNodes, Scheduler, type DaemonSetSpec, type PodRequest, type SchedNode } from './scheduler.js';

type Requests = { cpu: number; memory: number };

/** What a mesh mode adds to the cluster's requests (declared by each mode in src/modes). */
export interface ModeRequests {
  /** Containers injected into a pod of `service` (e.g. Istio's `istio-proxy`), by name. */
  injected(service: ServiceModel): Record<string, Requests>;
  /** DaemonSets: one pod per node, placed before anything else. */
  daemonSets: readonly DaemonSetSpec[];
  /** Control-plane and gateway pods (istiod, waypoints) that need nodes like any other. */
  controlPlane(scenario: Scenario): PodRequest[];
}

/** A mode that adds nothing (no mesh, or one whose footprint is not declared). */
export const NO_MESH_REQUESTS: ModeRequests = { injected: () => ({}), daemonSets: [], controlPlane: () => [] };

/**
 * Node prices: Compute Engine E2 on-demand, us-central1 ($0.021811 per vCPU-hour, $0.002923 per
 * GiB-hour; an e2-standard-8 is $0.268/h). https://cloud.google.com/compute/vm-instance-pricing#e2_machine_types
 */
export const DEFAULT_NODE_PRICES = { vcpuHourUsd: 0.021811, gibHourUsd: 0.002923 };

/** Requests per container of a pod of `service`: the app, plus what the mode injects. */
export function containerRequests(mode: ModeRequests, service: ServiceModel): Record<string, Requests> {
  return { app: { cpu: service.resources.requestCpu, memory: service.resources.requestMemoryBytes }, ...mode.injected(service) };
}

export function podRequests(mode: ModeRequests, service: ServiceModel): Requests {
  let cpu = 0;
  let memory = 0;
  for (const c of Object.values(containerRequests(mode, service))) [cpu, memory] = [cpu + c.cpu, memory + c.memory];
  return { cpu, memory };
}

const schedNode = (n: NodeModel): SchedNode => ({ name: n.name, zone: n.zone, cpu: n.cpu, memory: n.memoryBytes });

/** The workload pods of t=0, in build order, keyed `<service key>/<index>` as world/build.ts numbers them. */
export function initialPods(scenario: Scenario, mode: ModeRequests): PodRequest[] {
  const pods: PodRequest[] = [];
  for (const s of scenario.services) {
    const req = podRequests(mode, s);
    let index = 0;
    for (const v of s.versions)
      for (let i = 0; i < v.replicas; i++, index++) pods.push({ name: `${s.key}/${index}`, group: s.key, ...req, node: s.node });
  }
  return pods;
}

export interface ClusterPlan {
  /** The nodes of the run (grown or shrunk by the cluster autoscaler's estimate when autoscaling). */
  nodes: NodeModel[];
  /** Node of each t=0 pod (`<service key>/<index>`); absent = Pending. */
  placement: Map<string, string>;
  pending: { pod: string; reason: string }[];
  /** Nodes the t=0 pods need by first-fit-decreasing bin packing of their requests on the node shape. */
  nodesNeeded: number;
  scheduler: Scheduler;
}

/**
 * Places the t=0 pods by their requests. With `cluster.autoscale`, the cluster starts at the size the
 * cluster autoscaler's bin-packing estimate gives for them (within [min, max]), shaped like the
 * first node; nodes are added one by one while pods stay Pending and the maximum allows.
 */
export function planCluster(scenario: Scenario, mode: ModeRequests): ClusterPlan {
  const ds = mode.daemonSets;
  const pods = [...mode.controlPlane(scenario), ...initialPods(scenario, mode)];
  const template = scenario.nodes[0] as NodeModel;
  const nodesNeeded = estimateNodes(schedNode(template), ds, pods);
  let nodes = scenario.nodes;
  const auto = scenario.autoscale;
  if (auto) {
    const count = Math.min(auto.max, Math.max(auto.min, nodesNeeded, 1));
    nodes = Array.from({ length: count }, (_, i) => ({ ...(scenario.nodes[i % scenario.nodes.length] as NodeModel), name: `node-${i}` }));
  }
  for (;;) {
    const scheduler = new Scheduler(nodes.map(schedNode), ds);
    const placement = new Map<string, string>();
    const pending: ClusterPlan['pending'] = [];
    for (const p of pods) {
      const r = scheduler.schedule(p);
      if ('node' in r) placement.set(p.name, r.node);
      else pending.push({ pod: p.name, reason: r.pending });
    }
    if (pending.length === 0 || !auto || nodes.length >= auto.max) return { nodes, placement, pending, nodesNeeded, scheduler };
    nodes = [...nodes, { ...template, name: `node-${nodes.length}` }];
  }
}

/**
 * Placement of the pods created during a run (scale-ups, replacements, rollouts) by the same
 * scheduler that placed the t=0 pods, so requests already bound count. A pod is keyed
 * `<service key>/<index>` as at t=0; `release` frees its requests once it is gone.
 */
export function requestsPlacement(
  scheduler: Scheduler,
  mode: ModeRequests,
): PodPlacement & { release(pod: PodRt): void; lastReason?: string } {
  const placement: PodPlacement & { release(pod: PodRt): void; lastReason?: string } = {
    place: (service, _version, podIndex, nodes) => {
      const req = podRequests(mode, service.model);
      const r = scheduler.schedule(
        { name: `${service.model.key}/${podIndex}`, group: service.model.key, ...req, node: service.model.node },
        new Set(nodes.map((n) => n.model.name)),
      );
      if ('pending' in r) {
        placement.lastReason = r.pending;
        return undefined;
      }
      return nodes.find((n) => n.model.name === r.node);
    },
    release: (pod) => scheduler.release(`${pod.service.model.key}/${pod.index}`),
  };
  return placement;
}
