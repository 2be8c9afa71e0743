/**
 * What a fault kind is: one module per kind (src/faults/*.ts) owns the fields of its `inject`
 * block (a zod schema), its description, what it does when it starts and what it undoes when it
 * ends. The chaos script (schedule.ts) and the loader (analysis/load.ts) only go through the
 * registry (registry.ts), so a new kind is a new module plus one line there.
 */
import type * as z from 'zod';
import type { Simulator } from '../kernel/simulator.js';
import type { Timeline } from '../record/timeline.js';
import type { Cluster } from '../world/build.js';
import type { NodeRt, PodRt } from '../world/entities.js';
import type { FaultModel, Scenario } from '../config/model.js';
import type { PathSegment } from '../config/yaml-source.js';
import type { KubeCluster } from '../k8s/cluster.js';

/** What a fault acts through while the run goes. */
export interface FaultContext {
  sim: Simulator;
  timeline: Timeline;
  cluster: Cluster;
  /** The fault's target pods, resolved when it starts (empty when it targets no pods). */
  pods: readonly PodRt[];
  /** The container of a pod dies: the app stops answering and the data plane resets its connections. */
  crash(pod: PodRt): void;
  /** Kubernetes' control loops: pods, endpoints, Deployments, nodes, istiod. */
  kube: KubeCluster;
  /** The fault's target as written (service, version, pod), when it has one. */
  target?: FaultModel['target'];
  /** The node of a node target. */
  node?: NodeRt;
}

/** What a kind acts on: pods of a service (the default), a service's Deployment, a node, or nothing. */
export type FaultTarget = 'pods' | 'deployment' | 'node' | 'none';

/** A kind-specific input error: where in the fault (relative path) and what. */
export interface FaultProblem {
  path: PathSegment[];
  message: string;
}

export interface FaultKind<P> {
  /** The `inject` field that names this kind, e.g. `crash` in `inject: {crash: true}`. */
  key: string;
  /** Other fields the kind takes beside its key (e.g. `status` with `errorRate`), for messages. */
  companions?: readonly string[];
  /** The whole `inject` block of this kind, as written (durations as strings, …) → parameters. */
  schema: z.ZodType<P>;
  /** What the fault does, for labels in the timeline, the report and `explain`. */
  describe(params: P): string;
  start(ctx: FaultContext, params: P): void;
  /** Undo at `until`; kinds without an end stay in effect. */
  end?(ctx: FaultContext, params: P): void;
  /** What the `target` must name (default `pods`: `{service, version?, pod?}`). */
  target?: FaultTarget;
  /** Checks against the scenario beyond the schema (e.g. a version that must exist). */
  check?(params: P, fault: FaultModel, scenario: Scenario): FaultProblem[];
  /** Two faults of this kind may not be active at once (e.g. overlapping istiod outages). */
  exclusive?: boolean;
}

/** Registers a kind with its parameter type checked here and erased in the registry. */
export const defineFault = <P>(kind: FaultKind<P>): FaultKind<unknown> => kind;
