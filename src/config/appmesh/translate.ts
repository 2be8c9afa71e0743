/**
 * App Mesh CRDs mapped onto Istio's Envoy configuration, the way the App Mesh control plane
 * programs its Envoy sidecars (https://docs.aws.amazon.com/app-mesh/latest/userguide/envoy-defaults.html):
 *
 * - an App Mesh VirtualService backed by a VirtualRouter → an Istio VirtualService on the Kubernetes
 *   Service of the same name, one HTTP route per App Mesh route (prefix/exact/method match);
 *   weightedTargets → weighted destinations, one subset per VirtualNode (its podSelector labels);
 *   retryPolicy → retries (server-error → 5xx, gateway-error, client-error → 409, stream-error →
 *   refused-stream, connection-error → connect-failure, gRPC events by name); a route without
 *   retryPolicy gets App Mesh's hidden default (2 retries on 503, connect failures and refused
 *   streams); timeout.perRequest → the route timeout (App Mesh default 15 s);
 * - VirtualNode listener outlierDetection → the subset's Envoy outlier detection
 *   (maxServerErrors → consecutive 5xx, interval, baseEjectionDuration, maxEjectionPercent);
 *   connectionPool → circuit-breaker limits (tcp/http maxConnections, maxPendingRequests,
 *   http2/grpc maxRequests).
 * App Mesh has no load-balancing field: Envoy's default ROUND_ROBIN applies.
 */
import type { IstioResource } from '../istio/resources.js';
import { destinationRuleSpec, virtualServiceSpec, type DestinationRuleSpec, type VirtualServiceSpec } from '../istio/networking-schemas.js';
import type { MeshResource, MeshResources } from '../mesh-kinds.js';
import { APP_MESH_DEFAULTS, retryEventStatuses, type AppMeshHttpRoute, type AppMeshRoute, type VirtualNodeSpec } from './schemas.js';

const ms = (us: number) => `${Math.max(1, Math.round(us / 1000))}ms`;
const firstLabel = (host: string) => host.split('.')[0]!;

function retryOn(r: NonNullable<AppMeshHttpRoute['retryPolicy']>): string {
  const on = new Set<string>();
  for (const e of r.httpRetryEvents ?? []) {
    if (e === 'server-error') on.add('5xx');
    else if (e === 'gateway-error') on.add('gateway-error');
    else if (e === 'stream-error') on.add('refused-stream');
    else for (const s of retryEventStatuses(e)) on.add(String(s));
  }
  if (r.tcpRetryEvents?.includes('connection-error')) on.add('connect-failure');
  for (const g of r.grpcRetryEvents ?? []) on.add(g);
  return [...on].join(',');
}

/** The Kubernetes Service a VirtualNode serves (its DNS hostname's first label, else its name). */
const serviceOfNode = (node: MeshResource<VirtualNodeSpec>) => firstLabel(node.spec.serviceDiscovery?.dns?.hostname ?? node.name);

export interface AppMeshTranslation {
  virtualServices: IstioResource<VirtualServiceSpec>[];
  destinationRules: IstioResource<DestinationRuleSpec>[];
}

