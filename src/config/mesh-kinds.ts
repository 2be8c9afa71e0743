/**
 * The registry of non-Istio mesh resource kinds: Gateway API routes (GAMMA), Linkerd, Cilium and
 * App Mesh. One table entry per (apiVersion, kind) names its schema and where the parsed resource
 * goes; `readMeshResource` validates one YAML document with positioned errors (the same shape as
 * the Istio reader in istio/parse.ts) and Linkerd annotations on Services and routes.
 * Which resources a run honours is the mode's business: every mode sees all of them, and warns
 * about those meant for another mesh.
 */
import type * as z from 'zod';
import type { Diagnostic } from './diagnostics.js';
import {
  virtualNodeSpec,
  virtualRouterSpec,
  virtualServiceSpec as appMeshVirtualServiceSpec,
  meshSpec,
  APP_MESH_END_OF_SUPPORT,
} from './appmesh/schemas.js';
import type { AppMeshVirtualServiceSpec, VirtualNodeSpec, VirtualRouterSpec } from './appmesh/schemas.js';
import {
  ciliumEnvoyConfigSpec,
  ciliumNetworkPolicyBody,
  policyRules,
  type CiliumEnvoyConfigSpec,
  type CiliumRule,
} from './cilium/network-policy.js';
import { grpcRouteSpec, httpRouteSpec, type GrpcRouteSpec, type HttpRouteSpec } from './gateway-api/routes.js';
import { gatewaySpec, type GatewaySpec } from './gateway-api/gateway.js';
import { parseLinkerdAnnotations, type LinkerdAnnotations } from './linkerd/annotations.js';
import {
  authorizationPolicySpec,
  meshTlsAuthenticationSpec,
  networkAuthenticationSpec,
  serverAuthorizationSpec,
  serverSpec,
  type LinkerdAuthorizationPolicySpec,
  type MeshTlsAuthenticationSpec,
  type NetworkAuthenticationSpec,
  type ServerAuthorizationSpec,
  type ServerSpec,
} from './linkerd/policy-schemas.js';
import { serviceProfileSpec, type ServiceProfileSpec } from './linkerd/service-profile.js';
import type { YamlSource } from './yaml-source.js';
import { issuesToDiagnostics, PARSE_OPTIONS } from './zod-diagnostics.js';
import { knownKeysOf } from './zod-keys.js';

/** The mesh a kind belongs to; Gateway API routes are shared (Linkerd, Cilium and Istio read them). */
export type MeshFamily = 'gateway-api' | 'linkerd' | 'cilium' | 'appmesh';

export interface MeshResource<S> {
  family: MeshFamily;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  spec: S;
  /** Linkerd reliability annotations found on the resource (routes), already validated. */
  linkerd?: LinkerdAnnotations;
  src: YamlSource;
  order: number;
}

export interface MeshResources {
  /** Gateway API Gateways (ingress); Istio deploys one Envoy per Gateway of class `istio`. */
  gateways: MeshResource<GatewaySpec>[];
  httpRoutes: MeshResource<HttpRouteSpec>[];
  grpcRoutes: MeshResource<GrpcRouteSpec>[];
  linkerdServers: MeshResource<ServerSpec>[];
  linkerdServerAuthorizations: MeshResource<ServerAuthorizationSpec>[];
  linkerdAuthorizationPolicies: MeshResource<LinkerdAuthorizationPolicySpec>[];
  linkerdMeshTlsAuthentications: MeshResource<MeshTlsAuthenticationSpec>[];
  linkerdNetworkAuthentications: MeshResource<NetworkAuthenticationSpec>[];
  linkerdServiceProfiles: MeshResource<ServiceProfileSpec>[];
  /** Service annotations (`retry.linkerd.io/*`, `timeout.linkerd.io/*`, failure accrual) by Service. */
  linkerdServiceAnnotations: MeshResource<LinkerdAnnotations>[];
  /** CNP and CCNP, one entry per policy; `spec` holds its rules (`spec` and `specs` together). */
  ciliumNetworkPolicies: MeshResource<CiliumRule[]>[];
  ciliumEnvoyConfigs: MeshResource<CiliumEnvoyConfigSpec>[];
  appMeshVirtualNodes: MeshResource<VirtualNodeSpec>[];
  appMeshVirtualServices: MeshResource<AppMeshVirtualServiceSpec>[];
  appMeshVirtualRouters: MeshResource<VirtualRouterSpec>[];
  appMeshMeshes: MeshResource<unknown>[];
}

