/**
 * Flagger in a run: each Canary's controller (k8s/flagger.ts) bound to its service, the
 * Deployments, istiod's push and the metrics Prometheus would have.
 *
 * How Flagger's objects map onto the scenario (fluxcd/flagger docs/gitbook/usage/how-it-works.md):
 * - The target Deployment's version at t=0 plays `<target>-primary`: Flagger's initialization
 *   (copy the target to the primary, scale the target to zero, route 100 % to the primary) is taken
 *   as done before the run.
 * - A new revision is a `rollout` fault on the target (`kubectl set image`): Flagger owns it, so no
 *   rolling update starts; at its next interval Flagger scales the canary — the Deployment of the
 *   version rolled out to, declared with `replicas: 0` — up to the primary's replicas.
 * - The VirtualService Flagger writes (named after the service, taking over one of that name) routes
 *   to subsets `primary` and `canary` of a DestinationRule it writes for the host (replacing the
 *   service's own), selecting the two versions' pod labels. Flagger routes to generated services
 *   `<name>-primary` / `<name>-canary` instead; the traffic split is the same. Each weight change
 *   reaches the proxies with istiod's debounced push, not while istiod is down.
 * - Promotion copies the canary's template to the primary: the primary's pods roll to the revision's
 *   behaviour but keep the primary's labels (Flagger relabels them `app: <name>-primary`).
 * - The metrics are the canary pods' server-side reports (reporter="destination").
 * Flagger needs Istio's sidecars for this: in other modes the Canary is not run (a warning says so).
 */
import type { Simulator } from '../kernel/simulator.js';
import { stableRecord } from '../kernel/stable-shapes.js';
import type { IstioConfig, IstioResource } from '../config/istio/resources.js';
import { emptyIstioConfig } from '../config/istio/resources.js';
import { destinationRuleSpec, virtualServiceSpec } from '../config/istio/networking-schemas.js';
import type { CanaryModel } from '../config/istio/flagger-schema.js';
import type { CanaryTarget, MeshMode, Scenario, VersionModel } from '../config/model.js';
import type { Timeline } from '../record/timeline.js';
import type { KubeCluster } from '../k8s/cluster.js';
import type { Deployment } from '../k8s/deployment.js';
import { FlaggerCanary, type CanaryPhase, type CanaryTick } from '../k8s/flagger.js';
import { WorkloadWindow } from '../telemetry/canary-window.js';
import type { Cluster } from '../world/build.js';
import type { PodRt, ServiceRt } from '../world/entities.js';

/** One Canary's run, for results.json and the report. */
export interface CanaryRun {
  name: string;
  namespace: string;
  service: string;
  target: string;
  phase: CanaryPhase;
  revision?: string;
  weight: number;
  failed_checks: number;
  threshold: number;
  max_weight: number;
  interval_s: number;
  /** The request-success-rate check's floor (%), when there is one. */
  success_rate_min?: number;
  ticks: CanaryTick[];
}

/** What a running Canary needs from the simulation: the clock, the cluster, the timeline, and the config-push path. */
export interface CanaryStartDeps {
  sim: Simulator;
  kube: KubeCluster;
  timeline: Timeline;
  apply: (c: IstioConfig) => void;
  untilUs: number;
}

export interface CanaryPlan {
  /** The VirtualServices and DestinationRules Flagger's initialization wrote (100 % primary), in force at t=0. */
  initial: IstioConfig;
  /** Metric windows to feed with the pods' server-side reports. */
  observers: WorkloadWindow[];
  start(deps: CanaryStartDeps): () => CanaryRun[];
}

/** Flagger's Istio provider needs sidecars (reporter="destination" metrics, VirtualService routing at the client). */
export const canaryModes: readonly MeshMode[] = ['sidecar'];

export function planCanaries(scenario: Scenario, mode: MeshMode, cluster: Cluster): CanaryPlan | undefined {
  if (scenario.canaries.length === 0 || !canaryModes.includes(mode)) return undefined;
  const bound = scenario.canaries.flatMap((t) => {
    const svc = cluster.services.get(t.service);
    const primary = svc?.model.versions.find((v) => v.name === t.version);
    const res = scenario.istio.canaries.find((c) => c.name === t.model.name && c.namespace === t.model.namespace);
    return svc && primary && res ? [new CanaryBinding(t, svc, primary, res, scenario.istio)] : [];
  });
  const initial = emptyIstioConfig();
  for (const b of bound) merge(initial, b.routes(100, 0));
  return {
    initial,
    observers: bound.map((b) => b.window),
    start: (deps) => {
      const runs = bound.map((b) => b.start(deps));
      deps.kube.rolloutHook = (svc, from, to) => bound.some((b) => b.takeRevision(svc, from, to));
      return () => runs.map((r) => r());
    },
  };
}

const merge = (into: IstioConfig, c: IstioConfig) => {
  into.virtualServices.push(...c.virtualServices);
  into.destinationRules.push(...c.destinationRules);
};

