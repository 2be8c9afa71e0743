/**
 * Linkerd's inbound authorization, enforced by the server-side proxy only
 * (https://linkerd.io/2.18/reference/authorization-policy/, https://linkerd.io/2-edge/features/server-policy/;
 * linkerd/linkerd2 policy-controller/k8s/index/src/inbound/).
 *
 * - No Server selects the pod's port: the default inbound policy applies
 *   (`all-unauthenticated` by default; `all-authenticated`, `cluster-*`, `deny`, `audit`).
 * - A Server selects it: its `accessPolicy` (default `deny`) unless an authorization targets it:
 *   an AuthorizationPolicy whose targetRef is the Server, its Namespace, or an HTTPRoute/GRPCRoute
 *   attached to the Server (route-level), with ALL of its requiredAuthenticationRefs satisfied; or a
 *   legacy ServerAuthorization naming/selecting the Server.
 * - Denied: traffic known to be HTTP gets 403 (gRPC PERMISSION_DENIED); other traffic is refused
 *   at the TCP level. `audit` allows and labels the traffic.
 *
 * Clients are identified by their ServiceAccount when meshed (mTLS identity
 * `<sa>.<ns>.serviceaccount.identity.linkerd.cluster.local`). Network authentications are
 * matched by role, since the simulator has no IP addresses: every in-cluster client is inside the
 * usual cluster networks, so a NetworkAuthentication listing one of them (or 0.0.0.0/0, ::/0)
 * matches every client.
 */
import { selectorMatches } from '../../config/k8s-selectors.js';
import type {
  DefaultInboundPolicy,
  LinkerdAuthorizationPolicySpec,
  MeshTlsAuthenticationSpec,
  NetworkAuthenticationSpec,
  ServerAuthorizationSpec,
  ServerSpec,
} from '../../config/linkerd/policy-schemas.js';

export const TRUST_DOMAIN = 'cluster.local';
export const linkerdIdentity = (sa: string, ns: string, trustDomain = TRUST_DOMAIN) =>
  `${sa}.${ns}.serviceaccount.identity.linkerd.${trustDomain}`;

interface Named<S> {
  name: string;
  namespace: string;
  spec: S;
}

export interface LinkerdPolicySet {
  defaultPolicy: DefaultInboundPolicy;
  servers: Named<ServerSpec>[];
  authorizationPolicies: Named<LinkerdAuthorizationPolicySpec>[];
  serverAuthorizations: Named<ServerAuthorizationSpec>[];
  meshTls: Named<MeshTlsAuthenticationSpec>[];
  networks: Named<NetworkAuthenticationSpec>[];
  /** HTTPRoutes with a Server parent: route name → server name (same namespace). */
  routeServers?: Map<string, string>;
}

export interface InboundRequest {
  namespace: string;
  podLabels: Readonly<Record<string, string>>;
  port: number;
  portName?: string;
  /** Client ServiceAccount when the client is meshed (mTLS), else undefined. */
  client?: { serviceAccount: string; namespace: string };
  /** HTTP (incl. h2/gRPC) is answered 403; opaque TCP is refused. */
  http: boolean;
}

export type LinkerdAuthzVerdict =
  { allowed: true; audit: boolean; by: string } | { allowed: false; response: 'http-403' | 'tcp-refused'; by: string };

const CLUSTER_NETWORKS = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8', '0.0.0.0/0', '::/0'];

function defaultAllows(policy: DefaultInboundPolicy, req: InboundRequest): boolean | 'audit' {
  switch (policy) {
    case 'all-unauthenticated':
    case 'cluster-unauthenticated':
      return true;
    case 'all-authenticated':
    case 'cluster-authenticated':
      return req.client !== undefined;
    case 'deny':
      return false;
    case 'audit':
      return 'audit';
  }
}

function identityMatches(pattern: string, identity: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return identity.endsWith(pattern.slice(1));
  return pattern === identity;
}

