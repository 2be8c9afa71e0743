/**
 * AuthorizationPolicy (security.istio.io v1 / v1beta1) as the data plane enforces it:
 *  - sidecars / waypoints (Envoy RBAC): authorizeHttp(), and authorizeTcp() for non-HTTP ports;
 *  - ztunnel (ambient, L4 only): projectToZtunnel() then authorizeZtunnel().
 * API from istio/api security/v1beta1/authorization_policy.proto; translation rules from
 * istio/istio pilot/pkg/security/authz/model (model.go, matcher/*.go) and, for ambient,
 * pilot/pkg/serviceregistry/ambient/authorization.go with istio/ztunnel src/rbac.rs.
 * API: istio/api security/v1beta1/authorization_policy.proto. Pure: the caller picks the policies of a workload once
 * (select*Policies) and evaluates per request or connection.
 */
import {
  parseCidr,
  parseIpBytes,
  type Strings,
  type AuthorizationPolicy,
  type AuthorizationPolicySpec,
  type AuthzAction,
  type AuthzCondition,
  type AuthzOperation,
  type AuthzRule,
  type AuthzSource,
  type Cidr,
  type PolicyTargetRef,
} from '../config/istio/security-types.js';
import { selectorMatches, DEFAULT_ROOT_NAMESPACE, type WorkloadIdentity } from './peer-authentication.js';
import type { JwtToken } from '../config/model.js';
import { claimPath, claimValues } from './request-authentication.js';

/** What a server-side proxy knows about a connection. */
export interface L4Attributes {
  /** Peer identity without `spiffe://`, e.g. `cluster.local/ns/default/sa/sleep`; undefined for plaintext. */
  sourcePrincipal?: string;
  /** Peer namespace when it cannot be read from sourcePrincipal; ignored for plaintext peers. */
  sourceNamespace?: string;
  sourceIp?: string;
  destinationIp?: string;
  /** The workload port the connection arrived on (`ports`, `destination.port`). */
  port: number;
}

/** What a server-side proxy knows about an HTTP request. */
export interface HttpRequestAttributes extends L4Attributes {
  method: string;
  /** Request path; a query string is ignored as Envoy's url_path matcher does. */
  path: string;
  /** :authority / Host header. */
  host: string;
  headers: Readonly<Record<string, string>>;
  /** Client IP from X-Forwarded-For / proxy protocol (`remoteIpBlocks`, `remote.ip`); defaults to sourceIp. */
  remoteIp?: string;
  /** `<iss>/<sub>` of the JWT RequestAuthentication validated (request-authentication.ts); undefined without one. */
  requestPrincipal?: string;
  /** The validated JWT, for `request.auth.claims[…]`, `request.auth.audiences` and `request.auth.presenter`. */
  jwt?: JwtToken;
  /** Claims of that JWT that RBAC sees split on spaces (jwt_authn NormalizePayload; request-authentication.ts). */
  jwtSpaceDelimited?: readonly string[];
}

export interface AuthzDecision {
  allowed: boolean;
  /** Envoy response_code_details on denial, e.g. `rbac_access_denied_matched_policy[none]`. */
  reason?: string;
  /** 403 for a denied HTTP request; absent for L4 (the proxy closes or resets the connection). */
  status?: 403;
  /** The DENY rule that decided, when one did. */
  matched?: { namespace: string; name: string; rule: number };
  /** An AUDIT policy matched (never changes `allowed`). */
  audited: boolean;
}

/** Body of Envoy's RBAC 403 (semantics §8, [I-IT]). */
export const RBAC_DENIED_BODY = 'RBAC: access denied';
const NO_ALLOW_MATCH = 'rbac_access_denied_matched_policy[none]';
const ruleId = (p: { namespace: string; name: string }, i: number) => `ns[${p.namespace}]-policy[${p.name}]-rule[${i}]`;

// ─── Policy selection ───────────────────────────────────────────────────────────────────────────

const hasTargetRefs = (s: AuthorizationPolicySpec) => s.targetRef !== undefined || (s.targetRefs?.length ?? 0) > 0;

