/**
 * `appmesh`: AWS App Mesh (legacy: end of support 2026-09-30), Envoy sidecars programmed from the
 * App Mesh CRDs. The CRDs are translated to the Envoy configuration Istio would give the same
 * sidecars (config/appmesh/translate.ts) and run on the Envoy engine of mode `sidecar`, with App
 * Mesh's defaults (2 retries on 503/connect failure/refused stream, 15 s per-request timeout,
 * ROUND_ROBIN, TLS only where a listener asks for it). The control plane is AWS-managed: nothing
 * of it runs in the cluster besides the small appmesh-controller, which is not modelled.
 */
import type { PodRt } from '../world/entities.js';
import { translateAppMesh } from '../config/appmesh/translate.js';
import { APP_MESH_END_OF_SUPPORT } from '../config/appmesh/schemas.js';
import { SidecarPlane } from '../dataplane/sidecar.js';
import { MeshPolicy } from '../policy/mesh-policy.js';
import { serviceParents } from '../policy/gamma.js';
import { foreignConfigWarnings } from './foreign-config.js';
import { envoyMemoryBytes } from './istiod.js';
import type { MeshModeDef } from './mode.js';
import type { Scenario } from '../config/model.js';
import type { IstioConfig } from '../config/istio/resources.js';

/** Istio config equivalent to the scenario's App Mesh resources; no Istio kinds of its own. */
export function appMeshConfig(scenario: Scenario): IstioConfig {
  const cfg = scenario.istio;
  const t = translateAppMesh(cfg.mesh, 1_000_000);
  return {
    ...cfg,
    // App Mesh's Envoys take no GAMMA routes; Gateway API ingress (Gateway parents) still runs.
    mesh: { ...cfg.mesh, httpRoutes: cfg.mesh.httpRoutes.filter((r) => serviceParents(r).length === 0) },
    virtualServices: t.virtualServices,
    destinationRules: t.destinationRules,
    peerAuthentications: [],
    authorizationPolicies: [],
    sidecars: [],
    serviceEntries: [],
    requestAuthentications: [],
    envoyFilters: [],
  };
}

export const appmeshMode: MeshModeDef = {
  name: 'appmesh',
  title: 'AWS App Mesh (Envoy sidecars, legacy)',
  colour: '#f97316',
  components: [
    {
      name: 'appmesh-envoy',
      colour: '#f97316',
      proxyMemoryBytes: (p, s) => {
        const services = s.cluster.serviceList;
        const endpoints = services.reduce((n, svc) => n + svc.pods.length, 0);
        return envoyMemoryBytes(p.costs, services.length, endpoints, p.connections.mean(s.nowUs));
      },
    },
  ],
  clientReporter: 'source',
  // Certificates only where listeners configure TLS (ACM PCA or SDS); not rotated by the simulator.
  workloadCertificates: false,
  createPlane: (deps, cluster, scenario) => {
    const policy = new MeshPolicy(appMeshConfig(scenario), [...scenario.services, ...scenario.externals]);
    const plane = new SidecarPlane({ ...deps, policy }, { proxyKind: 'appmesh-envoy', autoMtls: false });
    const pods = cluster.serviceList.flatMap((s) => s.pods);
    const proxies = [...pods, ...cluster.clients].filter((c) => c.inMesh).map((c) => plane.addSidecar(c));
    // App Mesh is configured through its own CRDs: Istio config changes never reach these Envoys.
    plane.setPolicy = () => {};
    return Object.assign(plane, {
      proxies,
      envoyClusters: () => plane.envoyRouter.allClusters(),
      podAdded: (pod: PodRt) => {
        if (pod.inMesh) proxies.push(plane.addSidecar(pod));
      },
    });
  },
  configWarnings: (scenario) => [
    {
      file: scenario.file,
      line: 1,
      col: 1,
      severity: 'warning',
      message: `mode appmesh: AWS App Mesh reached end of support on ${APP_MESH_END_OF_SUPPORT}; simulated for migration studies`,
    },
    ...foreignConfigWarnings(scenario.istio, 'appmesh', 'appmesh'),
  ],
};
