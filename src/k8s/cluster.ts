/**
 * The Kubernetes control loops of one run, wired together: kubelets (./kubelet.ts), the
 * EndpointSlice controller and its propagation to the proxies (./endpoints.ts,
 * ./push-debounce.ts), Deployments and ReplicaSets (./deployment.ts), the node lifecycle
 * controller (./node-lifecycle.ts) and istiod's availability (./control-plane.ts). It implements
 * the pod-lifecycle API (./api.ts) and the operations the fault kinds need.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { MeshMode, VersionModel } from '../config/model.js';
import type { PodLifecycleModel } from '../config/lifecycle.js';
import type { NodeRt, PodRt, ServiceRt } from '../world/entities.js';
import { fnv1a } from '../kernel/hash.js';
import type { PodEvent, PodLifecycleApi, PodPlacement } from './api.js';
import { ControlPlane } from './control-plane.js';
import { KUBE_PROXY_MIN_SYNC_US } from './defaults.js';
import { DeploymentController, type Deployment } from './deployment.js';
import { EndpointsController, type SliceChange } from './endpoints.js';
import type { EventSink } from './events.js';
import { Kubelet, type ContainerRuntime, type PodStatus } from './kubelet.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { ISTIOD_DEBOUNCE, MinIntervalSync, PushDebouncer } from './push-debounce.js';

/** What the world and the data plane do for the controllers. */
export interface WorldBridge extends ContainerRuntime {
  /** Builds a new pod object of `version` on `node`, named `<service>-<version>-<i>`, and adds it to the service. */
  newPod(service: ServiceRt, version: VersionModel, node: NodeRt): PodRt;
  /** The data plane gives a new pod its proxy (sidecar mode). */
  podAdded(pod: PodRt): void;
  /** Packets to the pod are dropped (its node is down), or flow again. */
  setUnreachable(pod: PodRt, on: boolean): void;
  /** The proxies' workload certificates expired (istiod down) or were renewed. */
  certsExpired(expired: boolean): void;
}

export interface KubeClusterDeps {
  sim: Simulator;
  events: EventSink;
  mode: MeshMode;
  nodes: readonly NodeRt[];
  services: readonly ServiceRt[];
  world: WorldBridge;
  lifecycleOf: (service: ServiceRt) => PodLifecycleModel;
}

/** Default placement: spread by a hash of the service over the schedulable nodes (as world/build.ts does at t=0). */
const hashSpread: PodPlacement = {
  place: (service, _version, podIndex, nodes) => {
    // A service pinned to a node (spec.services[].node) stays there, or waits for it.
    if (service.model.node !== undefined) return nodes.find((n) => n.model.name === service.model.node);
    return nodes.length === 0 ? undefined : nodes[(fnv1a(service.model.key) + podIndex) % nodes.length];
  },
};

export class KubeCluster implements PodLifecycleApi {
  /** Where the controllers report (the run's timeline): other controllers (HPA, cluster autoscaler) write there too. */
  readonly events: EventSink;
  readonly endpoints: EndpointsController;
  readonly kubelet: Kubelet;
  readonly deployments: DeploymentController;
  readonly nodes: NodeLifecycleController;
  readonly istiod: ControlPlane;
  private readonly debouncer?: PushDebouncer<SliceChange>;
  /** Config writes (e.g. the VirtualService weights Flagger writes) on their way to the proxies. */
  private readonly configPush: PushDebouncer<() => void>;
  /**
   * Who owns a Deployment's pod-template changes instead of the rolling update: Flagger, for the
   * Deployments its Canaries target (returns true when it took the change).
   */
  rolloutHook?: (service: ServiceRt, from: string | undefined, to: VersionModel) => boolean;
  private placement: PodPlacement = hashSpread;
  private readonly listeners: ((e: PodEvent) => void)[] = [];
  private readonly live = new Map<ServiceRt, PodRt[]>();
  /** Pods created while no node could take them. */
  private pending: { pod: PodRt; service: ServiceRt; version: VersionModel }[] = [];

