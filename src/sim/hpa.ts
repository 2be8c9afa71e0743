/**
 * The run's HorizontalPodAutoscalers: each HPA of the scenario bound to its Deployment, fed with
 * what the world and the data plane measure (the app's CPU and its sidecar's, requests served),
 * scaling through the pod-lifecycle API.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { CostProfile } from '../config/profile.js';
import type { MeshMode, Scenario } from '../config/model.js';
import type { PodLifecycleApi } from '../k8s/api.js';
import type { EventSink } from '../k8s/events.js';
import { HpaRuntime, type HpaBinding, type PodUsage } from '../k8s/hpa-runtime.js';
import { containerRequests, NO_MESH_REQUESTS, podRequests } from '../k8s/placement.js';
import { meshMode } from '../modes/registry.js';
import type { PodRt, ServiceRt } from '../world/entities.js';

/** A sidecar's own CPU counter (the data plane's Proxy has one). */
const sidecarCpuUs = (pod: PodRt): number => (pod.sidecar as { cpuUsedUs?: number } | undefined)?.cpuUsedUs ?? 0;

export function startHpas(deps: {
  sim: Simulator;
  scenario: Scenario;
  mode: MeshMode;
  profile: CostProfile;
  api: PodLifecycleApi;
  events: EventSink;
  services: Map<string, ServiceRt>;
  untilUs: number;
}): HpaRuntime | undefined {
  const { scenario, mode, profile } = deps;
  const modeRequests = meshMode(mode).requests ?? NO_MESH_REQUESTS;
  if (scenario.hpas.length === 0) return undefined;
  const bindings: HpaBinding[] = [];
  for (const h of scenario.hpas) {
    const service = deps.services.get(h.service);
    const version = service?.model.versions.find((v) => v.name === h.version);
    if (service && version) bindings.push({ hpa: h.model, service, version });
  }
  const hasSidecar = (p: PodRt) => 'istio-proxy' in modeRequests.injected(p.service.model);
  const usage: PodUsage = {
    cpuUsedUs: (p, c) => {
      if (c === 'app') return p.cpuUsedUs;
      if (c === 'istio-proxy') return hasSidecar(p) ? sidecarCpuUs(p) : undefined;
      return p.cpuUsedUs + (hasSidecar(p) ? sidecarCpuUs(p) : 0);
    },
    // The app's working set is its memory request; the sidecar's is the profile's base memory.
    memoryBytes: (p, c) => {
      const app = p.service.model.resources.requestMemoryBytes;
      const proxy = hasSidecar(p) ? profile.sidecar.baseMemoryMB * 1e6 : 0;
      return c === 'app' ? app : c === 'istio-proxy' ? (hasSidecar(p) ? proxy : undefined) : app + proxy;
    },
    requests: (p) => podRequests(modeRequests, p.service.model),
    containerRequests: (p) => containerRequests(modeRequests, p.service.model),
    served: (p) => p.served,
  };
  const rt = new HpaRuntime(deps.sim, deps.api, deps.events, usage, bindings, [...deps.services.values()]);
  rt.start(deps.untilUs);
  return rt;
}
