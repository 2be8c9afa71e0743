/** The validated, resolved scenario the simulator runs: units converted, references resolved. */
import type { Distribution } from '../kernel/distributions.js';
import type { IstioConfig } from './istio/resources.js';
import type { CostProfile } from './profile.js';
import type { HpaModel } from './istio/hpa-schema.js';
import type { CanaryModel } from './istio/flagger-schema.js';
import type { PodLifecycleModel } from './lifecycle.js';

/** A mesh mode's name; the modes themselves are the registry in src/modes (checked by analysis/load.ts). */
export type MeshMode = string;

export interface NodeModel {
  name: string;
  zone: string;
  /** topology.kubernetes.io/region; Istio's locality is region/zone. */
  region: string;
  cpu: number;
  memoryBytes: number;
}

export interface NetworkModel {
  sameNodeUs: number;
  sameZoneUs: number;
  crossZoneUs: number;
}

export interface VersionModel {
  name: string;
  replicas: number;
  /** Pod labels: app=<service>, version=<version>, or the Deployment's template labels. */
  labels: Record<string, string>;
  serviceTime: Distribution;
  failure: { rate: number; status: number };
}

/** A JWT claim's value: JSON scalars, a list of them, or an object of nested claims. */
export type JwtClaimValue = string | number | boolean | (string | number | boolean)[] | { [name: string]: JwtClaimValue };

/**
 * Where a request carries its JWT: a header (its value `prefix` + token; `Authorization: Bearer`
 * by default), a query parameter, or a cookie.
 */
export type JwtLocation = { header: string; prefix: string } | { param: string } | { cookie: string };

/** A JWT as the scenario describes it (spec.workload[].requests[].jwt). */
export interface JwtToken {
  issuer: string;
  subject: string;
  audiences: string[];
  claims: Record<string, JwtClaimValue>;
  expired: boolean;
  badSignature: boolean;
  location: JwtLocation;
}

export interface RequestShape {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The JWT the request carries (in its Authorization header unless `jwt.location` says otherwise), if any. */
  jwt?: JwtToken;
  /** The Host/:authority, when a route rewrote it (a mirrored copy carries `<host>-shadow`). */
  authority?: string;
  requestSize: number;
  responseSize: number;
}

export interface CallModel extends RequestShape {
  /** Key of the called service (see ServiceModel.key). */
  service: string;
  onFailure: 'fail' | 'ignore';
  /** App-level client timeout (µs) and retries, as the application itself does them. */
  timeoutUs?: number;
  retries: number;
  /** Versions whose pods make this call (all when absent). */
  versions?: string[];
}

export interface ServiceModel {
  /** `name`, or `name.namespace` where the name repeats across namespaces. */
  key: string;
  name: string;
  namespace: string;
  fqdn: string;
  serviceAccount: string;
  port: number;
  protocol: 'http' | 'http2' | 'grpc';
  versions: VersionModel[];
  concurrency: number;
  /** Share of the service time that is CPU work (competes for the node's cores). */
  cpuShare: number;
  calls: CallModel[];
  requestSize: number;
  responseSize: number;
  resources: { requestCpu: number; requestMemoryBytes: number; limitCpu?: number; limitMemoryBytes?: number };
  inMesh: boolean;
  propagatesTraceHeaders: boolean;
  /** Header names copied from the served request onto every call (lower-case). */
  propagateHeaders: string[];
  /** Node every pod is pinned to, if any. */
  node?: string;
  /** Probes, termination and rollout strategy of the service's pods (Kubernetes defaults when absent). */
  lifecycle?: PodLifecycleModel;
  /** Set for a host outside the cluster (spec.external): its "pods" are its endpoints. */
  external?: ExternalModel;
  /** A gateway Deployment whose only container is Envoy (the egress gateway): requests reaching a pod are routed by it, not served by an app. */
  envoyOnly?: boolean;
}

/** What the mesh knows of an external host: from the ServiceEntry that declares it, if any. */
export interface ExternalModel {
  protocol: 'http' | 'https';
  /** `namespace/name` of the ServiceEntry declaring the host, or undefined: not in the mesh's registry. */
  serviceEntry?: string;
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
}

/** meshConfig.outboundTrafficPolicy.mode (istio/api mesh/v1alpha1/config.proto). */
export type OutboundTrafficMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** Piecewise-linear request rate (req/s) over simulated time; after the last segment the last rate holds. */
export interface RateSegment {
  startUs: number;
  endUs: number;
  fromRate: number;
  toRate: number;
}

export type ArrivalModel =
  | { kind: 'open'; process: 'poisson' | 'constant'; segments: RateSegment[]; maxRate: number }
  | { kind: 'closed'; users: number; thinkTime: Distribution };

/** Where a workload from outside the cluster enters: an ingress gateway (Istio or Gateway API). */
export interface WorkloadGateway {
  kind: 'istio' | 'gateway-api';
  name: string;
  namespace: string;
  /** The Host header the client sends (undefined: the gateway's first concrete host, if any). */
  host?: string;
}

