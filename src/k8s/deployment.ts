/**
 * Deployments and their ReplicaSets. Every version of a service is a Deployment
 * (`<service>-<version>`) whose ReplicaSet keeps `replicas` pods alive: it replaces pods that are
 * deleted or evicted (a pod with a deletionTimestamp no longer counts) and removes extra ones,
 * not-ready and newest first. A rollout gives the Deployment a new ReplicaSet (the new version's
 * pod template) and moves pods over under maxSurge / maxUnavailable (./rolling.ts).
 *
 * kubernetes/kubernetes pkg/controller/replicaset/replica_set.go (manageReplicas),
 * pkg/controller/controller_utils.go (FilterActivePods, ActivePodsWithRanks),
 * pkg/controller/deployment/rolling.go; kubernetes/website …/workloads/controllers/deployment.md.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { VersionModel } from '../config/model.js';
import type { PodLifecycleModel } from '../config/lifecycle.js';
import type { PodRt, ServiceRt } from '../world/entities.js';
import type { EventSink } from './events.js';
import type { PodStatus } from './kubelet.js';
import { newRsTarget, oldRsScaleDown, resolveFenceposts, type RsState } from './rolling.js';

export interface ReplicaSet {
  version: VersionModel;
  replicas: number;
  /** Pods it owns that are not being deleted. */
  pods: PodRt[];
}

export interface Deployment {
  name: string;
  service: ServiceRt;
  replicas: number;
  lifecycle: PodLifecycleModel;
  /** Oldest first; the last one is the current template. */
  sets: ReplicaSet[];
  /** A rollout in progress (until every pod runs the new template and is available). */
  rolling: boolean;
}

/** What the controllers need from the cluster: pods to create and delete, and their status. */
export interface PodControl {
  /** Creates a pod of this version; undefined when the API server rejects it (e.g. the injection webhook is down). */
  create(service: ServiceRt, version: VersionModel, owner: string): PodRt | undefined;
  delete(pod: PodRt, reason: string): void;
  status(pod: PodRt): PodStatus | undefined;
}

export class DeploymentController {
  readonly deployments: Deployment[] = [];
  private readonly dirty = new Set<Deployment>();
  private scheduled = false;

  constructor(
    private readonly sim: Simulator,
    private readonly events: EventSink,
    private readonly pods: PodControl,
  ) {}

  /** A Deployment that exists at t=0 with its pods. */
  adopt(service: ServiceRt, version: VersionModel, pods: PodRt[], lifecycle: PodLifecycleModel): Deployment {
    const d: Deployment = {
      name: `${service.model.name}-${version.name}`,
      service,
      replicas: pods.length,
      lifecycle,
      sets: [{ version, replicas: pods.length, pods: [...pods] }],
      rolling: false,
    };
    this.deployments.push(d);
    return d;
  }

  find(service: ServiceRt, version?: string): Deployment[] {
    return this.deployments.filter(
      (d) => d.service === service && (version === undefined || d.sets.some((rs) => rs.version.name === version)),
    );
  }

  owner(pod: PodRt): [Deployment, ReplicaSet] | undefined {
    for (const d of this.deployments) for (const rs of d.sets) if (rs.pods.includes(pod)) return [d, rs];
    return undefined;
  }

  /** `kubectl scale`: a new desired replica count. */
  scale(d: Deployment, replicas: number): void {
    if (d.replicas === replicas) return;
    this.events.add('deployment_scaled', { deployment: d.name, service: d.service.model.key, from: d.replicas, to: replicas });
    d.replicas = replicas;
    this.touch(d);
  }

  /** A new pod template (another version): a rolling update starts. */
  rollout(d: Deployment, version: VersionModel): void {
    const current = d.sets[d.sets.length - 1]!;
    if (current.version === version) return;
    const { maxSurge, maxUnavailable } = resolveFenceposts(d.lifecycle.strategy.maxSurge, d.lifecycle.strategy.maxUnavailable, d.replicas);
    this.events.add('rollout_start', {
      deployment: d.name,
      service: d.service.model.key,
      from: current.version.name,
      to: version.name,
      max_surge: maxSurge,
      max_unavailable: maxUnavailable,
    });
    const existing = d.sets.find((rs) => rs.version === version);
    if (existing) d.sets.push(...d.sets.splice(d.sets.indexOf(existing), 1));
    else d.sets.push({ version, replicas: 0, pods: [] });
    d.rolling = true;
    this.touch(d);
  }

  /** Something changed for a pod (ready, gone, deleted): its Deployment reconciles. */
  podChanged(pod: PodRt): void {
    const o = this.owner(pod);
    if (o) this.touch(o[0]);
  }

