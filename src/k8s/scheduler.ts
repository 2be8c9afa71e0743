/**
 * Pod placement by resource requests, the way kube-scheduler's default profile decides, made
 * deterministic:
 * - Filter (NodeResourcesFit, NodePorts aside): a node fits when the pod's CPU and memory requests
 *   fit in allocatable minus what is already requested there, and the node has room for one more
 *   pod (kubelet maxPods, default 110). https://kubernetes.io/docs/concepts/scheduling-eviction/resource-bin-packing/
 * - Score: NodeResourcesFit with the LeastAllocated strategy (the default; CPU and memory weight 1),
 *   NodeResourcesBalancedAllocation, and PodTopologySpread's system-default spreading of a
 *   workload's pods over nodes (weight 2). k8s pkg/scheduler/framework/plugins/noderesources/
 *   least_allocated.go, balanced_allocation.go; podtopologyspread (systemDefaultConstraints).
 * - The real scheduler picks at random among equally scored nodes; here the first node wins.
 * DaemonSet pods (ztunnel, istio-cni, node agents) get one pod per node, placed before anything else.
 * A pod that fits nowhere stays Pending, with the scheduler's FailedScheduling message.
 */

/** kubelet `maxPods` default. https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/ */
export const DEFAULT_MAX_PODS = 110;

export interface SchedNode {
  name: string;
  zone: string;
  /** Allocatable CPU (cores) and memory (bytes). */
  cpu: number;
  memory: number;
  maxPods?: number;
}

export interface PodRequest {
  name: string;
  /** Pods of one workload (its Deployment): PodTopologySpread spreads them over nodes. */
  group: string;
  /** Requests summed over the pod's containers (cores, bytes). */
  cpu: number;
  memory: number;
  /** spec.nodeName set up front: bypasses scoring, still needs to fit. */
  node?: string;
}

export interface DaemonSetSpec {
  name: string;
  cpu: number;
  memory: number;
}

interface NodeState {
  node: SchedNode;
  cpu: number;
  memory: number;
  pods: Map<string, PodRequest>;
  groups: Map<string, number>;
  /** Pods that are not DaemonSet pods. */
  workloadPods: number;
}

export type Placement = { node: string } | { pending: string };

export class Scheduler {
  private readonly nodes: NodeState[] = [];
  private readonly where = new Map<string, NodeState>();

  constructor(
    nodes: readonly SchedNode[],
    private readonly daemonSets: readonly DaemonSetSpec[] = [],
  ) {
    for (const n of nodes) this.addNode(n);
  }

  /** A node joins: each DaemonSet puts a pod on it first. */
  addNode(node: SchedNode): void {
    const st: NodeState = { node, cpu: 0, memory: 0, pods: new Map(), groups: new Map(), workloadPods: 0 };
    this.nodes.push(st);
    for (const ds of this.daemonSets)
      this.bind(st, { name: `${ds.name}-${node.name}`, group: `daemonset/${ds.name}`, cpu: ds.cpu, memory: ds.memory }, false);
  }

  /** Removes an empty node (its DaemonSet pods go with it). Returns false if workload pods remain. */
  removeNode(name: string): boolean {
    const i = this.nodes.findIndex((n) => n.node.name === name);
    const st = this.nodes[i];
    if (!st || st.workloadPods > 0) return false;
    for (const p of st.pods.keys()) this.where.delete(p);
    this.nodes.splice(i, 1);
    return true;
  }

  /** Filter, score, bind; `among` restricts the candidates to those nodes (the schedulable ones: Ready, untainted). */
  schedule(pod: PodRequest, among?: ReadonlySet<string>): Placement {
    const reasons = new Map<string, number>();
    const feasible: NodeState[] = [];
    for (const st of this.nodes) {
      if (among && !among.has(st.node.name)) {
        count(reasons, 'node(s) were unschedulable');
        continue;
      }
      if (pod.node !== undefined && st.node.name !== pod.node) {
        count(reasons, "didn't match Pod's node affinity/selector");
        continue;
      }
      const why = this.misfit(st, pod);
      if (why.length) for (const w of why) count(reasons, w);
      else feasible.push(st);
    }
    if (feasible.length === 0) return { pending: failedScheduling(this.nodes.length, reasons) };
    const maxInGroup = Math.max(0, ...feasible.map((st) => st.groups.get(pod.group) ?? 0));
    let best: NodeState | undefined;
    let bestScore = -Infinity;
    for (const st of feasible) {
      const s = score(st, pod, maxInGroup);
      if (s > bestScore) [best, bestScore] = [st, s];
    }
    const chosen = best as NodeState;
    this.bind(chosen, pod, true);
    return { node: chosen.node.name };
  }

  /** The pod is gone (deleted, evicted): its requests are free again. */
  release(podName: string): void {
    const st = this.where.get(podName);
    if (!st) return;
    const pod = st.pods.get(podName) as PodRequest;
    st.pods.delete(podName);
    st.cpu -= pod.cpu;
    st.memory -= pod.memory;
    st.groups.set(pod.group, (st.groups.get(pod.group) ?? 1) - 1);
    if (!pod.group.startsWith('daemonset/')) st.workloadPods--;
    this.where.delete(podName);
  }

  /** Whether the pod would fit on a fresh node of this shape (the cluster autoscaler asks this). */
  fitsEmpty(node: SchedNode, pod: PodRequest): boolean {
    const st: NodeState = { node, cpu: 0, memory: 0, pods: new Map(), groups: new Map(), workloadPods: 0 };
    for (const ds of this.daemonSets) {
      st.cpu += ds.cpu;
      st.memory += ds.memory;
      st.pods.set(ds.name, { name: ds.name, group: ds.name, cpu: ds.cpu, memory: ds.memory });
    }
    return this.misfit(st, { ...pod, node: undefined }).length === 0;
  }