export interface WorkloadModel {
  name: string;
  /** Key of the target service; for a gateway workload, the service its first request is routed to ('' if none). */
  target: string;
  gateway?: WorkloadGateway;
  from: { namespace: string; serviceAccount: string; inMesh: boolean; node?: string };
  arrivals: ArrivalModel;
  requests: (RequestShape & { weight: number })[];
  /** The load generator's connection handling (`client:`); absent means keep-alive. */
  client?: ClientKind;
}

/**
 * `fortio`: the client closes its connection after a non-2xx answer and re-resolves the target's
 * DNS name before dialling again (fortio fhttp/http_client.go: FastClient.readResponse keeps the
 * socket only when `keepAlive && codeIsOK(code)`; FastClient.connect re-resolves unless -no-reresolve).
 */
export type ClientKind = 'keepalive' | 'fortio';

/** A fault's injection once the fault registry (src/faults) has parsed it: its kind and its parameters. */
export interface FaultInjection {
  kind: string;
  params: unknown;
}

export interface FaultModel {
  atUs: number;
  /** For `apply`: when the change reaches the proxies (at + propagation delay). */
  effectiveUs?: number;
  untilUs?: number;
  target?: { service: string; version?: string; pod: number | 'all' };
  /** A node target (`target: {node: NAME}`), for node-level faults. */
  node?: string;
  /** The `inject` block as written, for the fault registry to parse. */
  injectDoc?: Readonly<Record<string, unknown>>;
  /** The parsed injection (analysis/load.ts, through the fault registry). */
  inject?: FaultInjection;
  apply?: IstioConfig;
  /** A human description for the event log. */
  label: string;
}

export interface SloModel {
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  p999Us?: number;
  successRate?: number;
}

/** An ext_authz provider from meshConfig.extensionProviders, its service resolved. */
export interface ExtAuthzProvider {
  name: string;
  kind: 'http' | 'grpc';
  /** Key of the authorization service (see ServiceModel.key), or undefined when it is not a known service. */
  service?: string;
  port: number;
  timeoutUs: number;
  failOpen: boolean;
  statusOnError: number;
  pathPrefix: string;
}

/** An HPA bound to its scale target: the Deployment of one version of a service. */
export interface HpaTarget {
  model: HpaModel;
  /** Key of the service and name of the version whose Deployment it scales. */
  service: string;
  version: string;
}

/**
 * A Flagger Canary bound to its target: the Deployment of one version of a service. That
 * version's pods play `<target>-primary` from t=0; a rollout of the target to another version is
 * the new revision Flagger analyses (sim/canary.ts).
 */
export interface CanaryTarget {
  model: CanaryModel;
  /** Key of the service and the version the target Deployment runs at t=0. */
  service: string;
  version: string;
}

export interface ClusterAutoscaleModel {
  min: number;
  max: number;
  provisioningDelayUs: number;
}

export interface Scenario {
  file: string;
  name: string;
  description: string;
  seed: number;
  durationUs: number;
  warmupUs: number;
  mesh: {
    mode: MeshMode;
    profile: string;
    /** Istio's compatibilityVersion: an older release's defaults where they changed (e.g. "1.23"). */
    compatibilityVersion?: string;
    /** meshConfig.extensionProviders: ext_authz providers CUSTOM policies can name. */
    extensionProviders: ExtAuthzProvider[];
    waypoints: string[];
    /** meshConfig.outboundTrafficPolicy.mode: what a sidecar does with a host outside the registry. */
    outboundTrafficPolicy: OutboundTrafficMode;
    /** Pods of each ingress gateway Deployment. */
    gatewayReplicas: number;
    /** Pods of the istio-egressgateway Deployment. */
    egressGatewayReplicas: number;
    configPropagationUs: number;
    encryption: 'wireguard' | 'ipsec' | 'disabled';
  };
  /** spec.mesh.profile, loaded and checked (profiles/*.json), with compatibilityVersion applied. */
  costProfile: CostProfile;
  /** Istio and Kubernetes resources in force at t=0. */
  istio: IstioConfig;
  nodes: NodeModel[];
  network: NetworkModel;
  services: ServiceModel[];
  /** Hosts outside the cluster (spec.external), as services whose `external` is set; keyed by host. */
  externals: ServiceModel[];
  /** Istio's istio-egressgateway, when the Istio config uses it (config/egress-gateway.ts). */
  egressGateway?: ServiceModel;
  workloads: WorkloadModel[];
  faults: FaultModel[];
  slo?: SloModel;
  cost?: { vcpuHourUsd?: number; gibHourUsd?: number; nodeVcpuHourUsd?: number; nodeGibHourUsd?: number; crossZoneGbUsd?: number };
  /** HorizontalPodAutoscalers from the Kubernetes YAML, bound to their targets. */
  hpas: HpaTarget[];
  /** Flagger Canaries from the Kubernetes YAML, bound to their targets. */
  canaries: CanaryTarget[];
  autoscale?: ClusterAutoscaleModel;
  /** How t=0 pods are placed: by the hash spread, or by their requests (kube-scheduler-like). */
  placement: 'hash' | 'requests';
}