export const emptyMeshResources = (): MeshResources => ({
  gateways: [],
  httpRoutes: [],
  grpcRoutes: [],
  linkerdServers: [],
  linkerdServerAuthorizations: [],
  linkerdAuthorizationPolicies: [],
  linkerdMeshTlsAuthentications: [],
  linkerdNetworkAuthentications: [],
  linkerdServiceProfiles: [],
  linkerdServiceAnnotations: [],
  ciliumNetworkPolicies: [],
  ciliumEnvoyConfigs: [],
  appMeshVirtualNodes: [],
  appMeshVirtualServices: [],
  appMeshVirtualRouters: [],
  appMeshMeshes: [],
});

type Target = keyof MeshResources;

interface KindEntry {
  family: MeshFamily;
  apiVersions: readonly string[];
  /** Validates `spec` (or, with `whole`, the document) and gives what is stored. */
  schema: z.ZodType;
  whole?: boolean;
  store: Target;
  /** Turn the parsed value into what is stored (default: as is). */
  convert?: (parsed: never) => unknown;
}

const GATEWAY = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1', 'gateway.networking.k8s.io/v1alpha2'];
const LINKERD_POLICY = [
  'policy.linkerd.io/v1beta3',
  'policy.linkerd.io/v1beta2',
  'policy.linkerd.io/v1beta1',
  'policy.linkerd.io/v1alpha1',
];
const CILIUM = ['cilium.io/v2'];
const APPMESH = ['appmesh.k8s.aws/v1beta2'];

/** Keyed by `apiVersion group/kind`: the group decides (HTTPRoute exists in two groups). */
const KINDS: Record<string, KindEntry> = {
  'gateway.networking.k8s.io/Gateway': {
    family: 'gateway-api',
    apiVersions: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
    schema: gatewaySpec,
    store: 'gateways',
  },
  'gateway.networking.k8s.io/HTTPRoute': { family: 'gateway-api', apiVersions: GATEWAY, schema: httpRouteSpec, store: 'httpRoutes' },
  'gateway.networking.k8s.io/GRPCRoute': {
    family: 'gateway-api',
    apiVersions: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1alpha2'],
    schema: grpcRouteSpec,
    store: 'grpcRoutes',
  },
  'policy.linkerd.io/HTTPRoute': { family: 'linkerd', apiVersions: LINKERD_POLICY, schema: httpRouteSpec, store: 'httpRoutes' },
  'policy.linkerd.io/GRPCRoute': { family: 'linkerd', apiVersions: LINKERD_POLICY, schema: grpcRouteSpec, store: 'grpcRoutes' },
  'policy.linkerd.io/Server': {
    family: 'linkerd',
    apiVersions: ['policy.linkerd.io/v1beta3', 'policy.linkerd.io/v1beta2', 'policy.linkerd.io/v1beta1'],
    schema: serverSpec,
    store: 'linkerdServers',
  },
  'policy.linkerd.io/ServerAuthorization': {
    family: 'linkerd',
    apiVersions: ['policy.linkerd.io/v1beta1'],
    schema: serverAuthorizationSpec,
    store: 'linkerdServerAuthorizations',
  },
  'policy.linkerd.io/AuthorizationPolicy': {
    family: 'linkerd',
    apiVersions: ['policy.linkerd.io/v1alpha1'],
    schema: authorizationPolicySpec,
    store: 'linkerdAuthorizationPolicies',
  },
  'policy.linkerd.io/MeshTLSAuthentication': {
    family: 'linkerd',
    apiVersions: ['policy.linkerd.io/v1alpha1'],
    schema: meshTlsAuthenticationSpec,
    store: 'linkerdMeshTlsAuthentications',
  },
  'policy.linkerd.io/NetworkAuthentication': {
    family: 'linkerd',
    apiVersions: ['policy.linkerd.io/v1alpha1'],
    schema: networkAuthenticationSpec,
    store: 'linkerdNetworkAuthentications',
  },
  'linkerd.io/ServiceProfile': {
    family: 'linkerd',
    apiVersions: ['linkerd.io/v1alpha2'],
    schema: serviceProfileSpec,
    store: 'linkerdServiceProfiles',
  },
  'cilium.io/CiliumNetworkPolicy': {
    family: 'cilium',
    apiVersions: CILIUM,
    schema: ciliumNetworkPolicyBody,
    whole: true,
    store: 'ciliumNetworkPolicies',
    convert: policyRules,
  },
  'cilium.io/CiliumClusterwideNetworkPolicy': {
    family: 'cilium',
    apiVersions: CILIUM,
    schema: ciliumNetworkPolicyBody,
    whole: true,
    store: 'ciliumNetworkPolicies',
    convert: policyRules,
  },
  'cilium.io/CiliumEnvoyConfig': { family: 'cilium', apiVersions: CILIUM, schema: ciliumEnvoyConfigSpec, store: 'ciliumEnvoyConfigs' },
  'cilium.io/CiliumClusterwideEnvoyConfig': {
    family: 'cilium',
    apiVersions: CILIUM,
    schema: ciliumEnvoyConfigSpec,
    store: 'ciliumEnvoyConfigs',
  },
  'appmesh.k8s.aws/VirtualNode': { family: 'appmesh', apiVersions: APPMESH, schema: virtualNodeSpec, store: 'appMeshVirtualNodes' },
  'appmesh.k8s.aws/VirtualService': {
    family: 'appmesh',
    apiVersions: APPMESH,
    schema: appMeshVirtualServiceSpec,
    store: 'appMeshVirtualServices',
  },
  'appmesh.k8s.aws/VirtualRouter': { family: 'appmesh', apiVersions: APPMESH, schema: virtualRouterSpec, store: 'appMeshVirtualRouters' },
  'appmesh.k8s.aws/Mesh': { family: 'appmesh', apiVersions: APPMESH, schema: meshSpec, store: 'appMeshMeshes' },
};

