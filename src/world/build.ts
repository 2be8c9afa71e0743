/** Builds the runtime cluster from a Scenario: nodes, pods placed deterministically, clients. */
import { samplerFor } from '../kernel/distributions.js';
import type { RandomStreams } from '../kernel/random.js';
import type { NodeModel, Scenario, ServiceModel, VersionModel } from '../config/model.js';
import { RequestStats } from '../record/requests.js';
import { NodeCpu } from './cpu.js';
import type { ClientRt, NodeRt, PodRt, ServiceRt } from './entities.js';
import { fnv1a } from '../kernel/hash.js';
import { Station } from './station.js';
import { InsertionList } from '../kernel/insertion-list.js';
import { DOUBLE_ZERO, stableRecord } from '../kernel/stable-shapes.js';

export interface Cluster {
  nodes: NodeRt[];
  services: Map<string, ServiceRt>;
  /** In declaration order. */
  serviceList: ServiceRt[];
  /** Hosts outside the cluster (spec.external), in `services` by host; their pods are their endpoints, on no cluster node. */
  externals: ServiceRt[];
  clients: ClientRt[];
  /** Istio's egress gateway (scenario.egressGateway): in `services` by key, not in `serviceList` (it runs no app). */
  egressGateway?: ServiceRt;
  /** A new pod of `version` on `node` (scale-up, replacement, rollout), named `<service>-<version>-<i>`, appended to the service. */
  addPod(svc: ServiceRt, version: VersionModel, node: NodeRt): PodRt;
  /** A node joins during the run (the cluster autoscaler's), appended to `nodes`. */
  addNode(model: NodeModel): NodeRt;
}

/**
 * Pod i of a service (counting across versions) goes to node (hash(service) + i) mod N: spread
 * like a scheduler would, and stable when other services are added or removed.
 */
function nodeFor(nodes: NodeRt[], key: string, i: number, pinned?: string): NodeRt {
  const pin = pinned === undefined ? undefined : nodes.find((n) => n.model.name === pinned);
  return pin ?? nodes[(fnv1a(key) + i) % nodes.length]!;
}

/**
 * Where the scheduler put pod `index` of service `key` at t=0: a node name, or null when the pod
 * stays Pending (it is then not built). Without it, pods go by the placement hash.
 */
export type InitialPlacement = (key: string, index: number) => string | null;