const appliesTo = (namespace: string, selector: AuthorizationPolicySpec['selector'], workload: WorkloadIdentity, rootNamespace: string) =>
  (namespace === workload.namespace || namespace === rootNamespace) && selectorMatches(selector?.matchLabels, workload.labels);

/**
 * Policies a workload's sidecar enforces: selector-less ones of its namespace and of the root
 * namespace, and selector ones (same or root namespace) whose labels it carries. targetRef
 * policies bind to gateways/waypoints instead (selectWaypointPolicies).
 */
export function selectAuthorizationPolicies(
  policies: readonly AuthorizationPolicy[],
  workload: WorkloadIdentity,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): AuthorizationPolicy[] {
  return policies.filter((p) => !hasTargetRefs(p.spec) && appliesTo(p.namespace, p.spec.selector, workload, rootNamespace));
}

/** The same selection over projectToZtunnel() output: what the workload's node ztunnel enforces for it. */
export function selectZtunnelPolicies(
  policies: readonly ZtunnelPolicy[],
  workload: WorkloadIdentity,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): ZtunnelPolicy[] {
  return policies.filter((p) => appliesTo(p.namespace, p.selector, workload, rootNamespace));
}

/**
 * Policies a waypoint enforces for traffic to `service`: targetRefs naming the waypoint's
 * Gateway or the Service (same namespace as the policy), or the `istio-waypoint` GatewayClass
 * from the root namespace. Waypoints ignore selector policies. [DOC-L7]
 */
export function selectWaypointPolicies(
  policies: readonly AuthorizationPolicy[],
  waypoint: { name: string; namespace: string },
  service?: { name: string; namespace: string },
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): AuthorizationPolicy[] {
  return policies.filter((p) =>
    [...(p.spec.targetRef ? [p.spec.targetRef] : []), ...(p.spec.targetRefs ?? [])].some(
      (t) =>
        (t.kind === 'Gateway' && t.name === waypoint.name && p.namespace === waypoint.namespace) ||
        ((t.kind === 'Service' || t.kind === 'ServiceEntry') &&
          service !== undefined &&
          t.name === service.name &&
          p.namespace === service.namespace) ||
        (t.kind === 'GatewayClass' && t.name === 'istio-waypoint' && p.namespace === rootNamespace),
    ),
  );
}

// ─── Matching primitives ────────────────────────────────────────────────────────────────────────

