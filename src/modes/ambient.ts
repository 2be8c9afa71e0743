/** `ambient`: Istio ambient mode, a ztunnel per node (L4, HBONE mTLS) and waypoints for L7, and istiod. */
import { AmbientPlane } from '../dataplane/ambient.js';
import type { Proxy } from '../dataplane/proxy.js';
import { fnv1a } from '../kernel/hash.js';
import { envoyMemoryBytes, ISTIOD_POD, istiodComponent, WAYPOINT_REQUESTS } from './istiod.js';
import { gammaWarnings } from './gamma-warnings.js';
import type { MeshModeDef } from './mode.js';
import type { NodeRt } from '../world/entities.js';

const Mi = 1024 ** 2;

export const ambientMode: MeshModeDef = {
  name: 'ambient',
  title: 'Istio ambient (ztunnel + waypoints)',
  colour: '#0d9488',
  components: [
    {
      name: 'ztunnel',
      colour: '#0d9488',
      // ztunnel holds the workloads on its node, not the mesh's clusters.
      proxyMemoryBytes: (p, s) => {
        const c = p.costs;
        const workloads =
          s.cluster.serviceList.reduce((n, svc) => n + svc.pods.filter((pod) => pod.node === p.node).length, 0) +
          s.cluster.clients.filter((cl) => cl.node === p.node).length;
        return c.baseMemoryMB * 1e6 + workloads * c.memPerWorkloadKB * 1e3 + p.connections.mean(s.nowUs) * c.memPerConnectionKB * 1e3;
      },
    },
    {
      name: 'waypoint',
      colour: '#7c3aed',
      // A waypoint holds the one service it serves and that service's endpoints.
      proxyMemoryBytes: (p, s) => {
        const svc = s.cluster.serviceList.find((x) => x.waypoint === p);
        return envoyMemoryBytes(p.costs, 1, svc?.pods.length ?? 0, p.connections.mean(s.nowUs));
      },
    },
    istiodComponent,
  ],
  // Only a waypoint sees HTTP in ambient: calls through one are reported by it, others not at all.
  clientReporter: 'waypoint',
  workloadCertificates: true,
  // Nothing is injected; every node runs ztunnel (manifests/charts/ztunnel/values.yaml: 200m / 512Mi)
  // and the istio-cni node agent (manifests/charts/istio-cni/values.yaml: 100m / 100Mi); istiod and
  // each waypoint are pods.
  requests: {
    injected: () => ({}),
    daemonSets: [
      { name: 'ztunnel', cpu: 0.2, memory: 512 * Mi },
      { name: 'istio-cni-node', cpu: 0.1, memory: 100 * Mi },
    ],
    controlPlane: (scenario) => [
      ISTIOD_POD,
      ...scenario.mesh.waypoints.map((w) => ({ name: `${w}-waypoint-0`, group: `waypoint/${w}`, ...WAYPOINT_REQUESTS })),
    ],
  },
  createPlane: (deps, cluster, scenario) => {
    const plane = new AmbientPlane(deps);
    const proxies: Proxy[] = cluster.nodes.map((n) => plane.addZtunnel(n));
    for (const key of scenario.mesh.waypoints) {
      const svc = cluster.services.get(key);
      if (!svc) continue;
      // One waypoint replica per service, placed like a pod of its own deployment.
      const node = cluster.nodes[fnv1a(`waypoint/${key}`) % cluster.nodes.length];
      if (node) proxies.push(plane.addWaypoint(svc, node));
    }
    return Object.assign(plane, {
      proxies,
      envoyClusters: () => plane.envoyRouter.allClusters(),
      // The ztunnel DaemonSet puts a pod on every node that joins.
      nodeAdded: (node: NodeRt) => {
        proxies.push(plane.addZtunnel(node));
      },
    });
  },
  configWarnings: (scenario) => gammaWarnings(scenario, 'ambient'),
};