class CanaryBinding {
  readonly window: WorkloadWindow;
  private readonly model: CanaryModel;
  /** The version whose pods are the canary workload now (the revision under analysis). */
  private canaryVersion?: VersionModel;
  private controller?: FlaggerCanary;
  private readonly drName: string;

  constructor(
    private readonly target: CanaryTarget,
    private readonly svc: ServiceRt,
    private readonly primary: VersionModel,
    private readonly res: IstioResource<CanaryModel>,
    istio: IstioConfig,
  ) {
    this.model = target.model;
    const keep = Math.max(this.model.intervalUs, ...this.model.metrics.map((m) => m.intervalUs));
    this.window = new WorkloadWindow((p: PodRt) => p.service === svc && p.version === this.canaryVersion, keep);
    // Flagger's DestinationRule replaces the service's own (the host has one rule).
    const own = istio.destinationRules.find(
      (d) => d.namespace === svc.model.namespace && [svc.model.name, svc.model.fqdn].includes(d.spec.host),
    );
    this.drName = own?.name ?? svc.model.name;
  }

  /** The VirtualService and DestinationRule for these weights (Flagger's Istio router, SetRoutes). */
  routes(primaryWeight: number, canaryWeight: number): IstioConfig {
    const host = this.svc.model.name;
    const canary = this.canaryVersion;
    const route = [{ destination: { host, subset: 'primary' }, weight: primaryWeight }];
    const subsets = [{ name: 'primary', labels: this.primary.labels }];
    if (canary) {
      route.push({ destination: { host, subset: 'canary' }, weight: canaryWeight });
      subsets.push({ name: 'canary', labels: canary.labels });
    }
    const at = { namespace: this.svc.model.namespace, src: this.res.src, order: -1 };
    const config = emptyIstioConfig();
    config.virtualServices.push({
      kind: 'VirtualService',
      name: host,
      ...at,
      spec: virtualServiceSpec.parse({ hosts: [host], http: [{ route }] }),
    });
    config.destinationRules.push({ kind: 'DestinationRule', name: this.drName, ...at, spec: destinationRuleSpec.parse({ host, subsets }) });
    return config;
  }

  start(deps: CanaryStartDeps): () => CanaryRun {
    const { sim, kube, timeline } = deps;
    const name = (v: VersionModel) => `${this.svc.model.name}-${v.name}`;
    const primaryDeployment = kube.deploymentsOf(this.svc).find((d) => d.name === name(this.primary));
    const canaryDeployment = () =>
      this.canaryVersion ? kube.deploymentsOf(this.svc).find((d) => d.name === name(this.canaryVersion!)) : undefined;
    const ready = (d: Deployment | undefined) => {
      const current = d?.sets[d.sets.length - 1];
      return !!d && !!current && d.replicas > 0 && !d.rolling && current.pods.filter((p) => kube.status(p)?.ready).length >= d.replicas;
    };
    const c = new FlaggerCanary(
      sim,
      this.model,
      {
        metric: (m, windowUs) =>
          m === 'request-success-rate' ? this.window.successRate(sim.now, windowUs) : this.window.durationP99(sim.now, windowUs),
        setRoutes: (p, w) => {
          const change = this.routes(p, w);
          kube.pushConfig(() => deps.apply(change));
        },
        scaleUp: () => {
          const d = canaryDeployment();
          if (d && primaryDeployment) kube.scale(d, primaryDeployment.replicas > 0 ? primaryDeployment.replicas : 1);
        },
        scaleToZero: () => {
          const d = canaryDeployment();
          if (d) kube.scale(d, 0);
        },
        promote: () => {
          const v = this.canaryVersion;
          // The canary's template with the primary's labels: the primary's pods keep being the primary.
          // A stableRecord as every version model (config/load.ts), so the request path, which
          // reads a pod's version, sees one hidden class before and after the promotion.
          if (v && primaryDeployment) kube.deployments.rollout(primaryDeployment, stableRecord({ ...v, labels: this.primary.labels }));
        },
        primaryReady: () => ready(primaryDeployment),
        canaryReady: () => ready(canaryDeployment()),
      },
      { add: (type, fields) => timeline.add(type, fields) },
      this.model.target,
    );
    this.controller = c;
    c.start(deps.untilUs);
    return () => ({
      name: this.model.name,
      namespace: this.model.namespace,
      service: this.svc.model.key,
      target: this.model.target,
      phase: c.phase,
      revision: c.revision,
      weight: c.canaryWeight,
      failed_checks: c.failedChecks,
      threshold: this.model.threshold,
      max_weight: c.maxWeight,
      interval_s: this.model.intervalUs / 1e6,
      success_rate_min: this.model.metrics.find((m) => m.name === 'request-success-rate')?.min,
      ticks: c.ticks,
    });
  }

  /** A rollout of the target Deployment: Flagger's new revision, not a rolling update. */
  takeRevision(svc: ServiceRt, from: string | undefined, to: VersionModel): boolean {
    if (svc !== this.svc || (from ?? this.primary.name) !== this.primary.name || !this.controller) return false;
    this.canaryVersion = to;
    this.controller.newRevision(to.name);
    return true;
  }
}
