/**
 * PeerAuthentication and AuthorizationPolicy (security.istio.io v1 and v1beta1: same schema) with
 * Istio's YAML field names (istio/api security/v1beta1/{peer_authentication,authorization_policy}
 * .proto, type/v1beta1/selector.proto) and Istio's validation (istio/istio pkg/config/validation
 * ValidateAuthorizationPolicy / ValidatePeerAuthentication, pkg/config/security ValidateAttribute).
 * Messages paraphrase Istio's so users recognise them. The outputs are the policy engines' types.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import {
  parseCidr,
  type AuthorizationPolicy,
  type AuthorizationPolicySpec,
  type PeerAuthenticationPolicy,
  type PeerAuthenticationSpec,
} from './security-types.js';
import { parseIstio, type IstioParseResult, type IstioWarning } from './outlier-schema.js';

const SECURITY_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const;

// ─── Shared pieces ──────────────────────────────────────────────────────────────────────────────

const hasLabels = (s: { matchLabels?: Record<string, string> } | undefined) => Object.keys(s?.matchLabels ?? {}).length > 0;

// ─── AuthorizationPolicy's checks ───────────────────────────────────────────────────────────────

/** A list of non-empty strings ("empty value not allowed, found in X"). */
const values = (field: string) =>
  z.array(z.string({ error: `${field} values must be strings` }).min(1, `empty value not allowed, found in ${field}`));
const opt = (field: string) => values(field).optional();

function checkIps(list: readonly string[] | undefined, path: string, ctx: z.RefinementCtx): void {
  list?.forEach((v, i) => {
    if (!parseCidr(v))
      ctx.addIssue({ code: 'custom', path: [path, i], message: v.includes('/') ? `bad CIDR range (${v})` : `bad IP address (${v})` });
  });
}

function checkPorts(list: readonly string[] | undefined, path: (string | number)[], ctx: z.RefinementCtx): void {
  list?.forEach((v, i) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) ctx.addIssue({ code: 'custom', path: [...path, i], message: `bad port (${v})` });
  });
}

/** `sa` or `ns/sa`, no wildcard, at most 16 (Istio CheckServiceAccount). */
function checkServiceAccounts(list: readonly string[] | undefined, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (!list) return;
  if (list.length > 16) ctx.addIssue({ code: 'custom', path, message: 'may not have more than 16 values' });
  list.forEach((v, i) => {
    const parts = v.split('/');
    const msg = v.includes('*')
      ? `wildcard not allowed, found in ${String(path.at(-1))}`
      : parts.length > 2 || parts.some((p) => p === '')
        ? `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(v)}`
        : v.length > 320
          ? 'value cannot exceed 320 characters'
          : undefined;
    if (msg) ctx.addIssue({ code: 'custom', path: [...path, i], message: msg });
  });
}

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
] as const;

/**
 * A rule's `from[].source` or `to[].operation`: each field an optional list of non-empty strings,
 * with Istio's messages for a missing block and for one that is not a mapping.
 */
const listsOf = <F extends string>(fields: readonly F[], side: 'from' | 'to', block: 'source' | 'operation') =>
  z.strictObject(Object.fromEntries(fields.map((f) => [f, opt(f)])) as Record<F, ReturnType<typeof opt>>, {
    error: (i) => (i.input === undefined ? `\`${side}.${block}\` must not be nil` : `expected a mapping of ${block} fields`),
  });

const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

