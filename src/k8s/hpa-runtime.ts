/**
 * HPAs in a run: a metrics pipeline like metrics-server's (each pod's CPU as a rate over its scrape
 * window, scraped every `--metric-resolution`, 15 s in the project's own manifests; a rate needs two
 * scrapes) and the HPA controller syncing every 15 s, scaling Deployments through the pod-lifecycle
 * API, so new pods go through scheduling, startup, readiness and endpoints before they take traffic,
 * and removed ones terminate gracefully.
 * Sources: kubernetes-sigs/metrics-server manifests/base/deployment.yaml (--metric-resolution=15s),
 * pkg/scraper (CPU rate between two cumulative samples); k8s horizontal.go (sync period 15 s).
 */
import type { Simulator } from '../kernel/simulator.js';
import type { HpaModel } from '../config/istio/hpa-schema.js';
import type { VersionModel } from '../config/model.js';
import type { PodRt, ServiceRt } from '../world/entities.js';
import type { PodLifecycleApi } from './api.js';
import type { EventSink } from './events.js';
import { HPA_SYNC_PERIOD_S, HpaController, type HpaPod, type MetricsSource, type PodSample } from './hpa.js';

/** metrics-server `--metric-resolution` in its shipped manifests. */
export const METRIC_RESOLUTION_S = 15;

export interface HpaBinding {
  hpa: HpaModel;
  service: ServiceRt;
  version: VersionModel;
}

/** What the run knows about a pod's containers (app and injected sidecar). */
export interface PodUsage {
  /** Cumulative CPU (µs of one core) of every container of the pod, or of one. */
  cpuUsedUs(pod: PodRt, container?: string): number | undefined;
  /** Working set (bytes) of the pod, or of one container. */
  memoryBytes(pod: PodRt, container?: string): number | undefined;
  /** Requests summed over all containers, and per container (cores, bytes). */
  requests(pod: PodRt): { cpu: number; memory: number };
  containerRequests(pod: PodRt): Record<string, { cpu: number; memory: number }>;
  /** Requests the pod has answered so far (for Pods / Object metrics in requests per second). */
  served(pod: PodRt): number;
}

export interface ReplicaTrace {
  initial: number;
  final: number;
  max: number;
  /** At every sync: the replicas the HPA set (spec.replicas, summed over the service's scaled versions) and the Ready pods. */
  timeline: { tS: number; replicas: number; ready: number }[];
}

/** One HPA sync as `kubectl describe hpa` would show it: current and desired replicas, each metric against its target. */
export interface HpaSample {
  tS: number;
  /** status.currentReplicas: the target's pods that are not terminating. */
  current: number;
  /** status.desiredReplicas: what this sync set spec.replicas to. */
  desired: number;
  /** Ready pods of the target. */
  ready: number;
  metrics: { name: string; current?: number; target: number }[];
}

export interface HpaTrace {
  hpa: string;
  target: string;
  service: string;
  minReplicas: number;
  maxReplicas: number;
  samples: HpaSample[];
}

interface Scrape {
  tS: number;
  cpu: Map<string, number>;
  served: Map<string, number>;
}

export class HpaRuntime {
  private readonly controllers: { binding: HpaBinding; controller: HpaController }[];
  private last?: Scrape;
  private prev?: Scrape;
  private readonly podsByName = new Map<string, PodRt>();
  /** Replicas over the run, per service key (summed over its scaled versions). */
  readonly replicas = new Map<string, ReplicaTrace>();
  /** Every sync of every HPA, in HPA order. */
  readonly traces: HpaTrace[];

  constructor(
    private readonly sim: Simulator,
    private readonly api: PodLifecycleApi,
    private readonly events: EventSink,
    private readonly usage: PodUsage,
    bindings: HpaBinding[],
    private readonly services: readonly ServiceRt[],
  ) {
    this.controllers = bindings.map((binding) => ({ binding, controller: new HpaController(binding.hpa) }));
    this.traces = bindings.map((b) => ({
      hpa: b.hpa.name,
      target: b.hpa.target.name,
      service: b.service.model.key,
      minReplicas: b.hpa.minReplicas,
      maxReplicas: b.hpa.maxReplicas,
      samples: [],
    }));
  }

  start(untilUs: number): void {
    for (let t = 0; t * 1e6 <= untilUs; t += METRIC_RESOLUTION_S) this.sim.at(t * 1e6, () => this.scrape(), undefined);
    // The controller syncs right after the scrape of the same instant (scheduled later, so it runs after).
    for (let t = 0; t * 1e6 <= untilUs; t += HPA_SYNC_PERIOD_S) this.sim.at(t * 1e6, () => this.sync(), undefined);
  }