  /** A pod left its ReplicaSet (deleted, evicted): the ReplicaSet will replace it. */
  release(pod: PodRt): void {
    const o = this.owner(pod);
    if (!o) return;
    o[1].pods.splice(o[1].pods.indexOf(pod), 1);
    this.touch(o[0]);
  }

  /** Re-sync everything (e.g. istiod is back and pod creation works again). */
  resyncAll(): void {
    for (const d of this.deployments) this.touch(d);
  }

  private touch(d: Deployment): void {
    this.dirty.add(d);
    if (this.scheduled) return;
    this.scheduled = true;
    // Controllers work from a queue: reconcile after the current event, never inside it.
    this.sim.schedule(0, this.sync, undefined);
  }

  private readonly sync = (): void => {
    this.scheduled = false;
    const ds = [...this.dirty];
    this.dirty.clear();
    for (const d of ds) this.reconcile(d);
  };

  private available(rs: ReplicaSet, minReadyUs: number): number {
    const now = this.sim.now;
    return rs.pods.filter((p) => {
      const s = this.pods.status(p);
      return s !== undefined && s.ready && now - s.lastTransitionUs >= minReadyUs;
    }).length;
  }

  private reconcile(d: Deployment): void {
    if (d.sets.length > 1) this.rollStep(d);
    else d.sets[0]!.replicas = d.replicas;
    for (const rs of d.sets) this.manageReplicas(d, rs);
    // Old ReplicaSets scaled to 0 with no pods left are done.
    const current = d.sets[d.sets.length - 1]!;
    d.sets = d.sets.filter((rs) => rs === current || rs.replicas > 0 || rs.pods.length > 0);
    // Pod readiness changes bring us back here until the new pods are all available.
    if (d.rolling && d.sets.length === 1 && this.available(current, d.lifecycle.strategy.minReadyUs) >= d.replicas) {
      d.rolling = false;
      this.events.add('rollout_complete', { deployment: d.name, service: d.service.model.key, version: current.version.name });
    }
  }

  private rollStep(d: Deployment): void {
    const minReady = d.lifecycle.strategy.minReadyUs;
    const { maxSurge, maxUnavailable } = resolveFenceposts(d.lifecycle.strategy.maxSurge, d.lifecycle.strategy.maxUnavailable, d.replicas);
    const newRs = d.sets[d.sets.length - 1]!;
    const old = d.sets.slice(0, -1);
    const state = (rs: ReplicaSet): RsState => ({ replicas: rs.replicas, available: this.available(rs, minReady) });
    newRs.replicas = newRsTarget(d.replicas, maxSurge, state(newRs), old.map(state));
    let [unhealthy, healthy] = oldRsScaleDown(d.replicas, maxUnavailable, state(newRs), old.map(state));
    // cleanupUnhealthyReplicas: the old sets' unavailable pods go first…
    for (const rs of old) {
      const bad = Math.min(unhealthy, rs.replicas - this.available(rs, minReady));
      if (bad > 0) {
        rs.replicas -= bad;
        unhealthy -= bad;
      }
    }
    // …then available ones, oldest ReplicaSet first (scaleDownOldReplicaSetsForRollingUpdate).
    for (const rs of old) {
      const n = Math.min(healthy, rs.replicas);
      rs.replicas -= n;
      healthy -= n;
    }
  }

  /** The ReplicaSet controller: create or delete pods until `replicas` are alive. */
  private manageReplicas(d: Deployment, rs: ReplicaSet): void {
    const diff = rs.pods.length - rs.replicas;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        const pod = this.pods.create(d.service, rs.version, d.name);
        if (!pod) break; // rejected: retried at the next sync
        rs.pods.push(pod);
      }
    } else if (diff > 0) {
      for (const pod of this.victims(rs).slice(0, diff)) {
        rs.pods.splice(rs.pods.indexOf(pod), 1);
        this.pods.delete(pod, `scale-down of ${d.name}`);
      }
    }
  }

  /** ActivePodsWithRanks, simplified: pending, then not ready, then more restarts, then newest first. */
  private victims(rs: ReplicaSet): PodRt[] {
    const key = (p: PodRt): [number, number, number, number] => {
      const s = this.pods.status(p);
      return [s?.phase === 'Pending' ? 0 : 1, s?.ready ? 1 : 0, -(s?.restarts ?? 0), -(s?.createdUs ?? 0)];
    };
    return [...rs.pods].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
      return b.index - a.index;
    });
  }
}