/** Kinds with no simulated behaviour that are still recognised (a warning names why). */
const RECOGNISED_ONLY: Record<string, string> = {
  'appmesh.k8s.aws/VirtualGateway': 'App Mesh ingress gateways are not simulated',
  'appmesh.k8s.aws/GatewayRoute': 'App Mesh ingress gateways are not simulated',
  'policy.linkerd.io/HTTPLocalRateLimitPolicy': 'Linkerd rate limiting is not simulated',
  'policy.linkerd.io/EgressNetwork': 'Linkerd egress networks are not simulated',
  'split.smi-spec.io/TrafficSplit': 'SMI TrafficSplit (linkerd-smi extension) is not simulated; use HTTPRoute backendRefs',
};

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/** Whether this registry owns `kind` in `apiVersion`'s group (even if that version is wrong). */
export function isMeshKind(apiVersion: string, kind: string): boolean {
  const key = `${groupOf(apiVersion)}/${kind}`;
  return key in KINDS || key in RECOGNISED_ONLY;
}

/** The mesh family of a kind, for "configuration for another mesh" warnings. */
export function meshFamilyOf(apiVersion: string, kind: string): MeshFamily | undefined {
  return KINDS[`${groupOf(apiVersion)}/${kind}`]?.family;
}

export interface MeshDocument {
  raw: Record<string, unknown>;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  src: YamlSource;
  order: number;
}

const annotationsOf = (raw: Record<string, unknown>): Record<string, string> => {
  const meta = raw.metadata as { annotations?: unknown } | undefined;
  const a = meta?.annotations;
  if (typeof a !== 'object' || a === null) return {};
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));
};

