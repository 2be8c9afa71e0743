/**
 * Ingress gateways as Istio builds them: which Envoy Deployment serves a Gateway, its listeners,
 * and the routes a request to it takes.
 *
 * - Istio `Gateway` (istio/api networking/v1alpha3/gateway.proto): its `selector` picks the gateway
 *   pods (the default `istio-ingressgateway` Deployment in istio-system carries `istio: ingressgateway`);
 *   routes come only from VirtualServices whose `gateways` name it, for hosts its servers admit
 *   (istio/istio pilot/pkg/networking/core/gateway.go, httproute.go). Routes of several
 *   VirtualServices for the same host are merged, oldest first.
 * - Gateway API `Gateway` of class `istio`: Istio deploys `<name>-istio` for it
 *   (pilot/pkg/config/kube/gateway/deploymentcontroller.go) and turns the HTTPRoutes attached with
 *   `parentRefs` into routes with the same conversion as mesh routes (policy/gateway-api-conversion.ts,
 *   pilot/pkg/config/kube/gateway/conversion.go): one route per match, sorted by Gateway API
 *   precedence, with its filters, weights, timeouts and retries; a rule without backends answers
 *   500, and so does a redirect or direct response here at the gateway.
 */
import type { GatewayListener as ApiListener } from '../config/gateway-api/gateway.js';
import { ISTIO_GATEWAY_CLASS } from '../config/gateway-api/gateway.js';
import { TERMINATING_TLS_MODES } from '../config/istio/gateway-schema.js';
import type { VirtualServiceSpec } from '../config/istio/networking-schemas.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { MeshResource } from '../config/mesh-kinds.js';
import type { RequestShape, WorkloadGateway } from '../config/model.js';
import type { HttpRouteSpec } from '../config/gateway-api/routes.js';
import {
  EGRESS_GATEWAY_LABELS,
  EGRESS_GATEWAY_NAME,
  EGRESS_GATEWAY_NAMESPACE,
  EGRESS_GATEWAY_SERVICE_ACCOUNT,
} from '../config/egress-gateway.js';
import { convertHttpRoute, sortHttpRoutes, type ConvertedRule } from './gateway-api-conversion.js';
import { requestMatches, sourceMatches, type RouteSource } from './match.js';
import { boundTo, type CompiledRoute, type MeshPolicy } from './mesh-policy.js';

/** The Envoy Deployment behind a gateway. */
export interface GatewayDeployment {
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  serviceAccount: string;
}

/** Istio's default ingress gateway (istioctl `default` profile: manifests/charts/gateways/istio-ingress). */
export const ISTIO_INGRESSGATEWAY: GatewayDeployment = {
  name: 'istio-ingressgateway',
  namespace: 'istio-system',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
  serviceAccount: 'istio-ingressgateway-service-account',
};

/** Istio's egress gateway (istioctl `demo` profile: manifests/charts/gateways/istio-egress; config/egress-gateway.ts). */
export const ISTIO_EGRESSGATEWAY: GatewayDeployment = {
  name: EGRESS_GATEWAY_NAME,
  namespace: EGRESS_GATEWAY_NAMESPACE,
  labels: EGRESS_GATEWAY_LABELS,
  serviceAccount: EGRESS_GATEWAY_SERVICE_ACCOUNT,
};

/** The gateway Deployments an Istio Gateway's selector can pick. */
const ISTIO_GATEWAY_DEPLOYMENTS = [ISTIO_INGRESSGATEWAY, ISTIO_EGRESSGATEWAY];

/** The Deployment Istio provisions for a Gateway API Gateway of class `istio`. */
export const gatewayApiDeployment = (name: string, namespace: string): GatewayDeployment => ({
  name: `${name}-istio`,
  namespace,
  labels: { 'gateway.networking.k8s.io/gateway-name': name },
  serviceAccount: `${name}-istio`,
});

/** One port the gateway listens on. */
export interface Listener {
  name?: string;
  port: number;
  protocol: string;
  /** Host patterns it admits (`*` for any). */
  hosts: string[];
  /** The gateway terminates TLS here: a handshake per downstream connection. */
  tls: boolean;
  /** Istio `tls.httpsRedirect`: every request is answered 301. */
  httpsRedirect: boolean;
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-WEB']);

export type GatewayRouteResult = { kind: 'route'; route: CompiledRoute } | { kind: 'no-route' } | { kind: 'direct'; status: number };

/** Whether a host pattern (`*`, `*.example.com`, `example.com`) admits `host` (undefined: only `*`). */
export function hostAdmits(pattern: string, host: string | undefined): boolean {
  if (pattern === '*') return true;
  if (host === undefined) return false;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern.toLowerCase() === host.toLowerCase();
}

/** How specific a matching pattern is: exact beats a longer wildcard suffix beats `*` (Envoy virtual host domains). */
const specificity = (pattern: string): number => (pattern === '*' ? 0 : pattern.startsWith('*') ? pattern.length : 1e6);

/** A Gateway server host: `ns/host` (also `*` or `.` for the namespace) names the namespaces it takes VirtualServices from. */
const serverHost = (h: string): string => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h);

