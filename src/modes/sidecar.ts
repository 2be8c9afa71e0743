/** `sidecar`: Istio with an Envoy sidecar in every in-mesh pod and workload client, and istiod. */
import { SidecarPlane } from '../dataplane/sidecar.js';
import { envoyMemoryBytes, ISTIO_PROXY_REQUESTS, ISTIOD_POD, istiodComponent } from './istiod.js';
import type { MeshModeDef } from './mode.js';
import type { PodRt } from '../world/entities.js';

export const sidecarMode: MeshModeDef = {
  name: 'sidecar',
  title: 'Istio sidecars',
  colour: '#2563eb',
  components: [
    {
      name: 'sidecar',
      colour: '#2563eb',
      // Without Sidecar scoping every sidecar holds every service (cluster) and endpoint of the mesh.
      proxyMemoryBytes: (p, s) => {
        const services = s.cluster.serviceList;
        const endpoints = services.reduce((n, svc) => n + svc.pods.length, 0);
        return envoyMemoryBytes(p.costs, services.length, endpoints, p.connections.mean(s.nowUs));
      },
    },
    istiodComponent,
  ],
  clientReporter: 'source',
  workloadCertificates: true,
  // Every in-mesh pod gets the injected istio-proxy container; istiod is a pod of its own.
  requests: {
    injected: (svc): Record<string, { cpu: number; memory: number }> => (svc.inMesh ? { 'istio-proxy': ISTIO_PROXY_REQUESTS } : {}),
    daemonSets: [],
    controlPlane: () => [ISTIOD_POD],
  },
  createPlane: (deps, cluster) => {
    const plane = new SidecarPlane(deps);
    const pods = cluster.serviceList.flatMap((s) => s.pods);
    // A sidecar per in-mesh pod and per in-mesh workload client.
    const proxies = [...pods, ...cluster.clients].filter((c) => c.inMesh).map((c) => plane.addSidecar(c));
    return Object.assign(plane, {
      proxies,
      envoyClusters: () => plane.envoyRouter.allClusters(),
      // A pod created during the run (scale-up, replacement, rollout) gets its sidecar injected too.
      podAdded: (pod: PodRt) => {
        if (pod.inMesh) proxies.push(plane.addSidecar(pod));
      },
    });
  },
};