export function buildCluster(scenario: Scenario, streams: RandomStreams, placement?: InitialPlacement): Cluster {
  // Pod IPs from each node's range, in build order (deterministic).
  const perNode = new Map<NodeRt, number>();
  const ipOn = (node: NodeRt) => {
    const n = (perNode.get(node) ?? 0) + 2;
    perNode.set(node, n - 1);
    return `10.${node.index + 1}.${(n >> 8) & 255}.${n & 255}`;
  };
  const nodes: NodeRt[] = scenario.nodes.map((model, index) => stableRecord<NodeRt>({ index, model, cpu: new NodeCpu(model.cpu) }));
  const addPod = (svc: ServiceRt, version: VersionModel, node: NodeRt, at?: number, atInVersion?: number): PodRt => {
    const model = svc.model;
    // By name: a Flagger primary promoted to a revision runs a relabelled copy of that version (sim/canary.ts).
    const indexInVersion = atInVersion ?? svc.pods.filter((p) => p.version.name === version.name).length;
    const pod = stableRecord<PodRt>({
      // A gateway Deployment's pods are named like istio-ingressgateway's (dataplane/ingress.ts): no version part.
      name: model.envoyOnly ? `${model.name}-${indexInVersion}` : `${model.name}-${podNamePart(version.name)}-${indexInVersion}`,
      edgeName: model.key,
      node,
      ip: ipOn(node),
      inMesh: model.inMesh,
      namespace: model.namespace,
      serviceAccount: model.serviceAccount,
      service: svc,
      version,
      versionIndex: model.versions.findIndex((v) => v.name === version.name),
      index: at ?? svc.pods.length,
      indexInVersion,
      slots: new Station(model.concurrency),
      works: new InsertionList(),
      epoch: 0,
      crashed: false,
      faultErrorRate: 0,
      faultErrorStatus: 503,
      faultLatencyUs: 0,
      unreachable: false,
      throttle: 1,
      cpuRunning: 0,
      cpuUsedUs: DOUBLE_ZERO,
      served: 0,
      createdUs: 0,
    });
    svc.pods.push(pod);
    return pod;
  };
  const runtime = (model: ServiceModel): ServiceRt =>
    stableRecord<ServiceRt>({
      model,
      pods: [],
      endpoints: [],
      endpointsVersion: 0,
      serviceTime: model.versions.map((v) => samplerFor(v.serviceTime)),
      serviceTimeStream: streams.stream(`service-time/${model.key}`),
      failureStream: streams.stream(`failure/${model.key}`),
      faultStream: streams.stream(`fault/${model.key}`),
      shadowStreams: stableRecord({
        serviceTime: streams.stream(`service-time/${model.key}/shadow`),
        failure: streams.stream(`failure/${model.key}/shadow`),
      }),
      stats: new RequestStats(),
      callTargets: model.calls.map(() => undefined),
      retries: 0,
    });
  const serviceList: ServiceRt[] = scenario.services.map((model) => {
    const svc = runtime(model);
    let index = 0;
    for (const version of model.versions) {
      for (let i = 0; i < version.replicas; i++, index++) {
        const placed = placement?.(model.key, index);
        if (placed === null) continue;
        const node = (placed !== undefined && nodes.find((n) => n.model.name === placed)) || nodeFor(nodes, model.key, index, model.node);
        addPod(svc, version, node, index, i);
      }
    }
    svc.endpoints = [...svc.pods];
    return svc;
  });
  // External endpoints sit on a node of their own, in a zone of their own (reached at the cross-zone
  // latency); it is not a cluster node, so it costs nothing and no fault or scheduler sees it.
  const internet = stableRecord<NodeRt>({
    index: nodes.length,
    model: { name: 'external', zone: 'external', region: 'external', cpu: 1e6, memoryBytes: 0 },
    cpu: new NodeCpu(1e6),
  });
  const externals = scenario.externals.map((model) => {
    const svc = runtime(model);
    model.versions.forEach((version) => {
      for (let i = 0; i < version.replicas; i++) addPod(svc, version, internet);
    });
    svc.endpoints = [...svc.pods];
    return svc;
  });
  const clients: ClientRt[] = scenario.workloads.map((w) => {
    const node = nodeFor(nodes, `workload/${w.name}`, 0, w.from.node);
    return stableRecord<ClientRt>({
      name: `${w.name}-client`,
      edgeName: w.name,
      model: w,
      node,
      ip: ipOn(node),
      inMesh: w.from.inMesh,
      namespace: w.from.namespace,
      serviceAccount: w.from.serviceAccount,
    });
  });
  const addNode = (model: NodeModel): NodeRt => {
    const node = stableRecord<NodeRt>({ index: nodes.length, model, cpu: new NodeCpu(model.cpu) });
    nodes.push(node);
    return node;
  };
  // Built last, so the other pods' and clients' addresses do not depend on it; spread over the
  // nodes like the ingress gateway's pods.
  let egressGateway: ServiceRt | undefined;
  const gw = scenario.egressGateway;
  if (gw) {
    egressGateway = runtime(gw);
    for (const version of gw.versions)
      for (let i = 0; i < version.replicas; i++) addPod(egressGateway, version, nodeFor(nodes, `gateway/${gw.namespace}/${gw.name}`, i));
    egressGateway.endpoints = [...egressGateway.pods];
  }
  const services = new Map([...serviceList, ...externals, ...(egressGateway ? [egressGateway] : [])].map((s) => [s.model.key, s]));
  return { nodes, services, serviceList, externals, clients, egressGateway, addPod, addNode };
}

/**
 * A version (a label value: may hold upper case, '_' and '.') as part of a pod name, which must be
 * a DNS-1123 subdomain (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/):
 * lower-cased with '_' as '-'; a hash of the original keeps `V1` and `v1` apart.
 */
export function podNamePart(version: string): string {
  const safe = version.toLowerCase().replace(/_/g, '-');
  return safe === version ? version : `${safe}-${(fnv1a(version) >>> 0).toString(36).slice(0, 5)}`;
}