/** Istio ValidateAttribute, key part: the condition keys Istio knows. */
function keyProblem(key: string): string | undefined {
  const mapKey = () => (/^[^[]+\[.+\]$/.test(key) ? undefined : `bad key (${key}): should have format a[b]`);
  if (key.startsWith('request.headers') || key.startsWith('request.experimental.inline.headers')) return mapKey();
  if (key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) return mapKey();
  if (key === 'destination.namespace') return `attribute ${key} is replaced by the metadata.namespace`;
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  if (key === 'destination.name' || key === 'destination.user') return `deprecated attribute ${key}: only supported in v1alpha1`;
  const known = [
    'source.ip',
    'remote.ip',
    'source.namespace',
    'source.serviceAccount',
    'source.principal',
    // Accepted by the current istio/api (tests/testdata/authz-valid.yaml).
    'source.trustDomain',
    'request.auth.principal',
    'request.auth.audiences',
    'request.auth.presenter',
    'destination.ip',
    'destination.port',
    'connection.sni',
  ];
  return known.includes(key) ? undefined : `unknown attribute: ${key}`;
}

/** Istio ValidateAttribute, value part: IPs, ports and service accounts must be well-formed. */
function checkConditionValues(key: string, list: readonly string[] | undefined, path: string, ctx: z.RefinementCtx): void {
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') checkIps(list, path, ctx);
  if (key === 'destination.port') checkPorts(list, [path], ctx);
  if (key === 'source.serviceAccount') checkServiceAccounts(list, [path], ctx);
}

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no
 * PeerAuthentication or AuthorizationPolicy. */
const schemas = lazySchemas(() => {
  /** WorkloadSelector with its CEL rules (no empty keys, no wildcards). */
  const workloadSelector = z
    .strictObject({
      matchLabels: z.record(z.string(), z.string({ error: 'label values must be strings' })).optional(),
    })
    .superRefine((s, ctx) => {
      for (const [k, v] of Object.entries(s.matchLabels ?? {})) {
        if (k === '') ctx.addIssue({ code: 'custom', path: ['matchLabels'], message: 'label key must not be empty' });
        if (k.includes('*')) ctx.addIssue({ code: 'custom', path: ['matchLabels', k], message: 'wildcard not allowed in label key match' });
        if (v.includes('*'))
          ctx.addIssue({ code: 'custom', path: ['matchLabels', k], message: 'wildcard not allowed in label value match' });
      }
    });

  const metadata = z.looseObject({
    name: z.string({ error: 'metadata.name is required' }).min(1, 'metadata.name must not be empty'),
    namespace: z.string().min(1, 'metadata.namespace must not be empty').optional(),
  });

  const resource = <K extends string, S extends z.ZodType>(kind: K, spec: S) =>
    z.strictObject({
      apiVersion: z.enum(SECURITY_VERSIONS, { error: `${kind} apiVersion must be security.istio.io/v1 or security.istio.io/v1beta1` }),
      kind: z.literal(kind, { error: `expected kind ${kind}` }),
      metadata,
      spec: spec.optional(),
      status: z.unknown().optional(),
    });

  // ─── PeerAuthentication ─────────────────────────────────────────────────────────────────────────

  const mtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'], {
    error: 'unknown mTLS mode: use UNSET, DISABLE, PERMISSIVE or STRICT',
  });
  const mutualTls = z.strictObject({ mode: mtlsMode.optional() });

  const peerAuthenticationSpec = z
    .strictObject({
      selector: workloadSelector.optional(),
      mtls: mutualTls.optional(),
      /** Keyed by workload port; YAML number keys arrive as strings. */
      portLevelMtls: z.record(z.string(), mutualTls).optional(),
      /** Per-port server TLS settings (newer API); accepted, not modelled. */
      portLevelTls: z.record(z.string(), z.unknown()).optional(),
    })
    .superRefine((pa, ctx) => {
      if (pa.portLevelMtls === undefined) return;
      if (!hasLabels(pa.selector)) ctx.addIssue({ code: 'custom', path: ['portLevelMtls'], message: 'portLevelMtls requires selector' });
      if (Object.keys(pa.portLevelMtls).length === 0)
        ctx.addIssue({ code: 'custom', path: ['portLevelMtls'], message: 'port level mTLS, if defined, must have at least one element' });
      for (const port of Object.keys(pa.portLevelMtls)) {
        if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
          ctx.addIssue({
            code: 'custom',
            path: ['portLevelMtls', port],
            message: `port must be between 1-65535 (got ${JSON.stringify(port)})`,
          });
        }
      }
    })
    .transform((pa) =>
      pa.portLevelMtls === undefined
        ? pa
        : {
            ...pa,
            portLevelMtls: Object.fromEntries(Object.entries(pa.portLevelMtls).map(([k, v]) => [String(Number(k)), v])),
          },
    ) satisfies z.ZodType<PeerAuthenticationSpec>;

  const peerAuthenticationResource = resource('PeerAuthentication', peerAuthenticationSpec);

  // ─── AuthorizationPolicy ──────────────────────────────────────────────────────────────────────

  const source = listsOf(SOURCE_FIELDS, 'from', 'source').superRefine((s, ctx) => {
    if (SOURCE_FIELDS.every((f) => !s[f]?.length)) ctx.addIssue({ code: 'custom', message: '`from.source` must not be empty' });
    if (
      (s.principals?.length || s.notPrincipals?.length || s.namespaces?.length || s.notNamespaces?.length) &&
      (s.serviceAccounts?.length || s.notServiceAccounts?.length)
    ) {
      ctx.addIssue({ code: 'custom', path: ['serviceAccounts'], message: 'cannot set serviceAccounts with namespaces or principals' });
    }
    for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const) checkIps(s[f], f, ctx);
    checkServiceAccounts(s.serviceAccounts, ['serviceAccounts'], ctx);
    checkServiceAccounts(s.notServiceAccounts, ['notServiceAccounts'], ctx);
  });

  const operation = listsOf(OPERATION_FIELDS, 'to', 'operation').superRefine((o, ctx) => {
    if (OPERATION_FIELDS.every((f) => !o[f]?.length)) ctx.addIssue({ code: 'custom', message: '`to.operation` must not be empty' });
    checkPorts(o.ports, ['ports'], ctx);
    checkPorts(o.notPorts, ['notPorts'], ctx);
  });

  const condition = z
    .strictObject({
      key: z.string({ error: '`key` is required' }).min(1, '`key` must not be empty'),
      values: opt('values'),
      notValues: opt('notValues'),
    })
    .superRefine((c, ctx) => {
      if (!c.values?.length && !c.notValues?.length) {
        ctx.addIssue({ code: 'custom', message: `at least one of \`values\` or \`notValues\` must be set for key ${c.key}` });
        return;
      }
      const problem = keyProblem(c.key);
      if (problem) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: problem });
        return;
      }
      checkConditionValues(c.key, c.values, 'values', ctx);
      checkConditionValues(c.key, c.notValues, 'notValues', ctx);
    });

  const rule = z.strictObject({
    from: z.array(z.strictObject({ source })).min(1, '`from` must not be empty').optional(),
    to: z.array(z.strictObject({ operation })).min(1, '`to` must not be empty').optional(),
    when: z.array(condition).optional(),
  });

  const targetRef = z.strictObject({
    group: z.string().optional(),
    kind: z.string({ error: 'targetRef.kind is required' }).min(1),
    name: z.string({ error: 'targetRef.name is required' }).min(1),
    namespace: z.string().optional(),
  });

  const action = z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'], { error: 'unknown action: use ALLOW, DENY, AUDIT or CUSTOM' });

  const authorizationPolicySpec = z
    .strictObject({
      selector: workloadSelector.optional(),
      targetRef: targetRef.optional(),
      targetRefs: z.array(targetRef).optional(),
      action: action.optional(),
      provider: z.strictObject({ name: z.string().optional() }).optional(),
      rules: z.array(rule).optional(),
    })
    .superRefine((ap, ctx) => {
      const add = (message: string, path: (string | number)[] = []) => ctx.addIssue({ code: 'custom', message, path });
      if (ap.selector && (ap.targetRef || ap.targetRefs?.length))
        add('only one of targetRefs or workloadSelector can be set', ['selector']);
      if (ap.targetRef && ap.targetRefs?.length) add('only one of targetRef or targetRefs can be set', ['targetRef']);
      const act = ap.action ?? 'ALLOW';
      if (act === 'DENY' && ap.rules === undefined)
        add(
          'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
          ['action'],
        );
      if (act === 'CUSTOM') {
        if (ap.rules === undefined)
          add(
            'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
            ['action'],
          );
        else if (!ap.provider?.name) add('`provider.name` must not be empty', ['provider']);
        ap.rules?.forEach((r, i) => {
          r.from?.forEach(({ source: s }, j) => {
            for (const f of [
              'namespaces',
              'notNamespaces',
              'serviceAccounts',
              'notServiceAccounts',
              'principals',
              'notPrincipals',
              'requestPrincipals',
              'notRequestPrincipals',
            ] as const) {
              if (s[f]?.length)
                add(`From.${f[0]?.toUpperCase()}${f.slice(1)} is currently not supported with CUSTOM action`, [
                  'rules',
                  i,
                  'from',
                  j,
                  'source',
                  f,
                ]);
            }
          });
          r.when?.forEach((c, j) => {
            if (['source.namespace', 'source.serviceAccount', 'source.principal'].includes(c.key) || c.key.startsWith('request.auth.')) {
              add(`${c.key} is currently not supported with CUSTOM action`, ['rules', i, 'when', j, 'key']);
            }
          });
        });
      } else if (ap.provider) {
        add(`\`provider\` must not be with non CUSTOM action, found ${act}`, ['provider']);
      }
    }) satisfies z.ZodType<AuthorizationPolicySpec>;

  const authorizationPolicyResource = resource('AuthorizationPolicy', authorizationPolicySpec);

  return { peerAuthenticationSpec, peerAuthenticationResource, authorizationPolicySpec, authorizationPolicyResource };
});
type Schemas = ReturnType<typeof schemas>;