  nodeOf(podName: string): string | undefined {
    return this.where.get(podName)?.node.name;
  }

  /** Per node: requested CPU and memory, pod counts. */
  usage(): { name: string; cpu: number; memory: number; pods: number; workloadPods: number; allocatable: SchedNode }[] {
    return this.nodes.map((st) => ({
      name: st.node.name,
      cpu: st.cpu,
      memory: st.memory,
      pods: st.pods.size,
      workloadPods: st.workloadPods,
      allocatable: st.node,
    }));
  }

  /** Nodes running at least one pod besides DaemonSet pods. */
  nodesUsed(): number {
    return this.nodes.filter((st) => st.workloadPods > 0).length;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  private misfit(st: NodeState, pod: PodRequest): string[] {
    const why: string[] = [];
    if (st.pods.size + 1 > (st.node.maxPods ?? DEFAULT_MAX_PODS)) why.push('Too many pods');
    // A tiny epsilon keeps sums of decimal quantities (0.1 + 0.2) from failing an exact fit.
    if (pod.cpu > st.node.cpu - st.cpu + 1e-9) why.push('Insufficient cpu');
    if (pod.memory > st.node.memory - st.memory + 1e-3) why.push('Insufficient memory');
    return why;
  }

  private bind(st: NodeState, pod: PodRequest, workload: boolean): void {
    st.pods.set(pod.name, pod);
    st.cpu += pod.cpu;
    st.memory += pod.memory;
    st.groups.set(pod.group, (st.groups.get(pod.group) ?? 0) + 1);
    if (workload) st.workloadPods++;
    this.where.set(pod.name, st);
  }
}

const MAX_NODE_SCORE = 100;

function score(st: NodeState, pod: PodRequest, maxInGroup: number): number {
  const cpuFrac = st.node.cpu > 0 ? (st.cpu + pod.cpu) / st.node.cpu : 1;
  const memFrac = st.node.memory > 0 ? (st.memory + pod.memory) / st.node.memory : 1;
  // LeastAllocated: mean over resources of (allocatable − requested) × 100 / allocatable.
  const least = ((1 - cpuFrac + (1 - memFrac)) / 2) * MAX_NODE_SCORE;
  // BalancedAllocation: (1 − standard deviation of the requested fractions) × 100.
  const balanced = (1 - Math.abs(cpuFrac - memFrac) / 2) * MAX_NODE_SCORE;
  // Spreading: fewer pods of the same workload scores higher (normalized over feasible nodes).
  const here = st.groups.get(pod.group) ?? 0;
  const spread = maxInGroup === 0 ? MAX_NODE_SCORE : ((maxInGroup - here) / maxInGroup) * MAX_NODE_SCORE;
  return Math.trunc(least) + Math.trunc(balanced) + 2 * Math.trunc(spread);
}

function count(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** kube-scheduler's FailedScheduling text: "0/3 nodes are available: 3 Insufficient cpu." */
function failedScheduling(total: number, reasons: Map<string, number>): string {
  const parts = [...reasons.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([r, n]) => `${n} ${r}`);
  return `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}

/**
 * The cluster autoscaler's estimate of how many template nodes the pending pods need: first-fit
 * decreasing bin packing (kubernetes/autoscaler cluster-autoscaler/estimator/binpacking_estimator.go).
 */
export function estimateNodes(template: SchedNode, daemonSets: readonly DaemonSetSpec[], pods: readonly PodRequest[]): number {
  const dsCpu = daemonSets.reduce((n, d) => n + d.cpu, 0);
  const dsMem = daemonSets.reduce((n, d) => n + d.memory, 0);
  const maxPods = (template.maxPods ?? DEFAULT_MAX_PODS) - daemonSets.length;
  const bins: { cpu: number; memory: number; pods: number }[] = [];
  const sorted = [...pods].sort(
    (a, b) => b.cpu / template.cpu + b.memory / template.memory - (a.cpu / template.cpu + a.memory / template.memory),
  );
  const fits = (b: { cpu: number; memory: number; pods: number }, cpu: number, memory: number) =>
    b.pods < maxPods && cpu <= template.cpu - dsCpu - b.cpu + 1e-9 && memory <= template.memory - dsMem - b.memory + 1e-3;
  // Bins that cannot take even the smallest pod are closed for good: first fit skips them, which
  // keeps 150,000 pods linear instead of pods × bins, and picks the same bin as a full scan.
  const minCpu = sorted.reduce((m, p) => Math.min(m, p.cpu), Infinity);
  const minMem = sorted.reduce((m, p) => Math.min(m, p.memory), Infinity);
  let firstOpen = 0;
  for (const p of sorted) {
    if (p.cpu > template.cpu - dsCpu + 1e-9 || p.memory > template.memory - dsMem + 1e-3) continue; // never fits a new node
    while (firstOpen < bins.length && !fits(bins[firstOpen]!, minCpu, minMem)) firstOpen++;
    let bin: (typeof bins)[number] | undefined;
    for (let i = firstOpen; i < bins.length && !bin; i++) if (fits(bins[i]!, p.cpu, p.memory)) bin = bins[i];
    if (bin) {
      bin.cpu += p.cpu;
      bin.memory += p.memory;
      bin.pods++;
    } else bins.push({ cpu: p.cpu, memory: p.memory, pods: 1 });
  }
  return bins.length;
}
