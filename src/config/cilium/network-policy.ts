/**
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (`cilium.io/v2`) with Cilium's field
 * names (cilium/cilium pkg/policy/api/{rule,ingress,egress,l4,http,selector}.go; docs
 * https://docs.cilium.io/en/stable/security/policy/language/ and /layer7/), and
 * CiliumEnvoyConfig / CiliumClusterwideEnvoyConfig (pkg/k8s/apis/cilium.io/v2/cec_types.go),
 * recognised so that the services they redirect go through the node's Envoy; their raw Envoy
 * `resources` are kept, not interpreted.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { labelSelectorSchema } from '../k8s-selectors.js';

const ENTITIES = [
  'all',
  'world',
  'cluster',
  'host',
  'remote-node',
  'kube-apiserver',
  'init',
  'health',
  'unmanaged',
  'none',
  'ingress',
] as const;

/** Peer fields in typed form (zod cannot infer computed keys). */
export interface CiliumPeers {
  endpoints?: z.output<typeof labelSelectorSchema>[];
  entities?: string[];
  cidr?: string[];
}

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const portProtocol = z.strictObject({
    port: z.union([z.string(), z.number().int()]).transform((p) => String(p)),
    endPort: z.number().int().min(0).max(65535).optional(),
    protocol: z.enum(['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 'VRRP', 'IGMP', 'ANY']).default('ANY'),
  });

  /** PortRuleHTTP: method/path/host are extended POSIX regexes; headers are `Name` or `Name: value`. */
  const httpRule = z
    .strictObject({
      method: z.string().optional(),
      path: z.string().optional(),
      host: z.string().optional(),
      headers: z.array(z.string()).optional(),
      headerMatches: z.array(z.record(z.string(), z.unknown())).optional(),
    })
    .superRefine((r, ctx) => {
      for (const f of ['method', 'path', 'host'] as const) {
        const v = r[f];
        if (v === undefined) continue;
        try {
          new RegExp(v);
        } catch {
          ctx.addIssue({ code: 'custom', path: [f], message: `invalid regular expression ${JSON.stringify(v)}` });
        }
      }
    });
  const l7Rules = z
    .strictObject({
      http: z.array(httpRule).optional(),
      kafka: z.array(z.record(z.string(), z.unknown())).optional(),
      dns: z.array(z.record(z.string(), z.unknown())).optional(),
      l7proto: z.string().optional(),
      l7: z.array(z.record(z.string(), z.string())).optional(),
    })
    .refine((r) => [r.http, r.kafka, r.dns, r.l7].filter((x) => x !== undefined).length <= 1, {
      message: 'L7Rules is a union: only one of http, kafka, dns or l7 may be set per port rule',
    });

  const portRule = z.strictObject({
    ports: z.array(portProtocol).optional(),
    terminatingTLS: z.record(z.string(), z.unknown()).optional(),
    originatingTLS: z.record(z.string(), z.unknown()).optional(),
    serverNames: z.array(z.string()).optional(),
    listener: z.record(z.string(), z.unknown()).optional(),
    rules: l7Rules.optional(),
  });
  const cidrRule = z.strictObject({
    cidr: z.string().optional(),
    cidrGroupRef: z.string().optional(),
    except: z.array(z.string()).optional(),
  });
  const authentication = z.strictObject({ mode: z.enum(['disabled', 'required', 'test-always-fail']) });
  const icmps = z.array(z.record(z.string(), z.unknown()));

  const peerFields = (dir: 'from' | 'to') => ({
    [`${dir}Endpoints`]: z.array(labelSelectorSchema).optional(),
    [`${dir}Requires`]: z.array(labelSelectorSchema).optional(),
    [`${dir}CIDR`]: z.array(z.string()).optional(),
    [`${dir}CIDRSet`]: z.array(cidrRule).optional(),
    [`${dir}Entities`]: z.array(z.enum(ENTITIES)).optional(),
    [`${dir}Groups`]: z.array(z.record(z.string(), z.unknown())).optional(),
    [`${dir}Nodes`]: z.array(labelSelectorSchema).optional(),
  });

  const ingressRule = z.strictObject({
    ...peerFields('from'),
    toPorts: z.array(portRule).optional(),
    icmps: icmps.optional(),
    authentication: authentication.optional(),
  });
  const ingressDenyRule = z.strictObject({ ...peerFields('from'), toPorts: z.array(portRule).optional(), icmps: icmps.optional() });

  const egressRule = z.strictObject({
    ...peerFields('to'),
    toServices: z.array(z.record(z.string(), z.unknown())).optional(),
    toFQDNs: z.array(z.strictObject({ matchName: z.string().optional(), matchPattern: z.string().optional() })).optional(),
    toPorts: z.array(portRule).optional(),
    icmps: icmps.optional(),
    authentication: authentication.optional(),
  });
  const egressDenyRule = z.strictObject({
    ...peerFields('to'),
    toServices: z.array(z.record(z.string(), z.unknown())).optional(),
    toPorts: z.array(portRule).optional(),
    icmps: icmps.optional(),
  });

  const ciliumRule = z
    .strictObject({
      description: z.string().optional(),
      endpointSelector: labelSelectorSchema.optional(),
      nodeSelector: labelSelectorSchema.optional(),
      ingress: z.array(ingressRule).optional(),
      ingressDeny: z.array(ingressDenyRule).optional(),
      egress: z.array(egressRule).optional(),
      egressDeny: z.array(egressDenyRule).optional(),
      labels: z.array(z.record(z.string(), z.unknown())).optional(),
      enableDefaultDeny: z.strictObject({ ingress: z.boolean().optional(), egress: z.boolean().optional() }).optional(),
      log: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((r) => (r.endpointSelector === undefined) !== (r.nodeSelector === undefined), {
      message: 'a rule needs exactly one of endpointSelector or nodeSelector (rule.go Sanitize)',
    });
  /** CNP/CCNP: `spec` (one rule) and/or `specs` (a list); at least one must be present. */
  const ciliumNetworkPolicyBody = z
    .looseObject({ spec: ciliumRule.optional(), specs: z.array(ciliumRule).optional() })
    .refine((p) => p.spec !== undefined || (p.specs?.length ?? 0) > 0, 'a CiliumNetworkPolicy needs spec or specs');

  const serviceListener = z.strictObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    listener: z.string().optional(),
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
  });

  const ciliumEnvoyConfigSpec = z.strictObject({
    services: z.array(serviceListener).optional(),
    backendServices: z
      .array(z.strictObject({ name: z.string().min(1), namespace: z.string().optional(), number: z.array(z.string()).optional() }))
      .optional(),
    resources: z.array(z.record(z.string(), z.unknown())).default([]),
    nodeSelector: labelSelectorSchema.optional(),
  });
  return { httpRule, portRule, ciliumRule, ciliumEnvoyConfigSpec, ciliumNetworkPolicyBody };
});
type Schemas = ReturnType<typeof schemas>;

export type CiliumHttpRule = z.output<Schemas['httpRule']>;
export type CiliumPortRule = z.output<Schemas['portRule']>;
export type CiliumRule = z.output<Schemas['ciliumRule']>;
export type CiliumEnvoyConfigSpec = z.output<Schemas['ciliumEnvoyConfigSpec']>;

export const ciliumRule = z.lazy(() => schemas().ciliumRule);
export const ciliumNetworkPolicyBody = z.lazy(() => schemas().ciliumNetworkPolicyBody);
export const ciliumEnvoyConfigSpec = z.lazy(() => schemas().ciliumEnvoyConfigSpec);

/** The rules of a parsed policy, `spec` first. */
export const policyRules = (p: { spec?: CiliumRule; specs?: CiliumRule[] }): CiliumRule[] => [
  ...(p.spec ? [p.spec] : []),
  ...(p.specs ?? []),
];