export const peerAuthenticationSpec = z.lazy(() => schemas().peerAuthenticationSpec);
export type PeerAuthenticationSpecParsed = z.output<Schemas['peerAuthenticationSpec']>;
export const peerAuthenticationResource = z.lazy(() => schemas().peerAuthenticationResource);

export function peerAuthenticationWarnings(spec: PeerAuthenticationSpecParsed): IstioWarning[] {
  return spec.portLevelTls ? [{ path: ['portLevelTls'], message: 'portLevelTls is not modelled by the simulator; it is ignored' }] : [];
}

export const authorizationPolicySpec = z.lazy(() => schemas().authorizationPolicySpec);
export type AuthorizationPolicySpecParsed = z.output<Schemas['authorizationPolicySpec']>;
export const authorizationPolicyResource = z.lazy(() => schemas().authorizationPolicyResource);

/**
 * Istio's validation warning for DENY rules that only use HTTP attributes: on TCP ports those
 * constraints are dropped and the rule denies all traffic under its scope.
 */
export function authorizationPolicyWarnings(spec: AuthorizationPolicySpecParsed): IstioWarning[] {
  if ((spec.action ?? 'ALLOW') !== 'DENY') return [];
  const out: IstioWarning[] = [];
  spec.rules?.forEach((r, i) => {
    const tcpFrom =
      r.from?.some(({ source: s }) =>
        (
          [
            'principals',
            'notPrincipals',
            'ipBlocks',
            'notIpBlocks',
            'namespaces',
            'notNamespaces',
            'remoteIpBlocks',
            'notRemoteIpBlocks',
            'serviceAccounts',
            'notServiceAccounts',
          ] as const
        ).some((f) => s[f] !== undefined),
      ) ?? false;
    const tcpTo = r.to?.some(({ operation: o }) => o.ports !== undefined || o.notPorts !== undefined) ?? false;
    if ((r.from !== undefined && r.to === undefined && !tcpFrom) || (r.to !== undefined && !tcpTo)) {
      out.push({
        path: ['rules', i],
        message:
          'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
      });
    }
  });
  return out;
}

