/**
 * Istio's own API groups: every document in them is checked as `kubectl apply` would check it
 * against Istio's CRDs (crd-validate.ts), whether or not the simulator models the kind. Kinds of
 * APIs Istio removed are errors naming the release that removed them.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { YamlSource } from '../yaml-source.js';
import { formatPath } from '../yaml-source.js';
import { excerpt } from '../printable.js';
import { crdFor, crdKindsOf, ISTIO_GROUPS, validateAgainst } from './crd-validate.js';

/**
 * API groups Istio removed. Sources: Istio 1.6 release notes ("Removed the legacy
 * `authentication.istio.io/v1alpha1` Policy and `rbac.istio.io` RBAC resources",
 * https://istio.io/latest/news/releases/1.6.x/announcing-1.6/upgrade-notes/) and Istio 1.8
 * ("Mixer ... has been removed", https://istio.io/latest/news/releases/1.8.x/announcing-1.8/upgrade-notes/).
 */
const REMOVED: Record<string, string> = {
  'rbac.istio.io':
    'the rbac.istio.io API (ServiceRole, ServiceRoleBinding, ClusterRbacConfig, RbacConfig) was removed in Istio 1.6; use security.istio.io/v1 AuthorizationPolicy',
  'authentication.istio.io':
    'the authentication.istio.io API (Policy, MeshPolicy) was removed in Istio 1.6; use security.istio.io/v1 PeerAuthentication and RequestAuthentication',
  'config.istio.io':
    'the config.istio.io API (Mixer: rule, handler, instance, attributemanifest, adapter, template, HTTPAPISpec, QuotaSpec …) was removed with Mixer in Istio 1.8; use Telemetry, WasmPlugin or EnvoyFilter',
  'policy.istio.io': 'the policy.istio.io API (Mixer policy) was removed with Mixer in Istio 1.8',
};

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

export interface IstioDocument {
  raw: Record<string, unknown>;
  apiVersion: string;
  kind: string;
  name: string | undefined;
  src: YamlSource;
}

/** Positioned errors for an Istio document that Istio would reject; empty for other groups. */
export function checkIstioKind(doc: IstioDocument): { errors: Diagnostic[] } {
  const group = groupOf(doc.apiVersion);
  const label = `${doc.kind}${doc.name ? ` ${doc.name}` : ''}`;
  const removed = REMOVED[group];
  if (removed) return { errors: [doc.src.diagnosticAt(['apiVersion'], 'error', `${label}: ${removed}`)] };
  if (!ISTIO_GROUPS.includes(group)) return { errors: [] };
  const crd = crdFor(doc.apiVersion, doc.kind);
  if (!crd)
    return {
      errors: [
        doc.src.diagnosticAt(
          ['kind'],
          'error',
          `${label}: Istio has no kind ${excerpt(doc.kind)} in ${group} (its kinds: ${crdKindsOf(group).join(', ')})`,
        ),
      ],
    };
  if (!crd.schema)
    return {
      errors: [
        doc.src.diagnosticAt(
          ['apiVersion'],
          'error',
          `${label}: Istio serves ${doc.kind} as ${crd.versions.join(', ')}, not ${JSON.stringify(doc.apiVersion)}`,
        ),
      ],
    };
  const body = Object.fromEntries(Object.entries(doc.raw).filter(([k]) => !['apiVersion', 'kind', 'metadata'].includes(k)));
  const errors = validateAgainst(crd.schema, body).map((p) =>
    doc.src.diagnosticAt(p.path, 'error', `${label}: ${p.path.length ? `${formatPath(p.path)}: ` : ''}${p.message}`, p.key),
  );
  return { errors };
}
