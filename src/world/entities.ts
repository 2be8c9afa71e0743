/** The runtime cluster: nodes, pods, services and workload clients, built from a Scenario. */
import type { Sampler } from '../kernel/distributions.js';
import type { Uniform } from '../kernel/random.js';
import type { NodeModel, ServiceModel, VersionModel, WorkloadModel } from '../config/model.js';
import type { NodeCpu } from './cpu.js';
import type { Station } from './station.js';
import type { RequestStats } from '../record/requests.js';
import type { InsertionList, Listed } from '../kernel/insertion-list.js';

/** A proxy as the world sees it; the data plane owns the implementation. */
export interface ProxyHandle {
  readonly kind: string;
  readonly name: string;
}

export interface NodeRt {
  readonly index: number;
  readonly model: NodeModel;
  readonly cpu: NodeCpu;
  ztunnel?: ProxyHandle;
}

/** Anything that makes calls: a pod, or a workload's client. */
export interface Caller {
  /** Edge source name: the service key for pods, the workload name for clients. */
  readonly edgeName: string;
  /** Unique name, used for per-caller random streams and pools. */
  readonly name: string;
  readonly node: NodeRt;
  readonly inMesh: boolean;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** A pod IP (10.<node>.x.y), for ipBlocks in AuthorizationPolicy and source-IP hashing. */
  readonly ip: string;
  sidecar?: ProxyHandle;
}

export interface PodRt extends Caller {
  readonly service: ServiceRt;
  readonly version: VersionModel;
  readonly versionIndex: number;
  /** Index within the service (across versions) and within its version. */
  readonly index: number;
  readonly indexInVersion: number;
  readonly slots: Station;
  /** The requests the pod holds or queues (world/pod.ts), so a crash can settle them all: on the pod, not in a map looked up per request. */
  readonly works: InsertionList<Listed>;
  /** Incremented at each crash: work begun in an older epoch is lost (its caller sees a reset). */
  epoch: number;
  crashed: boolean;
  /** Packets to the pod are dropped (a network partition): connects time out, requests hang. */
  unreachable: boolean;
  /** Chaos state set by faults. */
  faultErrorRate: number;
  faultErrorStatus: number;
  faultLatencyUs: number;
  throttle: number;
  /** CPU-bound work running now (for the CPU limit) and CPU used (µs). */
  cpuRunning: number;
  cpuUsedUs: number;
  /** Requests this pod answered (after warmup). */
  served: number;
  /** When the pod was created (0 for the pods of t=0) and, once its containers are gone, when it was removed. */
  createdUs: number;
  goneUs?: number;
}

export interface ServiceRt {
  readonly model: ServiceModel;
  /** Every pod the service ever had (new pods are appended; deleted ones stay for their statistics). */
  readonly pods: PodRt[];
  /** The ready endpoints the proxies (or kube-proxy) route to now; set by the EndpointSlice propagation. */
  endpoints: PodRt[];
  /** Bumped whenever `endpoints` changes, so cached Envoy clusters refresh their hosts. */
  endpointsVersion: number;
  readonly serviceTime: Sampler[];
  readonly serviceTimeStream: Uniform;
  readonly failureStream: Uniform;
  readonly faultStream: Uniform;
  /**
   * Service-time and failure draws for mirrored copies: their own streams, so mirroring a service
   * never shifts the draws of the traffic it serves for real (common random numbers).
   */
  readonly shadowStreams: { serviceTime: Uniform; failure: Uniform };
  readonly stats: RequestStats;
  /** The services `model.calls` name, by call, once looked up (world/pod.ts): a pod's call finds its target without a lookup by name. */
  readonly callTargets: (ServiceRt | undefined)[];
  retries: number;
  waypoint?: ProxyHandle;
}

export interface ClientRt extends Caller {
  readonly model: WorkloadModel;
}
