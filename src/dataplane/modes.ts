/** Picks the data plane for a mesh mode and creates its proxies. */
import type { MeshMode } from '../config/model.js';
import type { Cluster } from '../world/build.js';
import { fnv1a } from '../kernel/hash.js';
import { AmbientPlane } from './ambient.js';
import { DirectPlane } from './direct.js';
import type { DataPlane, PlaneDeps } from './plane.js';
import type { Proxy } from './proxy.js';
import type { ClusterRt } from './envoy-cluster.js';
import { SidecarPlane } from './sidecar.js';

export interface MeshPlane extends DataPlane {
  /** Every proxy of the mesh (sidecars, ztunnels, waypoints), for resource accounting. */
  readonly proxies: Proxy[];
  /** Every Envoy cluster the sidecars and waypoints built, for circuit-breaker and outlier stats. */
  envoyClusters(): ClusterRt[];
}

export function createPlane(mode: MeshMode, deps: PlaneDeps, cluster: Cluster): MeshPlane {
  const pods = cluster.serviceList.flatMap((s) => s.pods);
  switch (mode) {
    case 'none':
      return Object.assign(new DirectPlane(deps), { proxies: [] as Proxy[], envoyClusters: () => [] });
    case 'sidecar': {
      const plane = new SidecarPlane(deps);
      // A sidecar per in-mesh pod and per in-mesh workload client.
      const proxies = [...pods, ...cluster.clients].filter((c) => c.inMesh).map((c) => plane.addSidecar(c));
      return Object.assign(plane, { proxies, envoyClusters: () => plane.envoyRouter.allClusters() });
    }
    case 'ambient': {
      const plane = new AmbientPlane(deps);
      const proxies = cluster.nodes.map((n) => plane.addZtunnel(n));
      for (const key of deps.scenario.mesh.waypoints) {
        const svc = cluster.services.get(key);
        if (!svc) continue;
        // One waypoint replica per service, placed like a pod of its own deployment.
        const node = cluster.nodes[fnv1a(`waypoint/${key}`) % cluster.nodes.length];
        if (node) proxies.push(plane.addWaypoint(svc, node));
      }
      return Object.assign(plane, { proxies, envoyClusters: () => plane.envoyRouter.allClusters() });
    }
  }
}