  constructor(private readonly deps: KubeClusterDeps) {
    const { sim, events, world } = deps;
    this.events = events;
    this.endpoints = new EndpointsController(sim, events);
    if (deps.mode === 'none') this.endpoints.propagator = new MinIntervalSync(sim, this.endpoints.deliver, KUBE_PROXY_MIN_SYNC_US);
    else this.endpoints.propagator = this.debouncer = new PushDebouncer(sim, this.endpoints.deliver, ISTIOD_DEBOUNCE);
    this.configPush = new PushDebouncer(sim, (changes) => changes.forEach((apply) => apply()), ISTIOD_DEBOUNCE);
    this.istiod = new ControlPlane(sim, events, {
      down: () => {
        this.debouncer?.pause();
        this.configPush.pause();
      },
      up: () => {
        this.debouncer?.resume();
        this.configPush.resume();
        this.kubelet.istiodUp();
        this.deployments.resyncAll();
      },
      certsExpired: () => world.certsExpired(true),
      certsRenewed: () => world.certsExpired(false),
    });
    this.nodes = new NodeLifecycleController(sim, {
      stopped: (node) => {
        for (const p of this.podsOnNode(node)) {
          // Packets are dropped first, so what the pods held is lost silently (no reset reaches anyone).
          world.setUnreachable(p, true);
          this.kubelet.nodeDown(p);
          world.appDied(p);
        }
      },
      notReady: (node) => {
        events.add('node_not_ready', { node: node.model.name, pods: this.podsOnNode(node).length });
        for (const p of this.podsOnNode(node)) this.kubelet.markNodeLost(p);
      },
      evict: (node) =>
        this.evictPods(
          node,
          this.podsOnNode(node).filter((p) => !this.kubelet.get(p)?.deleting),
          'node.kubernetes.io/unreachable',
          'evicted: node unreachable',
        ),
      recovered: (node) => {
        events.add('node_ready', { node: node.model.name });
        for (const p of this.podsOnNode(node)) {
          world.setUnreachable(p, false);
          this.kubelet.nodeUp(p);
        }
        this.retryPending();
      },
    });
    this.kubelet = new Kubelet({
      sim,
      events,
      endpoints: this.endpoints,
      runtime: world,
      istiodUp: () => deps.mode === 'none' || this.istiod.up,
      nodeUp: (pod) => this.nodes.isUp(pod.node),
      lifecycleOf: (pod) => deps.lifecycleOf(pod.service),
    });
    this.deployments = new DeploymentController(sim, events, {
      create: (service, version) => this.createPod(service, version),
      delete: (pod, reason) => this.deletePod(pod, reason),
      status: (pod) => this.kubelet.get(pod),
    });
    this.kubelet.onReadyChange((s) => {
      this.emit({ kind: s.ready ? 'ready' : 'not_ready', pod: s.pod });
      this.deployments.podChanged(s.pod);
    });
    this.kubelet.onGone((s) => {
      const list = this.live.get(s.pod.service);
      if (list) list.splice(list.indexOf(s.pod), 1);
      this.emit({ kind: 'gone', pod: s.pod });
    });
    // The pods of t=0: running, Ready, in every endpoint list, owned by their version's Deployment.
    for (const svc of deps.services) {
      this.live.set(svc, [...svc.pods]);
      for (const p of svc.pods) this.kubelet.adoptRunning(p);
      this.endpoints.seed(svc, svc.pods);
      for (const version of svc.model.versions) {
        const pods = svc.pods.filter((p) => p.version === version);
        this.deployments.adopt(svc, version, pods, deps.lifecycleOf(svc));
      }
    }
  }

  // ---- the pod-lifecycle API ----

  createPod(service: ServiceRt, version: VersionModel): PodRt | undefined {
    // The sidecar-injection webhook (failurePolicy: Fail) rejects pod creation while istiod is down.
    if (this.deps.mode === 'sidecar' && service.model.inMesh && !this.istiod.up) {
      this.deps.events.add('pod_create_rejected', {
        service: service.model.key,
        version: version.name,
        reason: 'istiod unavailable (injection webhook)',
      });
      return undefined;
    }
    const index = service.pods.length;
    const node = this.placement.place(
      service,
      version,
      index,
      this.deps.nodes.filter((n) => this.nodes.schedulable(n)),
    );
    const pod = this.deps.world.newPod(service, version, node ?? this.deps.nodes[0]!);
    this.deps.world.podAdded(pod);
    let list = this.live.get(service);
    if (!list) this.live.set(service, (list = []));
    list.push(pod);
    this.deps.events.add('pod_created', { pod: pod.name, service: service.model.key, node: node?.model.name ?? '', version: version.name });
    this.emit({ kind: 'created', pod });
    if (node) this.kubelet.start(pod);
    else this.pending.push({ pod, service, version });
    return pod;
  }

  /** Evicts `pods` from `node`: a `pod_evicted` event naming the taint that evicts them, then a graceful delete. */
  evictPods(node: NodeRt, pods: readonly PodRt[], taint: string, reason: string): void {
    for (const p of pods) {
      this.events.add('pod_evicted', { pod: p.name, service: p.service.model.key, node: node.model.name, taint });
      this.deletePod(p, reason);
    }
  }

