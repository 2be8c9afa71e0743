/**
 * Kubernetes in a run: the control loops of src/k8s wired to this run's pods (world/pod.ts) and
 * data plane. Proxies route to `service.endpoints`, which follow the EndpointSlice propagation.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { MeshMode } from '../config/model.js';
import { DEFAULT_POD_LIFECYCLE } from '../config/lifecycle.js';
import type { Cluster } from '../world/build.js';
import type { PodBehaviour } from '../world/pod.js';
import { KubeCluster, type WorldBridge } from '../k8s/cluster.js';
import type { EventSink } from '../k8s/events.js';
import type { MeshPlane } from '../modes/mode.js';
import type { Timeline } from '../record/timeline.js';

export function startKubernetes(deps: {
  sim: Simulator;
  mode: MeshMode;
  cluster: Cluster;
  pods: PodBehaviour;
  plane: MeshPlane;
  timeline: Timeline;
}): KubeCluster {
  const { pods, plane, cluster, mode } = deps;
  const world: WorldBridge = {
    appDied: (pod) => {
      // On a dead node nothing answers: callers wait for their timeouts. Otherwise the kernel
      // resets the app's connections: in-flight requests get a reset, new connections a refusal.
      if (pod.unreachable) pods.vanish(pod);
      else pods.crash(pod);
      plane.podCrashed(pod);
    },
    appStarted: (pod) => pods.restart(pod),
    sigterm: (pod, exited) => {
      pods.drain(pod, exited);
      plane.podCrashed(pod);
    },
    sidecarExited: (pod) => {
      pods.crash(pod);
      plane.podCrashed(pod);
    },
    hasSidecar: (pod) => mode === 'sidecar' && pod.inMesh,
    newPod: (svc, version, node) => Object.assign(cluster.addPod(svc, version, node), { createdUs: deps.sim.now }),
    podAdded: (pod) => plane.podAdded(pod),
    setUnreachable: (pod, on) => {
      pod.unreachable = on;
    },
    certsExpired: (expired) => plane.setCertsExpired(expired),
  };
  // Removals and deletions carry the service's proxy retries so far: `explain` tells how many
  // requests were retried between a crash and the pod leaving every endpoint list.
  const events: EventSink = {
    add: (type, fields = {}) => {
      const svc = typeof fields.service === 'string' ? cluster.services.get(fields.service) : undefined;
      const counted = svc && (type === 'endpoint_removed' || type === 'pod_deleted') ? { service_retries: svc.retries } : {};
      deps.timeline.add(type, { ...fields, ...counted });
    },
  };
  const k8s = new KubeCluster({
    sim: deps.sim,
    events,
    mode,
    nodes: cluster.nodes,
    services: cluster.serviceList,
    world,
    lifecycleOf: (svc) => svc.model.lifecycle ?? DEFAULT_POD_LIFECYCLE,
  });
  k8s.onPodEvent((e) => {
    if (e.kind === 'gone') e.pod.goneUs = deps.sim.now;
  });
  k8s.endpoints.onChange((svc, endpoints) => {
    svc.endpoints = [...endpoints];
    svc.endpointsVersion++;
  });
  return k8s;
}
