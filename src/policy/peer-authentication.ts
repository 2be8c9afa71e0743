/**
 * PeerAuthentication: which mTLS mode a server-side proxy enforces on a workload port. Behaviour
 * from istio/istio pilot/pkg/security/authn/policy_applier.go (ComposePeerAuthentication) and
 * pilot/pkg/model/authentication.go (policy lookup), API from istio/api security/v1beta1/
 * peer_authentication.proto.
 *
 * Scopes: workload (selector, in the workload's namespace) > namespace (no selector) > mesh (no
 * selector, root namespace). UNSET inherits from the next wider scope; a port-level UNSET inherits
 * the workload result. Several policies in one scope: the oldest wins, and creation order is the
 * order of the `policies` array. Selector policies in the root namespace are ignored by sidecars.
 */
import type { EffectiveMtlsMode, MtlsMode, PeerAuthenticationPolicy, PeerAuthenticationSpec } from '../config/istio/security-types.js';

export type { EffectiveMtlsMode, MtlsMode, PeerAuthenticationPolicy, PeerAuthenticationSpec };

export interface WorkloadIdentity {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

const hasSelector = (p: PeerAuthenticationPolicy): boolean => Object.keys(p.spec.selector?.matchLabels ?? {}).length > 0;

/** Every selector label is on the workload (an empty selector would match all). */
export function selectorMatches(
  matchLabels: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** The three policies that shape one workload's mode: the oldest applicable one of each scope. */
export function applicablePeerAuthentications(
  policies: readonly PeerAuthenticationPolicy[],
  workload: WorkloadIdentity,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): { mesh?: PeerAuthenticationPolicy; namespace?: PeerAuthenticationPolicy; workload?: PeerAuthenticationPolicy } {
  const out: { mesh?: PeerAuthenticationPolicy; namespace?: PeerAuthenticationPolicy; workload?: PeerAuthenticationPolicy } = {};
  for (const p of policies) {
    if (!hasSelector(p)) {
      if (p.namespace === rootNamespace) out.mesh ??= p;
      else if (p.namespace === workload.namespace) out.namespace ??= p;
    } else if (
      p.namespace !== rootNamespace &&
      p.namespace === workload.namespace &&
      selectorMatches(p.spec.selector?.matchLabels, workload.labels)
    ) {
      out.workload ??= p;
    }
  }
  return out;
}

const set = (mode: MtlsMode | undefined): mode is EffectiveMtlsMode => mode !== undefined && mode !== 'UNSET';

/**
 * The mode the workload's inbound proxy enforces on `port` (a workload port; omit it for the
 * workload-wide mode). PERMISSIVE when nothing applies.
 */
export function effectiveMtlsMode(
  policies: readonly PeerAuthenticationPolicy[],
  workload: WorkloadIdentity,
  port?: number,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): EffectiveMtlsMode {
  const scopes = applicablePeerAuthentications(policies, workload, rootNamespace);
  let mode: EffectiveMtlsMode = 'PERMISSIVE';
  for (const p of [scopes.mesh, scopes.namespace, scopes.workload]) {
    const m = p?.spec.mtls?.mode;
    if (set(m)) mode = m;
  }
  if (port !== undefined) {
    const portMode = scopes.workload?.spec.portLevelMtls?.[String(port)]?.mode;
    if (set(portMode)) mode = portMode;
  }
  return mode;
}

/** A plaintext client (no sidecar, or DestinationRule tls DISABLE) is accepted. */
export function acceptsPlaintext(mode: EffectiveMtlsMode): boolean {
  return mode !== 'STRICT';
}

/** An Istio mTLS client is accepted (a DISABLE port has no TLS filter chain). */
export function acceptsMtls(mode: EffectiveMtlsMode): boolean {
  return mode !== 'DISABLE';
}

/**
 * Auto mTLS (on by default): a client sidecar sends Istio mTLS to a proxied endpoint unless the
 * server's mode is known to be DISABLE. [I-CTLS], semantics §6.
 */
export function autoMtlsUsesTls(serverMode: EffectiveMtlsMode, serverHasProxy: boolean): boolean {
  return serverHasProxy && serverMode !== 'DISABLE';
}

/** ztunnel enforces STRICT (as a synthetic DENY) and does not support DISABLE: treated as PERMISSIVE. */
export function ztunnelMtlsMode(mode: EffectiveMtlsMode): EffectiveMtlsMode {
  return mode === 'DISABLE' ? 'PERMISSIVE' : mode;
}

export interface PeerAuthenticationWarning {
  /** `namespace/name` of the policy concerned. */
  policy: string;
  message: string;
}

/**
 * Policies Istio ignores: a second namespace- or mesh-wide policy in one namespace (the oldest
 * wins), and selector policies in the root namespace (sidecars never apply them).
 */
export function peerAuthenticationWarnings(
  policies: readonly PeerAuthenticationPolicy[],
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): PeerAuthenticationWarning[] {
  const out: PeerAuthenticationWarning[] = [];
  const wide = new Map<string, string>();
  for (const p of policies) {
    const id = `${p.namespace}/${p.name}`;
    if (hasSelector(p)) {
      if (p.namespace === rootNamespace)
        out.push({
          policy: id,
          message: `PeerAuthentication ${id} has a selector in the root namespace ${rootNamespace}; sidecars ignore it`,
        });
      continue;
    }
    const first = wide.get(p.namespace);
    if (first !== undefined) {
      const scope = p.namespace === rootNamespace ? 'mesh' : 'namespace';
      out.push({
        policy: id,
        message: `${scope}-level PeerAuthentication ${first} already exists in ${p.namespace}; ${id} is ignored (the oldest wins)`,
      });
    } else {
      wide.set(p.namespace, id);
    }
  }
  return out;
}
