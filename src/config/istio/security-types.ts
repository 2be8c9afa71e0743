/**
 * The security.istio.io API types as the config layer validates them and the policy engines read
 * them: AuthorizationPolicy (istio/api security/v1beta1/authorization_policy.proto) and
 * PeerAuthentication (security/v1beta1/peer_authentication.proto), plus CIDR parsing for ipBlocks.
 */

/** A list of match patterns, possibly absent. */
export type Strings = readonly string[] | undefined;

export type AuthzAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthzSource {
  principals?: Strings;
  notPrincipals?: Strings;
  requestPrincipals?: Strings;
  notRequestPrincipals?: Strings;
  namespaces?: Strings;
  notNamespaces?: Strings;
  ipBlocks?: Strings;
  notIpBlocks?: Strings;
  remoteIpBlocks?: Strings;
  notRemoteIpBlocks?: Strings;
  serviceAccounts?: Strings;
  notServiceAccounts?: Strings;
  trustDomains?: Strings;
  notTrustDomains?: Strings;
}

export interface AuthzOperation {
  hosts?: Strings;
  notHosts?: Strings;
  ports?: Strings;
  notPorts?: Strings;
  methods?: Strings;
  notMethods?: Strings;
  paths?: Strings;
  notPaths?: Strings;
}

export interface AuthzCondition {
  key: string;
  values?: Strings;
  notValues?: Strings;
}

export interface AuthzRule {
  from?: readonly { source: AuthzSource }[];
  to?: readonly { operation: AuthzOperation }[];
  when?: readonly AuthzCondition[];
}

export interface PolicyTargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AuthorizationPolicySpec {
  selector?: { matchLabels?: Readonly<Record<string, string>> };
  targetRef?: PolicyTargetRef;
  targetRefs?: readonly PolicyTargetRef[];
  /** Default ALLOW. */
  action?: AuthzAction;
  provider?: { name?: string };
  /** Absent or empty: the policy never matches (an ALLOW policy then denies everything). */
  rules?: readonly AuthzRule[];
}

export interface AuthorizationPolicy {
  name: string;
  namespace: string;
  spec: AuthorizationPolicySpec;
}

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';
export type EffectiveMtlsMode = Exclude<MtlsMode, 'UNSET'>;

export interface PeerAuthenticationSpec {
  selector?: { matchLabels?: Readonly<Record<string, string>> };
  mtls?: { mode?: MtlsMode };
  /** Keyed by the workload (container) port, not the Service port. */
  portLevelMtls?: Readonly<Record<string, { mode?: MtlsMode }>>;
}

export interface PeerAuthenticationPolicy {
  name: string;
  namespace: string;
  spec: PeerAuthenticationSpec;
}

export interface Cidr {
  bytes: number[];
  prefix: number;
}

/** An IPv4 or IPv6 address as bytes; undefined when malformed. */
export function parseIpBytes(text: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const b = text.split('.').map(Number);
    return b.every((x) => x <= 255) ? b : undefined;
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const missing = 8 - h.length - t.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) return undefined;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 255];
  });
}

/** `10.1.2.3`, `10.1.0.0/16`, `2001:db8::/32` → bytes and prefix length; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const bytes = parseIpBytes(addr);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (len === undefined) return { bytes, prefix: max };
  if (!/^\d+$/.test(len) || Number(len) > max) return undefined;
  return { bytes, prefix: Number(len) };
}
