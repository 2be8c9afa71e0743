/**
 * What each pod asks the scheduler for, per mesh mode, and the cluster's placement at t=0.
 * - Sidecar mode injects `istio-proxy` with requests 100m CPU / 128Mi (Istio
 *   manifests/charts/istio-control/istio-discovery/values.yaml global.proxy.resources).
 * - Ambient mode runs the ztunnel DaemonSet (200m / 512Mi, manifests/charts/ztunnel/values.yaml) and
 *   the istio-cni node agent (100m / 100Mi, manifests/charts/istio-cni/values.yaml) on every node.
 * - istiod (500m / 2048Mi, istio-discovery values.yaml pilot.resources) is a pod of its own in both.
 */
import type { MeshMode, NodeModel, Scenario, ServiceModel } from '../config/model.js';
import { estimateNodes, Scheduler, type DaemonSetSpec, type PodRequest, type SchedNode } from './scheduler.js';

const Mi = 1024 ** 2;

export const SIDECAR_REQUESTS = { cpu: 0.1, memory: 128 * Mi };
export const ISTIOD_REQUESTS = { cpu: 0.5, memory: 2048 * Mi };
export const WAYPOINT_REQUESTS = { cpu: 0.1, memory: 128 * Mi };

/**
 * Node prices: Compute Engine E2 on-demand, us-central1 ($0.021811 per vCPU-hour, $0.002923 per
 * GiB-hour; an e2-standard-8 is $0.268/h). https://cloud.google.com/compute/vm-instance-pricing#e2_machine_types
 */
export const DEFAULT_NODE_PRICES = { vcpuHourUsd: 0.021811, gibHourUsd: 0.002923 };

export function daemonSetsFor(mode: MeshMode): DaemonSetSpec[] {
  if (mode !== 'ambient') return [];
  return [
    { name: 'ztunnel', cpu: 0.2, memory: 512 * Mi },
    { name: 'istio-cni-node', cpu: 0.1, memory: 100 * Mi },
  ];
}

/** Requests per container of a pod of `service` in `mode`: the app, plus the injected sidecar. */
export function containerRequests(mode: MeshMode, service: ServiceModel): Record<string, { cpu: number; memory: number }> {
  const app = { cpu: service.resources.requestCpu, memory: service.resources.requestMemoryBytes };
  return mode === 'sidecar' && service.inMesh ? { app, 'istio-proxy': SIDECAR_REQUESTS } : { app };
}

export function podRequests(mode: MeshMode, service: ServiceModel): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of Object.values(containerRequests(mode, service))) [cpu, memory] = [cpu + c.cpu, memory + c.memory];
  return { cpu, memory };
}

/** Control-plane pods of the mode that need a node like any other. */
function meshPods(scenario: Scenario, mode: MeshMode): PodRequest[] {
  if (mode === 'none') return [];
  const pods: PodRequest[] = [{ name: 'istiod-0', group: 'istiod', ...ISTIOD_REQUESTS }];
  if (mode === 'ambient')
    for (const w of scenario.mesh.waypoints) pods.push({ name: `${w}-waypoint-0`, group: `waypoint/${w}`, ...WAYPOINT_REQUESTS });
  return pods;
}

const schedNode = (n: NodeModel): SchedNode => ({ name: n.name, zone: n.zone, cpu: n.cpu, memory: n.memoryBytes });

/** The workload pods of t=0, in build order, keyed `<service key>/<index>` as world/build.ts numbers them. */
export function initialPods(scenario: Scenario, mode: MeshMode): PodRequest[] {
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
export function planCluster(scenario: Scenario, mode: MeshMode): ClusterPlan {
  const ds = daemonSetsFor(mode);
  const pods = [...meshPods(scenario, mode), ...initialPods(scenario, mode)];
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