/** Linkerd annotations of a resource, problems positioned at the annotation's value. */
function readLinkerdAnnotations(
  doc: MeshDocument,
  problems: { errors: Diagnostic[]; warnings: Diagnostic[] },
): LinkerdAnnotations | undefined {
  const annotations = annotationsOf(doc.raw);
  const relevant = Object.keys(annotations).some(
    (k) => k.startsWith('retry.linkerd.io/') || k.startsWith('timeout.linkerd.io/') || k.startsWith('balancer.linkerd.io/'),
  );
  if (!relevant) return undefined;
  const { value, problems: found } = parseLinkerdAnnotations(annotations);
  for (const p of found) {
    const d = doc.src.diagnosticAt(['metadata', 'annotations', p.key], p.severity, `${doc.kind} ${doc.name}: ${p.message}`);
    (p.severity === 'error' ? problems.errors : problems.warnings).push(d);
  }
  return value;
}

/**
 * Reads one document if its kind belongs to this registry; returns false otherwise (the caller
 * then handles it). Errors and warnings are positioned at the offending YAML node.
 */
export function readMeshResource(
  doc: MeshDocument,
  into: MeshResources,
  problems: { errors: Diagnostic[]; warnings: Diagnostic[] },
): boolean {
  const key = `${groupOf(doc.apiVersion)}/${doc.kind}`;
  const only = RECOGNISED_ONLY[key];
  if (only) {
    problems.warnings.push(doc.src.diagnosticAt(['kind'], 'warning', `${doc.kind} ${doc.name}: ${only}; it is ignored`));
    return true;
  }
  const entry = KINDS[key];
  if (!entry) return false;
  if (!entry.apiVersions.includes(doc.apiVersion)) {
    problems.errors.push(
      doc.src.diagnosticAt(
        ['apiVersion'],
        'error',
        `${doc.kind} ${doc.name}: apiVersion must be one of ${entry.apiVersions.join(', ')} (got ${JSON.stringify(doc.apiVersion)})`,
      ),
    );
    return true;
  }
  const input = entry.whole ? doc.raw : (doc.raw.spec ?? {});
  const parsed = entry.schema.safeParse(input, PARSE_OPTIONS);
  if (!parsed.success) {
    const prefix = entry.whole ? [] : ['spec'];
    const known = (path: readonly (string | number)[]) => knownKeysOf(entry.schema, path.slice(prefix.length));
    problems.errors.push(
      ...issuesToDiagnostics(parsed.error.issues, doc.src, known, prefix).map((d) => ({
        ...d,
        message: `${doc.kind} ${doc.name}: ${d.message}`,
      })),
    );
    return true;
  }
  const spec = entry.convert ? entry.convert(parsed.data as never) : parsed.data;
  const linkerd = entry.store === 'httpRoutes' || entry.store === 'grpcRoutes' ? readLinkerdAnnotations(doc, problems) : undefined;
  if (
    entry.family === 'appmesh' &&
    into.appMeshVirtualNodes.length + into.appMeshVirtualRouters.length + into.appMeshVirtualServices.length + into.appMeshMeshes.length ===
      0
  )
    problems.warnings.push(
      doc.src.diagnosticAt(
        ['kind'],
        'warning',
        `AWS App Mesh reached end of support on ${APP_MESH_END_OF_SUPPORT}; its resources are simulated for migration studies only`,
      ),
    );
  const resource: MeshResource<unknown> = {
    family: entry.family,
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    name: doc.name,
    namespace: doc.namespace,
    spec,
    src: doc.src,
    order: doc.order,
  };
  if (linkerd) resource.linkerd = linkerd;
  (into[entry.store] as MeshResource<unknown>[]).push(resource);
  return true;
}

/** Linkerd annotations on a Kubernetes Service (called by the Service reader). */
export function readServiceAnnotations(
  doc: MeshDocument,
  into: MeshResources,
  problems: { errors: Diagnostic[]; warnings: Diagnostic[] },
): void {
  const value = readLinkerdAnnotations(doc, problems);
  if (value)
    into.linkerdServiceAnnotations.push({
      family: 'linkerd',
      apiVersion: doc.apiVersion,
      kind: 'Service',
      name: doc.name,
      namespace: doc.namespace,
      spec: value,
      src: doc.src,
      order: doc.order,
    });
}

/** Resources of one family, for "configuration for another mesh is ignored" warnings. */
export function resourcesOfFamily(res: MeshResources, family: MeshFamily): MeshResource<unknown>[] {
  return (Object.values(res) as MeshResource<unknown>[][]).flat().filter((r) => r.family === family);
}
