/**
 * GAMMA: Gateway API HTTPRoutes whose parentRef is a Service route the mesh's calls to that
 * Service (https://gateway-api.sigs.k8s.io/mesh/). Istio turns them into VirtualServices bound to
 * the `mesh` gateway, applied by client sidecars and by the Service's waypoint in ambient
 * (istio/istio pilot/pkg/config/kube/gateway/route_collections.go HTTPRouteCollection,
 * mergeHTTPRoutes; conversion.go extractParentReferenceInfo, referenceAllowed):
 *
 * - one VirtualService per (route namespace, parentRef port, Service host), host = the Service's
 *   FQDN (route `hostnames` play no part); routes of several HTTPRoutes with the same key are
 *   merged, oldest first, then sorted by Gateway API precedence (sortHTTPRoutes);
 * - a parentRef `port` restricts the routes to that service port (augmentPortMatch);
 * - a parent Service that does not exist: the parent is not accepted ("parent service not found");
 * - a route Istio rejects (unsupported filter, backendRef without port…) yields nothing.
 *
 * Which VirtualService a proxy uses for a host (consumer/producer rules, precedence over classic
 * VirtualServices) is MeshPolicy's job (policy/mesh-policy.ts virtualServiceFor).
 */
import type { HttpRouteSpec } from '../config/gateway-api/routes.js';
import { isServiceParent } from '../config/gateway-api/routes.js';
import type { VirtualServiceSpec } from '../config/istio/networking-schemas.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { MeshResource } from '../config/mesh-kinds.js';
import { convertHttpRoute, sortHttpRoutes, withPortMatch, type ConvertedRule } from './gateway-api-conversion.js';
import { CLUSTER_DOMAIN } from './hosts.js';
import { MESH_GATEWAY } from './match.js';

/** A VirtualService Istio generated from HTTPRoutes (annotation internal.istio.io/route-semantics: gateway). */
export interface GatewayApiVirtualService extends IstioResource<VirtualServiceSpec> {
  gatewaySemantics: true;
  /** Per http route: `namespace/name#rule` of the HTTPRoute rule it came from. */
  ruleIds: string[];
  /** The HTTPRoutes merged into it, oldest first. */
  sources: MeshResource<HttpRouteSpec>[];
}

export const isGatewayApiVirtualService = (vs: IstioResource<VirtualServiceSpec>): vs is GatewayApiVirtualService =>
  (vs as Partial<GatewayApiVirtualService>).gatewaySemantics === true;

/** The Service parents of a route: `{fqdn, port}` for each parentRef naming a Service (group "" / core). */
export function serviceParents(r: MeshResource<HttpRouteSpec>): { fqdn: string; port?: number; index: number }[] {
  return r.spec.parentRefs.flatMap((p, index) =>
    isServiceParent(p) ? [{ fqdn: `${p.name}.${p.namespace ?? r.namespace}.${CLUSTER_DOMAIN}`, port: p.port, index }] : [],
  );
}

/** The mesh VirtualServices Istio builds from Gateway API HTTPRoutes with Service parents. */
export function gammaVirtualServices(
  routes: readonly MeshResource<HttpRouteSpec>[],
  knownHost: (fqdn: string) => boolean,
): GatewayApiVirtualService[] {
  const byKey = new Map<string, { entries: ConvertedRule[]; sources: MeshResource<HttpRouteSpec>[] }>();
  const sorted = routes.filter((r) => r.family === 'gateway-api').sort((a, b) => a.order - b.order);
  for (const r of sorted) {
    const parents = serviceParents(r).filter((p) => knownHost(p.fqdn));
    if (parents.length === 0) continue;
    const conv = convertHttpRoute(r, knownHost);
    if (conv.rejected !== undefined || conv.rules.length === 0) continue;
    for (const p of parents) {
      const key = `${r.namespace}/${p.port ?? ''}/${p.fqdn}`;
      let e = byKey.get(key);
      if (!e) byKey.set(key, (e = { entries: [], sources: [] }));
      e.entries.push(...withPortMatch(conv.rules, p.port));
      if (!e.sources.includes(r)) e.sources.push(r);
    }
  }
  return [...byKey].map(([key, { entries, sources }]) => {
    const rules = sortHttpRoutes(entries);
    const oldest = sources[0]!;
    const host = key.slice(key.lastIndexOf('/') + 1);
    return {
      kind: 'VirtualService',
      name: key.replaceAll('/', '~'),
      namespace: oldest.namespace,
      spec: { hosts: [host], gateways: [MESH_GATEWAY], http: rules.map((x) => x.http) },
      src: oldest.src,
      order: oldest.order,
      gatewaySemantics: true,
      ruleIds: rules.map((x) => x.id),
      sources,
    };
  });
}
