/**
 * What a mesh mode is: one module per mode (src/modes/*.ts) declares its data plane, the
 * components it runs and reports (proxies and control plane, each with its memory model and
 * colour), who reports its Istio-style metrics, and its colour. Resources, metrics, reports and
 * `compare` iterate the registry (registry.ts), so a new mode is a new module plus one line there.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Scenario } from '../config/model.js';
import type { CostProfile } from '../config/profile.js';
import type { ClusterRt } from '../dataplane/envoy-cluster.js';
import type { DataPlane, PlaneDeps } from '../dataplane/plane.js';
import type { Proxy } from '../dataplane/proxy.js';
import type { Cluster } from '../world/build.js';
import type { NodeRt } from '../world/entities.js';
import type { ServiceRt } from '../world/entities.js';
import type { ModeRequests } from '../k8s/placement.js';

/** A mode's data plane with the proxies it created, as the outputs read it. */
export interface MeshPlane extends DataPlane {
  /** Every proxy of the mesh (sidecars, ztunnels, waypoints), for resource accounting. */
  readonly proxies: Proxy[];
  /** Every Envoy cluster the sidecars and waypoints built, for circuit-breaker and outlier stats. */
  envoyClusters(): ClusterRt[];
  /** A node joined during the run (cluster autoscaler): per-node proxies (ztunnel) start there. */
  nodeAdded?(node: NodeRt): void;
  /**
   * The share (0–1) of the whole mesh's config a proxy holds (Sidecar scoping); istiod's per-proxy
   * cost scales with it. 1 when absent or for proxies that hold everything.
   */
  proxyConfigShare?(proxy: Proxy): number;
  /** The services a proxy holds config for (Sidecar scoping); every service when absent. */
  visibleServices?(proxy: Proxy): ServiceRt[];
}

/** What resource accounting reads, at the moment it is taken (the run's horizon). */
export interface UsageInputs {
  cluster: Cluster;
  plane: MeshPlane;
  profile: CostProfile;
  nowUs: number;
}

/** One component's footprint: instances, CPU in cores (time-averaged) and memory in bytes. */
export interface Footprint {
  instances: number;
  cores: number;
  bytes: number;
}

export interface ComponentDef {
  /** As results.json names it under resources.by_component (e.g. `sidecar`). */
  name: string;
  colour: string;
  /**
   * Proxies of this kind (plane.proxies with this `kind`) are measured from their CPU use and this
   * memory model; a component without one (a control plane) gives its footprint itself.
   */
  proxyMemoryBytes?(proxy: Proxy, s: UsageInputs): number;
  footprint?(s: UsageInputs): Footprint | undefined;
}

export interface MeshModeDef {
  /** The name users give to --mode and spec.mesh.mode. */
  name: string;
  /** A few words for help texts and reports. */
  title: string;
  colour: string;
  /** Components besides the apps, in the order reports list them. */
  components: readonly ComponentDef[];
  /**
   * Who reports the client side of Istio's standard metrics: the caller (its sidecar, or the app
   * itself without a mesh) or, as in ambient, only a waypoint on the way.
   */
  clientReporter: 'source' | 'waypoint';
  /**
   * Whose metric names metrics.prom/metrics.om carry: Istio's standard metrics (default),
   * linkerd2-proxy's, or Hubble's (telemetry/mesh-metrics.ts).
   */
  metricReporter?: 'istio' | 'linkerd' | 'hubble';
  /** Workloads hold mesh certificates (rotated during the run). */
  workloadCertificates: boolean;
  createPlane(deps: PlaneDeps, cluster: Cluster, scenario: Scenario): MeshPlane;
  /**
   * Warnings about configuration this mode cannot honour (another mesh's resources, its own
   * unsupported features), printed by run, compare and explain for the mode actually run.
   */
  configWarnings?(scenario: Scenario): Diagnostic[];
  /** What the mode adds to the pods' resource requests (scheduling, HPA arithmetic, node counts); none when absent. */
  requests?: ModeRequests;
}
