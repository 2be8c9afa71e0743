/**
 * Where GAMMA routes (HTTPRoutes with a Service parent, policy/gamma.ts) do not act as written,
 * for the Istio mode that runs:
 *
 * - ambient: only a waypoint applies HTTP routes; for a Service without one Istio reports
 *   "istio.io/use-waypoint label missing from parent and parent namespace; in ambient mode, route
 *   will not be respected" (pilot/pkg/config/kube/gateway/conditions.go WaypointErrorMsgMissingLabel).
 *   Consumer routes (route namespace ≠ Service namespace) never reach the Service's waypoint
 *   (route.go: routes only from the proxy's or the destination's namespace).
 * - both: a VirtualService and an HTTPRoute for the same host. A proxy uses one of them (the
 *   other's domain is a duplicate, pilot/pkg/networking/core/httproute.go); HTTPRoutes of the
 *   proxy's own namespace come first, otherwise the older wins (pilot/pkg/model/virtualservice.go
 *   SelectVirtualServices). Istio's ambient docs call mixing the two undefined behaviour; in the
 *   spirit of IST0109 (ConflictingMeshGatewayVirtualServiceHosts) it is named.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Scenario } from '../config/model.js';
import { isServiceParent } from '../config/gateway-api/routes.js';
import { fqdnOf, hostMatches } from '../policy/hosts.js';
import { MESH_GATEWAY } from '../policy/match.js';
import { boundTo, CURRENT_MESH_DEFAULTS, MeshPolicy } from '../policy/mesh-policy.js';

export function gammaWarnings(scenario: Scenario, mode: 'sidecar' | 'ambient'): Diagnostic[] {
  const policy = new MeshPolicy(scenario.istio, scenario.services, CURRENT_MESH_DEFAULTS);
  const out: Diagnostic[] = [];
  for (const vs of policy.gammaVirtualServices) {
    const host = vs.spec.hosts[0] ?? '';
    const svc = scenario.services.find((s) => s.fqdn === host);
    const routes = vs.sources.map((r) => `${r.namespace}/${r.name}`).join(', ');
    const at = vs.sources[0]!;
    const warn = (message: string) => out.push(at.src.diagnosticAt(['spec', 'parentRefs'], 'warning', `HTTPRoute ${routes}: ${message}`));
    if (mode === 'ambient' && svc && !scenario.mesh.waypoints.includes(svc.key))
      warn(
        `in ambient mode, route will not be respected: ${svc.key} has no waypoint (Istio: use-waypoint label missing); add it to spec.mesh.waypoints`,
      );
    else if (mode === 'ambient' && svc && vs.namespace !== svc.namespace)
      warn(`a consumer route (namespace ${vs.namespace}) is not applied by ${svc.key}'s waypoint in namespace ${svc.namespace}`);
    const classic = classicFor(policy, host);
    if (classic.length > 0)
      warn(
        `VirtualService ${classic.join(', ')} also routes ${host}: a proxy uses only one of them, the HTTPRoute for proxies in namespace ${vs.namespace}${vs.namespace === svc?.namespace ? ' and, when older, for all others' : ''}; merge them into one resource`,
      );
  }
  // GRPCRoutes on a Service become VirtualServices in Istio too (route_collections.go GRPCRouteCollection); not simulated here.
  for (const r of scenario.istio.mesh.grpcRoutes)
    if (r.family === 'gateway-api' && r.spec.parentRefs.some(isServiceParent))
      out.push(
        r.src.diagnosticAt(
          ['kind'],
          'warning',
          `GRPCRoute ${r.namespace}/${r.name}: GRPCRoutes on a Service are not simulated in mode ${mode}; ignored`,
        ),
      );
  return out;
}

/** Classic VirtualServices bound to the mesh that name the host. */
function classicFor(policy: MeshPolicy, fqdn: string): string[] {
  return policy.config.virtualServices
    .filter((v) => boundTo(v, MESH_GATEWAY) && v.spec.hosts.some((h) => hostMatches(fqdnOf(h, v.namespace), fqdn)))
    .map((v) => `${v.namespace}/${v.name}`);
}