/** Istio string pattern: `*` presence (non-empty), `*abc` suffix, `abc*` prefix, else exact. */
export function matchesPattern(pattern: string, value: string | undefined, caseInsensitive = false): boolean {
  if (value === undefined) return false;
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  if (p === '*') return v !== '';
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

const templates = new Map<string, RegExp>();
/** Paths: `{*}` is one segment and `{**}` the rest (Envoy uri_template), otherwise a pattern. */
function matchesPath(pattern: string, path: string): boolean {
  const bare = path.split('?', 1)[0]!;
  if (!pattern.includes('{*}') && !pattern.includes('{**}')) return matchesPattern(pattern, bare);
  let re = templates.get(pattern);
  if (!re) {
    const body = pattern
      .split(/(\{\*\*\}|\{\*\})/)
      .map((part) => (part === '{**}' ? '.*' : part === '{*}' ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`);
    templates.set(pattern, re);
  }
  return re.test(bare);
}

/** request.headers[...] values match the whole header or one comma-separated element (RFC 7230). */
function matchesHeader(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true; // presence, even when empty
  return matchesPattern(pattern, value) || value.split(',').some((part) => matchesPattern(pattern, part));
}

const cidrCache = new Map<string, Cidr | undefined>();
function inBlock(block: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  if (!cidrCache.has(block)) cidrCache.set(block, parseCidr(block));
  const c = cidrCache.get(block);
  const a = parseIpBytes(ip);
  if (!c || !a || a.length !== c.bytes.length) return false;
  for (let bit = 0; bit < c.prefix; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, c.prefix - bit))) & 0xff;
    if ((a[bit / 8]! & mask) !== (c.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

/** A field with positive values (any must match) and negative values (none may match). */
function field(values: Strings, notValues: Strings, test: (v: string) => boolean): boolean {
  if (values?.length && !values.some(test)) return false;
  return !(notValues?.length && notValues.some(test));
}

/** Who the peer is, read from its principal `<trust-domain>/ns/<ns>/sa/<sa>`. */
interface Peer {
  principal?: string;
  trustDomain?: string;
  namespace?: string;
  serviceAccount?: string;
}
function peerOf(a: L4Attributes): Peer {
  const p = a.sourcePrincipal;
  if (p === undefined) return {};
  const m = /^(.*)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
  return { principal: p, trustDomain: m?.[1], namespace: m?.[2] ?? a.sourceNamespace, serviceAccount: m?.[3] };
}

/** serviceAccounts entries are `ns/sa`, or `sa` in the policy's namespace. */
function matchesServiceAccount(entry: string, peer: Peer, policyNamespace: string): boolean {
  const [ns, sa] = entry.includes('/') ? (entry.split('/', 2) as [string, string]) : [policyNamespace, entry];
  return peer.namespace === ns && peer.serviceAccount === sa;
}

// ─── Sidecar / waypoint evaluation (Envoy RBAC) ─────────────────────────────────────────────────

/** Attribute keys a TCP filter chain cannot see ([I-AUTHZ] generators that fail for TCP). */
const isHttpOnlyKey = (key: string) => key.startsWith('request.');
/** Condition keys evaluated here; others (JWT claims, connection.sni, experimental.*) are absent. */
const MODELLED_KEYS = new Set([
  'source.ip',
  'remote.ip',
  'source.namespace',
  'source.principal',
  'source.trustDomain',
  'source.serviceAccount',
  'destination.ip',
  'destination.port',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
]);
const isModelledKey = (key: string) => MODELLED_KEYS.has(key) || /^request\.headers\[.+\]$/.test(key) || claimPath(key) !== undefined;

function ruleUsesHttp(r: AuthzRule): boolean {
  return (
    (r.from ?? []).some(({ source: s }) => !!(s.requestPrincipals?.length || s.notRequestPrincipals?.length)) ||
    (r.to ?? []).some(
      ({ operation: o }) =>
        !!(o.hosts?.length || o.notHosts?.length || o.methods?.length || o.notMethods?.length || o.paths?.length || o.notPaths?.length),
    ) ||
    (r.when ?? []).some((c) => isHttpOnlyKey(c.key))
  );
}

interface EvalCtx {
  a: L4Attributes;
  http?: HttpRequestAttributes;
  peer: Peer;
  policyNamespace: string;
}

/** An HTTP-only field: matched as usual on HTTP; on TCP (DENY/AUDIT only) it is dropped, i.e. wildcard. */
function httpField(ctx: EvalCtx, values: Strings, notValues: Strings, test: (h: HttpRequestAttributes, v: string) => boolean): boolean {
  const h = ctx.http;
  return h === undefined ? true : field(values, notValues, (v) => test(h, v));
}

function conditionValue(key: string, ctx: EvalCtx, v: string): boolean {
  const { a, peer } = ctx;
  switch (key) {
    case 'source.ip':
      return inBlock(v, a.sourceIp);
    case 'remote.ip':
      return inBlock(v, ctx.http?.remoteIp ?? a.sourceIp);
    case 'source.namespace':
      return matchesPattern(v, peer.namespace);
    case 'source.principal':
      return matchesPattern(v, peer.principal);
    case 'source.serviceAccount':
      return matchesServiceAccount(v, peer, ctx.policyNamespace);
    case 'source.trustDomain':
      // The trust domain of the peer's SPIFFE identity (istio/api security/v1beta1 authorization.proto, `source.trustDomain`).
      return matchesPattern(v, peer.trustDomain);
    case 'destination.ip':
      return inBlock(v, a.destinationIp);
    case 'destination.port':
      return v === String(a.port);
    case 'request.auth.principal':
      return matchesPattern(v, ctx.http?.requestPrincipal);
    // https://istio.io/latest/docs/reference/config/security/conditions/: aud, azp and any claim of the validated JWT.
    case 'request.auth.audiences':
      return (ctx.http?.jwt?.audiences ?? []).some((a) => matchesPattern(v, a));
    case 'request.auth.presenter':
      return claimValues(ctx.http?.jwt, ['azp'], ctx.http?.jwtSpaceDelimited).some((a) => matchesPattern(v, a));
  }
  const claim = claimPath(key);
  if (claim) return claimValues(ctx.http?.jwt, claim, ctx.http?.jwtSpaceDelimited).some((c) => matchesPattern(v, c));
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header && ctx.http) {
    const name = header[1]!.toLowerCase();
    const entry = Object.entries(ctx.http.headers).find(([k]) => k.toLowerCase() === name);
    return matchesHeader(v, entry?.[1]);
  }
  return false; // not modelled (JWT claims, connection.sni, experimental.*): the attribute is absent
}

function ruleMatches(rule: AuthzRule, ctx: EvalCtx, allow: boolean): boolean {
  // On a TCP chain an ALLOW rule that needs HTTP attributes is dropped: fewer allows, more denies.
  if (ctx.http === undefined && allow && ruleUsesHttp(rule)) return false;
  const { a, peer } = ctx;
  const fromOk =
    !rule.from?.length ||
    rule.from.some(
      ({ source: s }) =>
        field(s.principals, s.notPrincipals, (v) => matchesPattern(v, peer.principal)) &&
        field(s.namespaces, s.notNamespaces, (v) => matchesPattern(v, peer.namespace)) &&
        field(s.serviceAccounts, s.notServiceAccounts, (v) => matchesServiceAccount(v, peer, ctx.policyNamespace)) &&
        field(s.trustDomains, s.notTrustDomains, (v) => matchesPattern(v, peer.trustDomain)) &&
        field(s.ipBlocks, s.notIpBlocks, (v) => inBlock(v, a.sourceIp)) &&
        field(s.remoteIpBlocks, s.notRemoteIpBlocks, (v) => inBlock(v, ctx.http?.remoteIp ?? a.sourceIp)) &&
        httpField(ctx, s.requestPrincipals, s.notRequestPrincipals, (h, v) => matchesPattern(v, h.requestPrincipal)),
    );
  const toOk =
    !rule.to?.length ||
    rule.to.some(
      ({ operation: o }) =>
        field(o.ports, o.notPorts, (v) => v === String(a.port)) &&
        httpField(ctx, o.hosts, o.notHosts, (h, v) => matchesPattern(v, h.host, true)) &&
        httpField(ctx, o.methods, o.notMethods, (h, v) => matchesPattern(v, h.method)) &&
        httpField(ctx, o.paths, o.notPaths, (h, v) => matchesPath(v, h.path)),
    );
  const whenOk = (rule.when ?? []).every(
    (c) => (ctx.http === undefined && isHttpOnlyKey(c.key)) || field(c.values, c.notValues, (v) => conditionValue(c.key, ctx, v)),
  );
  return fromOk && toOk && whenOk;
}

/**
 * Whether a CUSTOM policy acts as a DENY: its provider is not a valid meshConfig extensionProvider,
 * so istiod logs "failed to process CUSTOM action, will generate deny configs" and installs an RBAC
 * DENY with the policy's own rules (istio/istio pilot/pkg/security/authz/builder/builder.go
 * getBadCustomDenyRules): requests the rules match get 403, the others are untouched.
 */
const isBadCustom = (p: AuthorizationPolicy, providers: ReadonlySet<string>) =>
  p.spec.action === 'CUSTOM' && !providers.has(p.spec.provider?.name ?? '');

function evaluate(
  applicable: readonly AuthorizationPolicy[],
  a: L4Attributes,
  http: HttpRequestAttributes | undefined,
  providers: ReadonlySet<string> = NO_PROVIDERS,
): AuthzDecision {
  const status = http ? { status: 403 as const } : {};
  const peer = peerOf(a);
  const action = (p: AuthorizationPolicy) => p.spec.action ?? 'ALLOW';
  const matches = (p: AuthorizationPolicy, r: AuthzRule) =>
    ruleMatches(r, { a, http, peer, policyNamespace: p.namespace }, action(p) === 'ALLOW');
  // CUSTOM with a valid provider runs first, in ext_authz (customProvider below); a CUSTOM whose
  // provider is missing is a DENY of its own rules (`-deny-due-to-bad-CUSTOM-action`).
  // DENY: Envoy keeps RBAC policies in a name-ordered map and reports the first that matched.
  let denied: { id: string; namespace: string; name: string; rule: number } | undefined;
  for (const p of applicable) {
    const bad = isBadCustom(p, providers);
    if (action(p) !== 'DENY' && !bad) continue;
    (p.spec.rules ?? []).forEach((r, i) => {
      const id = bad ? `${ruleId(p, i)}-deny-due-to-bad-CUSTOM-action` : ruleId(p, i);
      if ((denied === undefined || id < denied.id) && matches(p, r)) denied = { id, namespace: p.namespace, name: p.name, rule: i };
    });
  }
  const anyRule = (p: AuthorizationPolicy) => (p.spec.rules ?? []).some((r) => matches(p, r));
  const audited = applicable.some((p) => action(p) === 'AUDIT' && anyRule(p));
  if (denied) {
    const { namespace, name, rule } = denied;
    return {
      allowed: false,
      reason: `rbac_access_denied_matched_policy[${denied.id}]`,
      ...status,
      matched: { namespace, name, rule },
      audited,
    };
  }
  const allows = applicable.filter((p) => action(p) === 'ALLOW');
  if (allows.length === 0 || allows.some(anyRule)) return { allowed: true, audited };
  return { allowed: false, reason: NO_ALLOW_MATCH, ...status, audited };
}

/**
 * Istio's decision for an HTTP request at a sidecar or waypoint: DENY (any match) → ALLOW (if any
 * ALLOW policy applies, one must match) → allow. AUDIT never decides; CUSTOM runs before, in ext_authz.
 */
export function authorizeHttp(
  applicable: readonly AuthorizationPolicy[],
  request: HttpRequestAttributes,
  providers: ReadonlySet<string> = NO_PROVIDERS,
): AuthzDecision {
  return evaluate(applicable, request, request, providers);
}

const NO_PROVIDERS: ReadonlySet<string> = new Set();

/**
 * The ext_authz provider a request must be checked with: the provider of the first CUSTOM policy
 * (valid provider) whose rules match. Istio enables the ext_authz filter only for requests the
 * CUSTOM rules match (builder.go: filter_enabled_metadata set by shadow RBAC rules).
 */
export function customProvider(
  applicable: readonly AuthorizationPolicy[],
  request: HttpRequestAttributes,
  providers: ReadonlySet<string>,
): string | undefined {
  const peer = peerOf(request);
  for (const p of applicable) {
    if (p.spec.action !== 'CUSTOM' || isBadCustom(p, providers)) continue;
    if ((p.spec.rules ?? []).some((r) => ruleMatches(r, { a: request, http: request, peer, policyNamespace: p.namespace }, false)))
      return p.spec.provider?.name;
  }
  return undefined;
}

/**
 * The same at a sidecar's TCP (non-HTTP) filter chain: ALLOW rules that need HTTP attributes are
 * dropped; in DENY/AUDIT rules the HTTP-only constraints are ignored (a broader deny). A denial
 * closes the connection.
 */
export function authorizeTcp(applicable: readonly AuthorizationPolicy[], connection: L4Attributes): AuthzDecision {
  return evaluate(applicable, connection, undefined);
}

// ─── Ambient: the ztunnel (L4) projection ───────────────────────────────────────────────────────

/** One L4 match of ztunnel (fields ANDed, values ORed, not* negative). Patterns as in Istio. */
export interface L4Match {
  namespaces?: string[];
  notNamespaces?: string[];
  principals?: string[];
  notPrincipals?: string[];
  serviceAccounts?: { namespace: string; serviceAccount: string }[];
  notServiceAccounts?: { namespace: string; serviceAccount: string }[];
  sourceIps?: string[];
  notSourceIps?: string[];
  destinationIps?: string[];
  notDestinationIps?: string[];
  destinationPorts?: number[];
  notDestinationPorts?: number[];
}

/** A clause matches if any of its non-empty matches does (an empty clause matches everything). */
export type L4Clause = L4Match[];

export interface ZtunnelRule {
  /** Index of the rule in the original policy. */
  index: number;
  /** All clauses must match (from, to, each when). No clauses: matches everything. */
  clauses: L4Clause[];
}

export interface ZtunnelPolicy {
  name: string;
  namespace: string;
  selector?: { matchLabels?: Readonly<Record<string, string>> };
  action: 'ALLOW' | 'DENY';
  rules: ZtunnelRule[];
}

export interface AuthzWarning {
  /** `namespace/name` of the policy. */
  policy: string;
  message: string;
}

const ZTUNNEL_WHEN_KEYS = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
const nonEmpty = <T>(xs: T[]): T[] | undefined => (xs.length ? xs : undefined);
const toPorts = (xs: Strings) => nonEmpty((xs ?? []).map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n <= 65535));
const toIps = (xs: Strings) => nonEmpty((xs ?? []).filter((x) => parseCidr(x) !== undefined));
const toList = (xs: Strings) => (xs?.length ? [...xs] : undefined);
const toSas = (xs: Strings, ns: string) =>
  nonEmpty(
    (xs ?? []).map((v) => {
      const [n, sa] = v.includes('/') ? (v.split('/', 2) as [string, string]) : [ns, v];
      return { namespace: n, serviceAccount: sa };
    }),
  );
const compact = (m: L4Match): L4Match => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));

/** One policy rule → ztunnel clauses, plus the HTTP attributes it had to leave out. */
function projectRule(rule: AuthzRule, policyNamespace: string): { clauses: L4Clause[]; http: string[] } {
  const clauses: L4Clause[] = [];
  const http = new Set<string>();
  const note = (fields: Record<string, Strings>) => {
    for (const [k, v] of Object.entries(fields)) if (v?.length) http.add(k);
  };
  if (rule.to?.length) {
    clauses.push(
      rule.to.map(({ operation: o }) => {
        note({ hosts: o.hosts, notHosts: o.notHosts, methods: o.methods, notMethods: o.notMethods, paths: o.paths, notPaths: o.notPaths });
        return compact({ destinationPorts: toPorts(o.ports), notDestinationPorts: toPorts(o.notPorts) });
      }),
    );
  }
  if (rule.from?.length) {
    clauses.push(
      rule.from.map(({ source: s }) => {
        note({
          remoteIpBlocks: s.remoteIpBlocks,
          notRemoteIpBlocks: s.notRemoteIpBlocks,
          requestPrincipals: s.requestPrincipals,
          notRequestPrincipals: s.notRequestPrincipals,
          trustDomains: s.trustDomains,
          notTrustDomains: s.notTrustDomains,
        });
        return compact({
          sourceIps: toIps(s.ipBlocks),
          notSourceIps: toIps(s.notIpBlocks),
          namespaces: toList(s.namespaces),
          notNamespaces: toList(s.notNamespaces),
          serviceAccounts: toSas(s.serviceAccounts, policyNamespace),
          notServiceAccounts: toSas(s.notServiceAccounts, policyNamespace),
          principals: toList(s.principals),
          notPrincipals: toList(s.notPrincipals),
        });
      }),
    );
  }
  for (const c of rule.when ?? []) {
    if (!ZTUNNEL_WHEN_KEYS.has(c.key)) http.add(c.key);
    const pick = (key: string, xs: Strings) => (c.key === key ? xs : undefined);
    clauses.push([
      compact({
        namespaces: toList(pick('source.namespace', c.values)),
        notNamespaces: toList(pick('source.namespace', c.notValues)),
        principals: toList(pick('source.principal', c.values)),
        notPrincipals: toList(pick('source.principal', c.notValues)),
        sourceIps: toIps(pick('source.ip', c.values)),
        notSourceIps: toIps(pick('source.ip', c.notValues)),
        destinationIps: toIps(pick('destination.ip', c.values)),
        notDestinationIps: toIps(pick('destination.ip', c.notValues)),
        destinationPorts: toPorts(pick('destination.port', c.values)),
        notDestinationPorts: toPorts(pick('destination.port', c.notValues)),
      }),
    ]);
  }
  return { clauses, http: [...http] };
}

const isEmptyMatch = (m: L4Match) => Object.values(m).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));

/**
 * What ztunnel enforces (istiod's ambient conversion): targetRef policies are left to waypoints;
 * CUSTOM and AUDIT are unsupported; an ALLOW rule using any HTTP attribute is dropped entirely (so
 * an ALLOW policy may end up matching nothing and deny all); a DENY rule keeps only its L4 parts,
 * and a from/to/when clause left with no L4 content can never match, so that rule never fires.
 */
export function projectToZtunnel(policies: readonly AuthorizationPolicy[]): { policies: ZtunnelPolicy[]; warnings: AuthzWarning[] } {
  const out: ZtunnelPolicy[] = [];
  const warnings: AuthzWarning[] = [];
  for (const p of policies) {
    if (hasTargetRefs(p.spec)) continue;
    const id = `${p.namespace}/${p.name}`;
    const action = p.spec.action ?? 'ALLOW';
    if (action !== 'ALLOW' && action !== 'DENY') {
      warnings.push({
        policy: id,
        // istio/istio pilot/pkg/serviceregistry/ambient/authorization.go: "ztunnel does not support the %s action".
        // A selector policy never reaches a waypoint either (waypoints take targetRefs policies only).
        message:
          action === 'CUSTOM'
            ? `ztunnel does not support the CUSTOM action; AuthorizationPolicy ${id} is enforced nowhere in ambient mode (waypoints ignore selector policies): bind it to a waypoint with targetRefs (kind Gateway, or kind Service for a service using a waypoint) to run its ext_authz check there`
            : `ztunnel does not support the ${action} action; AuthorizationPolicy ${id} is ignored without a waypoint`,
      });
      continue;
    }
    const l7 = new Set<string>();
    const rules: ZtunnelRule[] = [];
    (p.spec.rules ?? []).forEach((r, index) => {
      const { clauses, http } = projectRule(r, p.namespace);
      http.forEach((k) => l7.add(k));
      if (action === 'DENY' || http.length === 0) rules.push({ index, clauses });
    });
    out.push({ name: p.name, namespace: p.namespace, ...(p.spec.selector ? { selector: p.spec.selector } : {}), action, rules });
    if (l7.size > 0) {
      const effect =
        action === 'ALLOW'
          ? 'Within an ALLOW policy, rules using HTTP attributes are omitted: more restrictive than requested.'
          : rules.some((r) => r.clauses.every((c) => c.length === 0 || c.some((m) => !isEmptyMatch(m))))
            ? 'The DENY rules are enforced without their HTTP parts: more restrictive than requested.'
            : 'Without its HTTP attributes this DENY policy has no enforceable rule at ztunnel and has no effect.';
      warnings.push({
        policy: id,
        message: `L7 policy bound to ztunnel: ztunnel does not support HTTP attributes (found: ${[...l7].sort().join(', ')}). Use a waypoint proxy to enforce HTTP rules. ${effect}`,
      });
    }
  }
  return { policies: out, warnings };
}

function l4MatchMatches(m: L4Match, a: L4Attributes, peer: Peer): boolean {
  const sa = (x: { namespace: string; serviceAccount: string }) =>
    peer.namespace === x.namespace && peer.serviceAccount === x.serviceAccount;
  const port = String(a.port);
  return (
    field(m.destinationIps, m.notDestinationIps, (v) => inBlock(v, a.destinationIp)) &&
    field(m.sourceIps, m.notSourceIps, (v) => inBlock(v, a.sourceIp)) &&
    field(m.destinationPorts?.map(String), m.notDestinationPorts?.map(String), (v) => v === port) &&
    (!m.serviceAccounts?.length || m.serviceAccounts.some(sa)) &&
    !m.notServiceAccounts?.some(sa) &&
    field(m.principals, m.notPrincipals, (v) => matchesPattern(v, peer.principal)) &&
    field(m.namespaces, m.notNamespaces, (v) => matchesPattern(v, peer.namespace))
  );
}

function ztunnelMatches(p: ZtunnelPolicy, a: L4Attributes, peer: Peer): ZtunnelRule | undefined {
  return p.rules.find((r) => r.clauses.every((c) => c.length === 0 || c.some((m) => !isEmptyMatch(m) && l4MatchMatches(m, a, peer))));
}

/** ztunnel's decision for a connection to a workload: DENY first, then ALLOW as for sidecars. A denial resets the connection. */
export function authorizeZtunnel(applicable: readonly ZtunnelPolicy[], connection: L4Attributes): AuthzDecision {
  const peer = peerOf(connection);
  for (const p of applicable) {
    if (p.action !== 'DENY') continue;
    const r = ztunnelMatches(p, connection, peer);
    if (r)
      return {
        allowed: false,
        reason: `rbac_access_denied_matched_policy[${ruleId(p, r.index)}]`,
        matched: { namespace: p.namespace, name: p.name, rule: r.index },
        audited: false,
      };
  }
  const allows = applicable.filter((p) => p.action === 'ALLOW');
  if (allows.length === 0 || allows.some((p) => ztunnelMatches(p, connection, peer))) return { allowed: true, audited: false };
  return { allowed: false, reason: NO_ALLOW_MATCH, audited: false };
}

// ─── Warnings ───────────────────────────────────────────────────────────────────────────────────

/**
 * What will not work as written: CUSTOM with an undeclared provider (a DENY), JWT attributes with
 * no RequestAuthentication (requests carry no request principal), and condition keys that are not
 * modelled (treated as absent).
 */
export function authorizationWarnings(
  policies: readonly AuthorizationPolicy[],
  providers: ReadonlySet<string> = NO_PROVIDERS,
  hasRequestAuthentication = false,
): AuthzWarning[] {
  const out: AuthzWarning[] = [];
  for (const p of policies) {
    const id = `${p.namespace}/${p.name}`;
    if (p.spec.action === 'CUSTOM' && !providers.has(p.spec.provider?.name ?? '')) {
      out.push({
        policy: id,
        message: `CUSTOM provider "${p.spec.provider?.name ?? ''}" is not in spec.mesh.extensionProviders: istiod generates a DENY of the requests its rules match (403), as Istio does for an unknown provider`,
      });
      continue;
    }
    const rules = p.spec.rules ?? [];
    const keys = [...new Set(rules.flatMap((r) => (r.when ?? []).map((c) => c.key)))];
    const jwt =
      rules.some((r) => r.from?.some(({ source: s }) => s.requestPrincipals?.length || s.notRequestPrincipals?.length)) ||
      keys.some((k) => k.startsWith('request.auth.'));
    if (jwt && !hasRequestAuthentication)
      out.push({
        policy: id,
        message:
          'JWT attributes (requestPrincipals, request.auth.*) need a RequestAuthentication, and there is none: requests carry no validated JWT, so they never match',
      });
    for (const k of keys.filter((k) => !isModelledKey(k))) {
      out.push({
        policy: id,
        message: `condition key ${k} is not modelled: the attribute is treated as absent (values never match, notValues always do)`,
      });
    }
  }
  return out;
}

export { parseCidr };
export type {
  AuthorizationPolicy,
  AuthorizationPolicySpec,
  AuthzAction,
  AuthzCondition,
  AuthzOperation,
  AuthzRule,
  AuthzSource,
  Cidr,
  PolicyTargetRef,
};