// ─── Parse helpers (whole resources) ────────────────────────────────────────────────────────────

const named = <S>(doc: { metadata: { name: string; namespace?: string }; spec?: S }, fallback: S, defaultNamespace: string) => ({
  name: doc.metadata.name,
  namespace: doc.metadata.namespace ?? defaultNamespace,
  spec: doc.spec ?? fallback,
});

/** A whole PeerAuthentication document (apiVersion, kind, metadata, spec) → the engine's policy. */
export function parsePeerAuthentication(
  doc: unknown,
  defaultNamespace = 'default',
): IstioParseResult<PeerAuthenticationPolicy & { spec: PeerAuthenticationSpecParsed }> {
  const r = parseIstio(peerAuthenticationResource, doc, (d) =>
    peerAuthenticationWarnings(d.spec ?? {}).map((w) => ({ ...w, path: ['spec', ...w.path] })),
  );
  return r.success ? { ...r, data: named(r.data, {}, defaultNamespace) } : r;
}

/** A whole AuthorizationPolicy document → the engine's policy (no spec = ALLOW nothing). */
export function parseAuthorizationPolicy(
  doc: unknown,
  defaultNamespace = 'default',
): IstioParseResult<AuthorizationPolicy & { spec: AuthorizationPolicySpecParsed }> {
  const r = parseIstio(authorizationPolicyResource, doc, (d) =>
    authorizationPolicyWarnings(d.spec ?? {}).map((w) => ({ ...w, path: ['spec', ...w.path] })),
  );
  return r.success ? { ...r, data: named(r.data, {}, defaultNamespace) } : r;
}
