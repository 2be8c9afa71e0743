/**
 * Linkerd authorization policy kinds with Linkerd's field names
 * (linkerd/linkerd2 policy-controller/k8s/api/src/policy/{server,server_authorization,
 * authorization_policy,meshtls_authentication,network_authentication}.rs; reference
 * https://linkerd.io/2.18/reference/authorization-policy/).
 *
 * - Server (policy.linkerd.io v1beta1..v1beta3): podSelector (or externalWorkloadSelector), one
 *   port (number or name), proxyProtocol, accessPolicy (default deny).
 * - ServerAuthorization (v1beta1, legacy): server {name | selector}, client {...}.
 * - AuthorizationPolicy (v1alpha1): targetRef + requiredAuthenticationRefs (all must match).
 * - MeshTLSAuthentication (v1alpha1): identities or identityRefs.
 * - NetworkAuthentication (v1alpha1): networks [{cidr, except}].
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { labelSelectorSchema } from '../k8s-selectors.js';

export const PROXY_PROTOCOLS = ['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS'] as const;
export const DEFAULT_INBOUND_POLICIES = [
  'all-unauthenticated',
  'all-authenticated',
  'cluster-authenticated',
  'cluster-unauthenticated',
  'deny',
  'audit',
] as const;
export type DefaultInboundPolicy = (typeof DEFAULT_INBOUND_POLICIES)[number];

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)(\/\d{1,3})?$/;
/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const cidr = z.string().regex(CIDR, 'expected an IP address or CIDR such as 10.0.0.0/8');

  const serverSpec = z
    .strictObject({
      podSelector: labelSelectorSchema.optional(),
      externalWorkloadSelector: labelSelectorSchema.optional(),
      port: z.union([z.number().int().min(1).max(65535), z.string().min(1)], { error: 'port: expected a port number or a port name' }),
      proxyProtocol: z.enum(PROXY_PROTOCOLS).default('unknown'),
      accessPolicy: z.enum(DEFAULT_INBOUND_POLICIES).default('deny'),
    })
    .superRefine((s, ctx) => {
      // server.rs: exactly one of podSelector / externalWorkloadSelector.
      if ((s.podSelector === undefined) === (s.externalWorkloadSelector === undefined))
        ctx.addIssue({ code: 'custom', message: 'a Server needs exactly one of podSelector or externalWorkloadSelector' });
    });
  const networkSchema = z.strictObject({ cidr, except: z.array(cidr).optional() });

  const serverAuthorizationSpec = z.strictObject({
    server: z
      .strictObject({ name: z.string().optional(), selector: labelSelectorSchema.optional() })
      .refine((s) => (s.name === undefined) !== (s.selector === undefined), 'server takes exactly one of name or selector'),
    client: z.strictObject({
      networks: z.array(networkSchema).optional(),
      unauthenticated: z.boolean().optional(),
      meshTLS: z
        .strictObject({
          unauthenticatedTLS: z.boolean().optional(),
          identities: z.array(z.string()).optional(),
          serviceAccounts: z.array(z.strictObject({ name: z.string(), namespace: z.string().optional() })).optional(),
        })
        .optional(),
    }),
  });
  const localRef = z.strictObject({
    group: z.string().optional(),
    kind: z.string().min(1),
    name: z.string().min(1),
    namespace: z.string().optional(),
  });

  const TARGET_KINDS = ['Server', 'HTTPRoute', 'GRPCRoute', 'Namespace'];
  const AUTHN_KINDS = ['MeshTLSAuthentication', 'NetworkAuthentication', 'ServiceAccount'];

  const authorizationPolicySpec = z.strictObject({
    targetRef: localRef.refine((r) => TARGET_KINDS.includes(r.kind), {
      message: `targetRef.kind must be one of ${TARGET_KINDS.join(', ')}`,
      path: ['kind'],
    }),
    requiredAuthenticationRefs: z
      .array(
        localRef.refine((r) => AUTHN_KINDS.includes(r.kind), { message: `kind must be one of ${AUTHN_KINDS.join(', ')}`, path: ['kind'] }),
      )
      .default([]),
  });
  const meshTlsAuthenticationSpec = z
    .strictObject({
      identities: z.array(z.string().min(1)).optional(),
      identityRefs: z.array(localRef).optional(),
    })
    .refine(
      (s) => (s.identities?.length ?? 0) + (s.identityRefs?.length ?? 0) > 0,
      'MeshTLSAuthentication needs identities or identityRefs',
    );
  const networkAuthenticationSpec = z.strictObject({ networks: z.array(networkSchema).min(1) });
  return { serverSpec, serverAuthorizationSpec, authorizationPolicySpec, meshTlsAuthenticationSpec, networkAuthenticationSpec };
});
type Schemas = ReturnType<typeof schemas>;

export type ServerSpec = z.output<Schemas['serverSpec']>;
export type ServerAuthorizationSpec = z.output<Schemas['serverAuthorizationSpec']>;
export type LinkerdAuthorizationPolicySpec = z.output<Schemas['authorizationPolicySpec']>;
export type MeshTlsAuthenticationSpec = z.output<Schemas['meshTlsAuthenticationSpec']>;
export type NetworkAuthenticationSpec = z.output<Schemas['networkAuthenticationSpec']>;

export const serverSpec = z.lazy(() => schemas().serverSpec);
export const serverAuthorizationSpec = z.lazy(() => schemas().serverAuthorizationSpec);
export const authorizationPolicySpec = z.lazy(() => schemas().authorizationPolicySpec);
export const meshTlsAuthenticationSpec = z.lazy(() => schemas().meshTlsAuthenticationSpec);
export const networkAuthenticationSpec = z.lazy(() => schemas().networkAuthenticationSpec);