function meshTlsMatches(spec: MeshTlsAuthenticationSpec, ns: string, req: InboundRequest): boolean {
  const c = req.client;
  if (!c) return false;
  const id = linkerdIdentity(c.serviceAccount, c.namespace);
  if ((spec.identities ?? []).some((p) => identityMatches(p, id))) return true;
  return (spec.identityRefs ?? []).some((r) => {
    if (r.kind === 'ServiceAccount') return (r.name === '*' || r.name === c.serviceAccount) && (r.namespace ?? ns) === c.namespace;
    if (r.kind === 'Namespace') return r.name === c.namespace;
    return false;
  });
}

export function decideLinkerdInbound(set: LinkerdPolicySet, req: InboundRequest): LinkerdAuthzVerdict {
  const deny = (by: string): LinkerdAuthzVerdict => ({ allowed: false, response: req.http ? 'http-403' : 'tcp-refused', by });
  const server = set.servers.find(
    (s) =>
      s.namespace === req.namespace &&
      (s.spec.podSelector ? selectorMatches(s.spec.podSelector, req.podLabels) : false) &&
      (typeof s.spec.port === 'number' ? s.spec.port === req.port : s.spec.port === req.portName),
  );
  if (!server) {
    const d = defaultAllows(set.defaultPolicy, req);
    return d === false ? deny(`default:${set.defaultPolicy}`) : { allowed: true, audit: d === 'audit', by: `default:${set.defaultPolicy}` };
  }
  const authnOk = (ref: { kind: string; name: string; namespace?: string }, ns: string): boolean => {
    const refNs = ref.namespace ?? ns;
    if (ref.kind === 'MeshTLSAuthentication') {
      const m = set.meshTls.find((x) => x.name === ref.name && x.namespace === refNs);
      return m !== undefined && meshTlsMatches(m.spec, refNs, req);
    }
    if (ref.kind === 'NetworkAuthentication') {
      const n = set.networks.find((x) => x.name === ref.name && x.namespace === refNs);
      return n !== undefined && n.spec.networks.some((net) => CLUSTER_NETWORKS.includes(net.cidr));
    }
    if (ref.kind === 'ServiceAccount')
      return req.client !== undefined && req.client.serviceAccount === ref.name && req.client.namespace === refNs;
    return false;
  };
  for (const ap of set.authorizationPolicies) {
    if (ap.namespace !== server.namespace) continue;
    const t = ap.spec.targetRef;
    const targets =
      (t.kind === 'Server' && t.name === server.name) ||
      (t.kind === 'Namespace' && t.name === server.namespace) ||
      ((t.kind === 'HTTPRoute' || t.kind === 'GRPCRoute') && set.routeServers?.get(t.name) === server.name);
    if (targets && ap.spec.requiredAuthenticationRefs.every((r) => authnOk(r, ap.namespace)))
      return { allowed: true, audit: false, by: `AuthorizationPolicy/${ap.name}` };
  }
  for (const sa of set.serverAuthorizations) {
    if (sa.namespace !== server.namespace) continue;
    const s = sa.spec.server;
    const targets = s.name !== undefined ? s.name === server.name : selectorMatches(s.selector, { name: server.name });
    if (!targets) continue;
    const c = sa.spec.client;
    const ok =
      c.unauthenticated === true ||
      (req.client !== undefined &&
        c.meshTLS !== undefined &&
        (c.meshTLS.unauthenticatedTLS === true ||
          (c.meshTLS.identities ?? []).some((p) =>
            identityMatches(p, linkerdIdentity(req.client!.serviceAccount, req.client!.namespace)),
          ) ||
          (c.meshTLS.serviceAccounts ?? []).some(
            (r) => r.name === req.client!.serviceAccount && (r.namespace ?? sa.namespace) === req.client!.namespace,
          )));
    if (ok) return { allowed: true, audit: false, by: `ServerAuthorization/${sa.name}` };
  }
  const access = server.spec.accessPolicy;
  const d = defaultAllows(access, req);
  return d === false ? deny(`Server/${server.name}`) : { allowed: true, audit: d === 'audit', by: `Server/${server.name}` };
}