  private scrape(): void {
    const cpu = new Map<string, number>();
    const served = new Map<string, number>();
    for (const svc of this.services)
      for (const p of this.api.podsOf(svc)) {
        this.podsByName.set(p.name, p);
        const st = this.api.status(p);
        if (!st || st.phase !== 'Running') continue;
        const used = this.usage.cpuUsedUs(p);
        if (used !== undefined) cpu.set(p.name, used);
        for (const c of Object.keys(this.usage.containerRequests(p))) {
          const u = this.usage.cpuUsedUs(p, c);
          if (u !== undefined) cpu.set(`${p.name}/${c}`, u);
        }
        served.set(p.name, this.usage.served(p));
      }
    this.prev = this.last;
    this.last = { tS: this.sim.now / 1e6, cpu, served };
  }

  /** Usage over the last scrape window: a rate between the last two scrapes. */
  private readonly metrics: MetricsSource = {
    resource: (pod, resource) => this.sample(pod, resource),
    containerResource: (pod, container, resource) => this.sample(pod, resource, container),
    pods: (pod) => this.rate(pod),
    object: (kind, name) => {
      if (kind !== 'Service') return undefined;
      const svc = this.services.find((s) => s.model.name === name);
      if (!svc) return undefined;
      let total = 0;
      let any = false;
      for (const p of this.api.podsOf(svc)) {
        const r = this.rate(p.name);
        if (r !== undefined) [total, any] = [total + r, true];
      }
      return any ? total : undefined;
    },
  };

  private sample(podName: string, resource: string, container?: string): PodSample | undefined {
    const { last, prev } = this;
    const pod = this.podsByName.get(podName);
    if (!last || !pod) return undefined;
    const key = container === undefined ? podName : `${podName}/${container}`;
    if (resource === 'memory') {
      const bytes = this.usage.memoryBytes(pod, container);
      return bytes === undefined || !last.cpu.has(key) ? undefined : { value: bytes, timestampS: last.tS, windowS: METRIC_RESOLUTION_S };
    }
    const a = prev?.cpu.get(key);
    const b = last.cpu.get(key);
    if (resource !== 'cpu' || !prev || a === undefined || b === undefined || last.tS <= prev.tS) return undefined;
    return { value: (b - a) / 1e6 / (last.tS - prev.tS), timestampS: last.tS, windowS: last.tS - prev.tS };
  }

  private rate(podName: string): number | undefined {
    const a = this.prev?.served.get(podName);
    const b = this.last?.served.get(podName);
    if (a === undefined || b === undefined || !this.last || !this.prev) return undefined;
    return (b - a) / (this.last.tS - this.prev.tS);
  }

  private sync(): void {
    const nowS = this.sim.now / 1e6;
    const totals = new Map<string, { replicas: number; ready: number }>();
    for (const [i, { binding, controller }] of this.controllers.entries()) {
      const deployment = this.api.deploymentsOf(binding.service).find((d) => d.sets.some((rs) => rs.version === binding.version));
      if (!deployment) continue;
      const pods: HpaPod[] = [];
      for (const p of this.api.podsOf(binding.service)) {
        if (p.version !== binding.version) continue;
        this.podsByName.set(p.name, p);
        const st = this.api.status(p);
        if (!st) continue;
        const req = this.usage.requests(p);
        pods.push({
          name: p.name,
          phase: st.phase === 'Pending' ? 'Pending' : st.phase === 'Terminated' ? 'Failed' : 'Running',
          deleting: st.deleting || st.phase === 'Terminating',
          ready: st.ready,
          startS: st.startedUs === undefined ? undefined : st.startedUs / 1e6,
          readyTransitionS: st.phase === 'Pending' ? undefined : st.lastTransitionUs / 1e6,
          requests: { cpu: req.cpu, memory: req.memory },
          containerRequests: this.usage.containerRequests(p),
        });
      }
      const statusReplicas = pods.filter((p) => !p.deleting).length;
      const d = controller.reconcile({ nowS, specReplicas: deployment.replicas, statusReplicas, pods, metrics: this.metrics });
      if (d.to !== d.from) {
        this.events.add('hpa_scale', {
          hpa: binding.hpa.name,
          target: deployment.name,
          service: binding.service.model.key,
          from: d.from,
          to: d.to,
          reason: d.reason,
          limited: d.limited,
          metric: d.metrics.map((m) => `${m.name} ${m.current ?? '?'}/${m.target}`).join('; '),
        });
        this.api.scale(deployment, d.to);
      }
      const ready = pods.filter((p) => p.ready && !p.deleting).length;
      this.traces[i]!.samples.push({
        tS: nowS,
        current: statusReplicas,
        desired: d.to,
        ready,
        metrics: d.metrics.map((m) => ({ name: m.name, current: m.current, target: m.target })),
      });
      const key = binding.service.model.key;
      const sum = totals.get(key) ?? { replicas: 0, ready: 0 };
      totals.set(key, { replicas: sum.replicas + d.to, ready: sum.ready + ready });
    }
    for (const [key, n] of totals) {
      const t = this.replicas.get(key);
      if (!t) this.replicas.set(key, { initial: n.replicas, final: n.replicas, max: n.replicas, timeline: [] });
      else [t.final, t.max] = [n.replicas, Math.max(t.max, n.replicas)];
      this.replicas.get(key)!.timeline.push({ tS: nowS, replicas: n.replicas, ready: n.ready });
    }
  }
}