/** An ingress gateway as a workload reaches it: its Deployment (if any), the listener used, and its routes. */
export interface IngressGateway {
  /** `namespace/name` of the Gateway resource. */
  id: string;
  kind: 'istio' | 'gateway-api';
  deployment?: GatewayDeployment;
  /** Why no Deployment serves it. */
  noDeployment?: string;
  listeners: Listener[];
  route(listener: Listener, host: string | undefined, req: RequestShape): GatewayRouteResult;
  /** A concrete host the listener and its routes name, for clients that send none. */
  defaultHost(listener: Listener): string | undefined;
}

/** Builds the gateway a workload names, or undefined when it is not in the config. */
export function ingressGateway(policy: MeshPolicy, ref: Omit<WorkloadGateway, 'host'>): IngressGateway | undefined {
  return ref.kind === 'istio' ? istioGateway(policy, ref.namespace, ref.name) : gatewayApiGateway(policy, ref.namespace, ref.name);
}

/** The listener a client uses: the first HTTP(S) one that admits its host, preferring one that does not redirect. */
export function pickListener(gw: IngressGateway, host: string | undefined): Listener | undefined {
  const usable = gw.listeners.filter(
    (l) => HTTP_PROTOCOLS.has(l.protocol.toUpperCase()) && (host === undefined || l.hosts.some((h) => hostAdmits(h, host))),
  );
  return usable.find((l) => !l.httpsRedirect) ?? usable[0];
}

