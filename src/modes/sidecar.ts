/** `sidecar`: Istio with an Envoy sidecar in every in-mesh pod and workload client, and istiod. */
import { scopedWorkload, SidecarPlane } from '../dataplane/sidecar.js';
import type { Proxy } from '../dataplane/proxy.js';
import { envoyConfigBytes, envoyMemoryBytes, ISTIO_PROXY_REQUESTS, ISTIOD_POD, istiodComponent } from './istiod.js';
import { gammaWarnings } from './gamma-warnings.js';
import type { MeshModeDef } from './mode.js';
import type { Caller, PodRt, ServiceRt } from '../world/entities.js';

const endpointsOf = (services: readonly ServiceRt[]) => services.reduce((n, svc) => n + svc.pods.length, 0);

export const sidecarMode: MeshModeDef = {
  name: 'sidecar',
  title: 'Istio sidecars',
  colour: '#2563eb',
  components: [
    {
      name: 'sidecar',
      colour: '#2563eb',
      // A sidecar holds a cluster per service it can see and their endpoints: every service of the
      // mesh without a Sidecar resource, only its egress hosts with one (memory model: profiles/).
      proxyMemoryBytes: (p, s) => {
        const services = s.plane.visibleServices?.(p) ?? s.cluster.serviceList;
        return envoyMemoryBytes(p.costs, services.length, endpointsOf(services), p.connections.mean(s.nowUs));
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
    const owners = new Map<Proxy, Caller>();
    const add = (c: Caller) => {
      const p = plane.addSidecar(c);
      owners.set(p, c);
      return p;
    };
    // A sidecar per in-mesh pod and per in-mesh workload client.
    const proxies = [...pods, ...cluster.clients].filter((c) => c.inMesh).map(add);
    const visibleServices = (p: Proxy): ServiceRt[] => {
      const owner = owners.get(p);
      const scopes = plane.currentPolicy.sidecarScopes;
      return owner && scopes.any ? scopes.visibleServices(scopedWorkload(owner), cluster.serviceList) : cluster.serviceList;
    };
    return Object.assign(plane, {
      proxies,
      envoyClusters: () => plane.envoyRouter.allClusters(),
      visibleServices,
      proxyConfigShare: (p: Proxy): number => {
        if (!plane.currentPolicy.sidecarScopes.any || !owners.has(p)) return 1;
        const all = cluster.serviceList;
        const mine = visibleServices(p);
        return envoyConfigBytes(p.costs, mine.length, endpointsOf(mine)) / envoyConfigBytes(p.costs, all.length, endpointsOf(all));
      },
      // A pod created during the run (scale-up, replacement, rollout) gets its sidecar injected too.
      podAdded: (pod: PodRt) => {
        if (pod.inMesh) proxies.push(add(pod));
      },
    });
  },
  configWarnings: (scenario) => gammaWarnings(scenario, 'sidecar'),
};