export function translateAppMesh(res: MeshResources, startOrder: number): AppMeshTranslation {
  const out: AppMeshTranslation = { virtualServices: [], destinationRules: [] };
  let order = startOrder;
  const nodes = res.appMeshVirtualNodes;
  const nodeByName = (name: string, ns: string) => nodes.find((n) => n.name === name && n.namespace === ns);

  // One DestinationRule per Kubernetes Service: a subset per VirtualNode, with its listener policy.
  const byService = new Map<string, MeshResource<VirtualNodeSpec>[]>();
  for (const n of nodes) {
    const key = `${n.namespace}/${serviceOfNode(n)}`;
    byService.set(key, [...(byService.get(key) ?? []), n]);
  }
  for (const [key, list] of byService) {
    const [ns, host] = key.split('/') as [string, string];
    const subsets = list.map((n) => {
      const l = n.spec.listeners?.[0];
      const od = l?.outlierDetection;
      const cp = l?.connectionPool;
      const trafficPolicy: Record<string, unknown> = { loadBalancer: { simple: 'ROUND_ROBIN' } };
      // TLS is opt-in per listener (mode STRICT or PERMISSIVE); otherwise sidecars talk plaintext.
      const tlsMode = (l?.tls as { mode?: string } | undefined)?.mode;
      if (tlsMode === 'STRICT' || tlsMode === 'PERMISSIVE') trafficPolicy.tls = { mode: 'ISTIO_MUTUAL' };
      if (od)
        trafficPolicy.outlierDetection = {
          consecutive5xxErrors: od.maxServerErrors,
          interval: ms(od.interval),
          baseEjectionTime: ms(od.baseEjectionDuration),
          maxEjectionPercent: od.maxEjectionPercent,
        };
      if (cp) {
        const maxConnections = cp.tcp?.maxConnections ?? cp.http?.maxConnections;
        trafficPolicy.connectionPool = {
          ...(maxConnections !== undefined ? { tcp: { maxConnections } } : {}),
          http: {
            ...(cp.http?.maxPendingRequests !== undefined ? { http1MaxPendingRequests: cp.http.maxPendingRequests } : {}),
            ...((cp.http2 ?? cp.grpc) ? { http2MaxRequests: (cp.http2 ?? cp.grpc)?.maxRequests } : {}),
          },
        };
      }
      return { name: n.name, labels: n.spec.podSelector?.matchLabels ?? {}, trafficPolicy };
    });
    const src = list[0]!.src;
    out.destinationRules.push({
      kind: 'DestinationRule',
      name: `appmesh-${host}`,
      namespace: ns,
      src,
      order: order++,
      spec: destinationRuleSpec.parse({ host, subsets }),
    });
  }

  for (const vs of res.appMeshVirtualServices) {
    const host = firstLabel(vs.spec.awsName ?? vs.name);
    const routerRef = vs.spec.provider?.virtualRouter?.virtualRouterRef;
    const nodeRef = vs.spec.provider?.virtualNode?.virtualNodeRef;
    let routes: AppMeshRoute[] = [];
    if (routerRef)
      routes =
        res.appMeshVirtualRouters.find((r) => r.name === routerRef.name && r.namespace === (routerRef.namespace ?? vs.namespace))?.spec
          .routes ?? [];
    const http = (routes.length ? routes : [undefined])
      .slice()
      .sort((a, b) => (a?.priority ?? 1000) - (b?.priority ?? 1000))
      .map((r) => {
        const hr = r?.httpRoute ?? r?.http2Route ?? r?.grpcRoute;
        const targets = hr?.action.weightedTargets ?? (nodeRef ? [{ virtualNodeRef: nodeRef, weight: 1 }] : []);
        const route = targets
          .filter((t) => t.virtualNodeRef)
          .map((t) => {
            const ref = t.virtualNodeRef as { name: string; namespace?: string };
            const node = nodeByName(ref.name, ref.namespace ?? vs.namespace);
            return { destination: { host: node ? serviceOfNode(node) : host, ...(node ? { subset: node.name } : {}) }, weight: t.weight };
          });
        const m = r?.httpRoute?.match ?? r?.http2Route?.match;
        const match = m
          ? [
              {
                ...(m.path?.exact
                  ? { uri: { exact: m.path.exact } }
                  : m.path?.regex
                    ? { uri: { regex: m.path.regex } }
                    : m.prefix
                      ? { uri: { prefix: m.prefix } }
                      : {}),
                ...(m.method ? { method: { exact: m.method } } : {}),
              },
            ]
          : undefined;
        const rp = hr?.retryPolicy;
        const retries = rp
          ? { attempts: rp.maxRetries, perTryTimeout: ms(rp.perRetryTimeout), retryOn: retryOn(rp) }
          : { attempts: APP_MESH_DEFAULTS.retry.maxRetries, retryOn: '503,connect-failure,refused-stream,unavailable' };
        const timeout = ms(hr?.timeout?.perRequest ?? APP_MESH_DEFAULTS.perRequestTimeoutUs);
        return {
          ...(r ? { name: r.name } : {}),
          ...(match ? { match } : {}),
          ...(route.length ? { route } : { route: [{ destination: { host } }] }),
          retries,
          timeout,
        };
      });
    out.virtualServices.push({
      kind: 'VirtualService',
      name: `appmesh-${vs.name}`,
      namespace: vs.namespace,
      src: vs.src,
      order: order++,
      spec: virtualServiceSpec.parse({ hosts: [host], http }),
    });
  }
  return out;
}