  deletePod(pod: PodRt, reason: string, graceUs?: number): void {
    const s = this.kubelet.get(pod);
    if (!s || s.deleting) return;
    this.deployments.release(pod);
    this.emit({ kind: 'deleted', pod });
    this.kubelet.delete(pod, reason, graceUs);
  }

  status(pod: PodRt): PodStatus | undefined {
    return this.kubelet.get(pod);
  }

  podsOf(service: ServiceRt): PodRt[] {
    return [...(this.live.get(service) ?? [])];
  }

  endpointsOf(service: ServiceRt): readonly PodRt[] {
    return this.endpoints.visible(service);
  }

  deploymentsOf(service: ServiceRt): Deployment[] {
    return this.deployments.find(service);
  }

  scale(deployment: Deployment, replicas: number): void {
    this.deployments.scale(deployment, replicas);
  }

  setPlacement(scheduler: PodPlacement): void {
    this.placement = scheduler;
  }

  onPodEvent(listener: (e: PodEvent) => void): void {
    this.listeners.push(listener);
  }

  // ---- operations of the fault kinds ----

  /** The app container of `pod` crashes; while `loop` holds, every restart crashes again. */
  crash(pod: PodRt, loop: boolean): void {
    this.kubelet.setCrashLoop(pod, loop);
    if (!loop) this.kubelet.crash(pod);
  }

  /** The crash fault ended: the container starts healthy at its next restart. */
  heal(pod: PodRt): void {
    this.kubelet.setCrashLoop(pod, false);
  }

  /** A node stops (power, kernel, network): see ./node-lifecycle.ts. */
  failNode(node: NodeRt): void {
    if (!this.nodes.isUp(node)) return;
    const pods = this.podsOnNode(node).filter((p) => this.kubelet.get(p)?.phase !== 'Terminated');
    this.deps.events.add('node_failure', { node: node.model.name, pods: pods.length, pod_names: pods.map((p) => p.name).join(',') });
    this.nodes.fail(node);
  }

  recoverNode(node: NodeRt): void {
    this.nodes.recover(node);
  }

  /** `kubectl scale` of the service's Deployment (the one of `version`, or its only one). */
  scaleService(service: ServiceRt, version: string | undefined, replicas: number): void {
    const d = this.deployments.find(service, version)[0];
    if (d) this.deployments.scale(d, replicas);
  }

  /**
   * A config change istiod has seen: it reaches the proxies with istiod's next debounced push
   * (100 ms of quiet, at most 10 s: ./push-debounce.ts), and not before istiod is back when it is down.
   */
  pushConfig(apply: () => void): void {
    this.configPush.enqueue(apply);
  }

  /** A rolling update of the Deployment running `from` (or the service's only one) to `to`'s pod template. */
  rollout(service: ServiceRt, from: string | undefined, to: VersionModel): void {
    if (this.rolloutHook?.(service, from, to)) return;
    const d =
      this.deployments.find(service, from).find((x) => x.sets[x.sets.length - 1]?.version !== to) ??
      this.deployments.find(service, from)[0];
    if (d) this.deployments.rollout(d, to);
  }

  /** Pods created while no schedulable node could take them (unschedulable, Pending). */
  pendingPods(): PodRt[] {
    return this.pending.filter((w) => !this.kubelet.get(w.pod)?.deleting).map((w) => w.pod);
  }

  /** A node joined the cluster (the cluster autoscaler's): Pending pods are tried again. */
  nodeAdded(): void {
    this.retryPending();
  }

  /** Pods on the node that are not terminated (the cluster autoscaler drains them before removing it). */
  podsOn(node: NodeRt): PodRt[] {
    return this.podsOnNode(node).filter((p) => this.kubelet.get(p)?.phase !== 'Terminated');
  }

  private podsOnNode(node: NodeRt): PodRt[] {
    const out: PodRt[] = [];
    for (const list of this.live.values()) for (const p of list) if (p.node === node) out.push(p);
    return out;
  }

  private retryPending(): void {
    const waiting = this.pending;
    this.pending = [];
    for (const w of waiting) {
      const node = this.placement.place(
        w.service,
        w.version,
        w.pod.index,
        this.deps.nodes.filter((n) => this.nodes.schedulable(n)),
      );
      if (this.kubelet.get(w.pod)?.deleting) continue;
      if (!node) this.pending.push(w);
      else {
        (w.pod as { node: NodeRt }).node = node;
        this.kubelet.start(w.pod);
      }
    }
  }

  private emit(e: PodEvent): void {
    for (const l of this.listeners) l(e);
  }
}
