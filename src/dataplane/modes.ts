/** Picks the data plane for a mesh mode and creates its proxies. */
import type { MeshMode } from '../config/model.js';
import type { Cluster } from '../world/build.js';
import { DirectPlane } from './direct.js';
import type { DataPlane, PlaneDeps } from './plane.js';
import type { Proxy } from './proxy.js';

export interface MeshPlane extends DataPlane {
  /** Every proxy of the mesh (sidecars, ztunnels, waypoints), for resource accounting. */
  readonly proxies: Proxy[];
}

export function createPlane(mode: MeshMode, deps: PlaneDeps, cluster: Cluster): MeshPlane {
  switch (mode) {
    case 'none':
      return Object.assign(new DirectPlane(deps), { proxies: [] as Proxy[] });
    default:
      throw new Error(`mode ${mode} not implemented yet`);
  }
  void cluster;
}