function istioGateway(policy: MeshPolicy, namespace: string, name: string): IngressGateway | undefined {
  const res = policy.config.gateways.find((g) => g.name === name && g.namespace === namespace);
  if (!res) return undefined;
  const id = `${namespace}/${name}`;
  const selector = res.spec.selector;
  const selects = (labels: Readonly<Record<string, string>>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const deployment = ISTIO_GATEWAY_DEPLOYMENTS.find((d) => selects(d.labels));
  const listeners: Listener[] = res.spec.servers.map((s) => ({
    name: s.name,
    port: s.port.number,
    protocol: s.port.protocol,
    hosts: s.hosts.map(serverHost),
    tls: s.tls?.mode !== undefined && TERMINATING_TLS_MODES.has(s.tls.mode),
    httpsRedirect: s.tls?.httpsRedirect === true,
  }));
  const bound = () => policy.config.virtualServices.filter((vs) => boundTo(vs, id)).sort((a, b) => a.order - b.order);
  return {
    id,
    kind: 'istio',
    deployment,
    noDeployment: deployment
      ? undefined
      : `its selector ${JSON.stringify(selector)} matches no gateway Deployment (istio-ingressgateway is labelled istio: ingressgateway, istio-egressgateway istio: egressgateway)`,
    listeners,
    defaultHost: (l) => concreteHost([...l.hosts, ...bound().flatMap((vs) => vs.spec.hosts)]),
    route: (listener, host, req) => {
      if (listener.httpsRedirect) return { kind: 'direct', status: 301 };
      if (!listener.hosts.some((h) => hostAdmits(h, host))) return { kind: 'no-route' };
      // The virtual host: the VirtualServices whose best host for the request is the most specific.
      let best = -1;
      let chosen: IstioResource<VirtualServiceSpec>[] = [];
      for (const vs of bound()) {
        const s = Math.max(-1, ...vs.spec.hosts.filter((h) => hostAdmits(h, host)).map(specificity));
        if (s < 0) continue;
        if (s > best) [best, chosen] = [s, [vs]];
        else if (s === best) chosen.push(vs);
      }
      const src: RouteSource = { gateway: id, labels: deployment?.labels ?? {}, namespace: deployment?.namespace, port: listener.port };
      for (const vs of chosen) {
        for (let i = 0; i < vs.spec.http.length; i++) {
          const rule = vs.spec.http[i]!;
          const matches = rule.match;
          const hit =
            !matches || matches.length === 0 || matches.some((m) => sourceMatches(m, vs.namespace, src) && requestMatches(m, req));
          if (hit) return { kind: 'route', route: policy.compileRoute(vs, rule, i) };
        }
      }
      return { kind: 'no-route' };
    },
  };
}

/**
 * The Istio Gateways whose selector picks `deployment`, in creation order: together they make its
 * Envoy's listeners (pilot/pkg/model/push_context.go mergeGateways; a later server for the same
 * port and host is ignored, so the oldest Gateway's comes first).
 */
export function gatewaysOnDeployment(policy: MeshPolicy, deployment: GatewayDeployment): IngressGateway[] {
  return [...policy.config.gateways]
    .sort((a, b) => a.order - b.order)
    .map((g) => istioGateway(policy, g.namespace, g.name))
    .filter((g): g is IngressGateway => g?.deployment === deployment);
}

const concreteHost = (hosts: readonly string[]): string | undefined => hosts.find((h) => !h.includes('*'));

function gatewayApiGateway(policy: MeshPolicy, namespace: string, name: string): IngressGateway | undefined {
  const res = policy.config.mesh.gateways.find((g) => g.name === name && g.namespace === namespace);
  if (!res) return undefined;
  const id = `${namespace}/${name}`;
  const istioClass = res.spec.gatewayClassName === ISTIO_GATEWAY_CLASS;
  const deployment = istioClass ? gatewayApiDeployment(name, namespace) : undefined;
  const listeners: Listener[] = res.spec.listeners.map((l: ApiListener) => ({
    name: l.name,
    port: l.port,
    protocol: l.protocol,
    hosts: [l.hostname ?? '*'],
    tls: l.protocol === 'HTTPS' && (l.tls?.mode ?? 'Terminate') === 'Terminate',
    httpsRedirect: false,
  }));
  const knownHost = (fqdn: string) => policy.services.some((s) => s.fqdn === fqdn);
  // One VirtualService per gateway and host: the attached routes' rules, oldest route first, sorted by precedence.
  const rulesCache = new Map<Listener, Map<string, (ConvertedRule & { namespace: string })[]>>();
  const compiled = new Map<ConvertedRule, CompiledRoute>();
  const rulesFor = (listener: Listener, host: string | undefined) => {
    let byHost = rulesCache.get(listener);
    if (!byHost) rulesCache.set(listener, (byHost = new Map()));
    let rules = byHost.get(host ?? '');
    if (!rules) {
      rules = sortHttpRoutes(
        attached(listener)
          .filter((r) => (r.spec.hostnames ?? []).length === 0 || (r.spec.hostnames ?? []).some((h) => hostAdmits(h, host)))
          .flatMap((r) => convertHttpRoute(r, knownHost).rules.map((rule) => ({ ...rule, namespace: r.namespace }))),
      );
      byHost.set(host ?? '', rules);
    }
    return rules;
  };
  const attached = (listener: Listener) =>
    policy.config.mesh.httpRoutes
      .filter((r) => r.family === 'gateway-api' && attachesTo(r, namespace, name, listener))
      .sort((a, b) => a.order - b.order);
  return {
    id,
    kind: 'gateway-api',
    deployment,
    noDeployment: deployment ? undefined : `its class "${res.spec.gatewayClassName}" is not Istio's ingress class "istio"`,
    listeners,
    defaultHost: (l) => concreteHost([...l.hosts, ...attached(l).flatMap((r) => r.spec.hostnames ?? [])]),
    route: (listener, host, req) => {
      if (!listener.hosts.some((h) => hostAdmits(h, host))) return { kind: 'no-route' };
      const hit = rulesFor(listener, host).find((e) => !e.http.match?.length || e.http.match.some((m) => requestMatches(m, req, true)));
      if (!hit) return { kind: 'no-route' };
      let route = compiled.get(hit);
      if (!route) compiled.set(hit, (route = policy.compileGatewayApiRoute(hit.namespace, hit.id, hit.http)));
      // No backend, or every weight 0 (a direct 500), or a RequestRedirect: the gateway answers itself.
      const local = route.directResponse ?? route.redirect;
      if (local) return { kind: 'direct', status: local.status };
      return { kind: 'route', route };
    },
  };
}

/** Whether an HTTPRoute's parentRefs attach it to this Gateway's listener (name, namespace, sectionName, port). */
function attachesTo(r: MeshResource<HttpRouteSpec>, namespace: string, name: string, l: Listener): boolean {
  return r.spec.parentRefs.some(
    (p) =>
      (p.kind ?? 'Gateway') === 'Gateway' &&
      (p.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' &&
      p.name === name &&
      (p.namespace ?? r.namespace) === namespace &&
      (p.sectionName === undefined || p.sectionName === l.name) &&
      (p.port === undefined || p.port === l.port),
  );
}
