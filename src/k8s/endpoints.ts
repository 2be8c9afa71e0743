/**
 * The EndpointSlice controller and what the proxies see of it. A service's slice lists its pods
 * with conditions: `ready` = pod Ready and not terminating, `serving` = readiness ignoring
 * termination, `terminating` = deletionTimestamp set (kubernetes/website
 * …/concepts/services-networking/endpoint-slices.md, "Conditions"; kubernetes/kubernetes
 * pkg/controller/endpointslice). Proxies use only `ready` endpoints: istiod maps a not-ready
 * endpoint to UnHealthy and a terminating one to Terminating and leaves both out of EDS (istio/istio
 * pilot/pkg/serviceregistry/kube/controller/endpointslice.go endpointHealthStatus;
 * pilot/pkg/xds/endpoints/endpoint_builder.go); ztunnel's service LB picks only Healthy workloads
 * (istio/ztunnel src/state/service.rs); kube-proxy routes to ready endpoints.
 *
 * A slice change reaches the proxies through a `Propagator`: istiod's debounced push (sidecar,
 * ambient) or kube-proxy's rate-limited sync (none). The change is applied when it lands, and
 * `endpoint_added` / `endpoint_removed` are logged then, with the slice-change time beside it.
 */
import type { PodRt, ServiceRt } from '../world/entities.js';
import { seconds, type EventSink } from './events.js';

export interface EndpointConditions {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** One slice change as istiod or kube-proxy receives it. */
export interface SliceChange {
  service: ServiceRt;
  pod: PodRt;
  atUs: number;
}

export interface Propagator {
  enqueue(change: SliceChange): void;
}

export type EndpointListener = (service: ServiceRt, endpoints: readonly PodRt[]) => void;

export class EndpointsController {
  private readonly slices = new Map<ServiceRt, Map<PodRt, EndpointConditions>>();
  private readonly visibleBy = new Map<ServiceRt, PodRt[]>();
  private readonly listeners: EndpointListener[] = [];
  /** Set once the propagator exists (it needs `deliver`). */
  propagator?: Propagator;

  constructor(
    private readonly clock: { now: number },
    private readonly events: EventSink,
  ) {}

  /** Pods present and ready when the run starts: in the slice and in every proxy's view already. */
  seed(service: ServiceRt, pods: readonly PodRt[]): void {
    const slice = this.slice(service);
    for (const p of pods) slice.set(p, { ready: true, serving: true, terminating: false });
    this.visibleBy.set(service, [...pods]);
  }

  onChange(listener: EndpointListener): void {
    this.listeners.push(listener);
  }

  /** Endpoints every client proxy (or kube-proxy) currently routes to. */
  visible(service: ServiceRt): readonly PodRt[] {
    return this.visibleBy.get(service) ?? [];
  }

  conditions(pod: PodRt): EndpointConditions | undefined {
    return this.slices.get(pod.service)?.get(pod);
  }

  /** The pod's readiness (Ready condition) or termination changed; `gone` removes it from the slice. */
  update(pod: PodRt, c: { ready: boolean; terminating: boolean } | 'gone'): void {
    const slice = this.slice(pod.service);
    const before = slice.get(pod);
    if (c === 'gone') {
      if (!before) return;
      slice.delete(pod);
    } else {
      const next: EndpointConditions = { ready: c.ready && !c.terminating, serving: c.ready, terminating: c.terminating };
      if (before && before.ready === next.ready && before.serving === next.serving && before.terminating === next.terminating) return;
      slice.set(pod, next);
    }
    const wasReady = before?.ready ?? false;
    const isReady = c !== 'gone' && c.ready && !c.terminating;
    if (wasReady !== isReady) this.propagator?.enqueue({ service: pod.service, pod, atUs: this.clock.now });
  }

  /** A push (or sync) landed: the proxies now see each changed service's ready endpoints. */
  readonly deliver = (changes: SliceChange[]): void => {
    const firstChange = new Map<PodRt, number>();
    const services: ServiceRt[] = [];
    for (const ch of changes) {
      if (!firstChange.has(ch.pod)) firstChange.set(ch.pod, ch.atUs);
      if (!services.includes(ch.service)) services.push(ch.service);
    }
    for (const svc of services) {
      const before = this.visible(svc);
      const now: PodRt[] = [];
      for (const [p, c] of this.slice(svc)) if (c.ready) now.push(p);
      const removed = before.filter((p) => !now.includes(p));
      const added = now.filter((p) => !before.includes(p));
      if (removed.length === 0 && added.length === 0) continue;
      this.visibleBy.set(svc, now);
      for (const p of removed) this.log('endpoint_removed', p, firstChange.get(p));
      for (const p of added) this.log('endpoint_added', p, firstChange.get(p));
      for (const l of this.listeners) l(svc, now);
    }
  };

  private log(type: string, pod: PodRt, sliceUs: number | undefined): void {
    this.events.add(type, {
      pod: pod.name,
      service: pod.service.model.key,
      slice_s: sliceUs === undefined ? undefined : seconds(sliceUs),
      endpoints: this.visible(pod.service).length,
    });
  }

  private slice(service: ServiceRt): Map<PodRt, EndpointConditions> {
    let s = this.slices.get(service);
    if (!s) this.slices.set(service, (s = new Map()));
    return s;
  }
}
