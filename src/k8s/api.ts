/**
 * The pod-lifecycle API other controllers (HPA, scheduler, fault kinds) use to add and remove pods.
 * A created pod goes through the real lifecycle before it takes traffic: scheduled on a node →
 * containers start → its sidecar gets config and a certificate from istiod (sidecar mode) → its
 * readiness probe passes → Ready → its endpoint reaches the proxies after istiod's debounce and
 * push (or kube-proxy's sync in mode none). A deleted pod terminates gracefully
 * (terminationGracePeriodSeconds, preStop, SIGTERM, the sidecar's drain).
 */
import type { VersionModel } from '../config/model.js';
import type { NodeRt, PodRt, ServiceRt } from '../world/entities.js';
import type { Deployment } from './deployment.js';
import type { PodStatus } from './kubelet.js';

export type { PodStatus, PodPhase } from './kubelet.js';
export type { Deployment, ReplicaSet } from './deployment.js';

/** Picks a node for a new pod among the schedulable ones (Ready, untainted); undefined leaves it Pending. */
export interface PodPlacement {
  place(service: ServiceRt, version: VersionModel, podIndex: number, nodes: readonly NodeRt[]): NodeRt | undefined;
}

export type PodEvent =
  | { kind: 'created'; pod: PodRt }
  | { kind: 'ready'; pod: PodRt }
  | { kind: 'not_ready'; pod: PodRt }
  | { kind: 'deleted'; pod: PodRt }
  | { kind: 'gone'; pod: PodRt };

export interface PodLifecycleApi {
  /** A bare pod of `version` (not owned by a Deployment); undefined when the API server rejects it. */
  createPod(service: ServiceRt, version: VersionModel): PodRt | undefined;
  /** Graceful deletion; `graceUs` overrides terminationGracePeriodSeconds (kubectl delete --grace-period). */
  deletePod(pod: PodRt, reason: string, graceUs?: number): void;
  status(pod: PodRt): PodStatus | undefined;
  /** Pods of the service that exist now (Pending, Running or Terminating). */
  podsOf(service: ServiceRt): PodRt[];
  /** Endpoints the proxies route to now. */
  endpointsOf(service: ServiceRt): readonly PodRt[];
  /** The Deployments of a service (one per version), e.g. an HPA's scale target. */
  deploymentsOf(service: ServiceRt): Deployment[];
  /** `kubectl scale deployment`: the ReplicaSet creates or gracefully deletes pods. */
  scale(deployment: Deployment, replicas: number): void;
  /** Replaces the default placement (hash spread over schedulable nodes). */
  setPlacement(scheduler: PodPlacement): void;
  /** Told of every pod creation, readiness change, deletion and removal, in order. */
  onPodEvent(listener: (e: PodEvent) => void): void;
}
