/**
 * Services defined by Kubernetes manifests (Service + Deployment objects in the Istio YAML):
 * each Service becomes a scenario service whose versions are the Deployments it selects
 * (pod label `version`, default v1). A `services:` entry with the same name adds behaviour and
 * keeps its own replicas/versions if it gives them.
 */
import { serviceSchema, type ServiceDoc } from '../schema.js';
import { deploymentsFor, type K8sDeployment, type K8sService } from './kubernetes.js';
import type { IstioConfig } from './resources.js';

export interface ManifestVersion {
  name: string;
  replicas: number;
  labels: Record<string, string>;
}

export function mergeManifestServices(
  services: ServiceDoc[],
  config: IstioConfig,
  warn: (message: string, at?: K8sService) => void,
): { services: ServiceDoc[]; labels: Map<string, Map<string, Record<string, string>>> } {
  const out = [...services];
  /** Pod labels per service (name.namespace) per version, from the Deployments. */
  const labels = new Map<string, Map<string, Record<string, string>>>();
  const claimed = new Map<K8sDeployment, string>();
  // Broadest selectors first: `reviews` (app=reviews) owns its pods; per-version Services such as
  // `reviews-v1` (app=reviews, version=v1) select the same pods and are not duplicated: routes to
  // them (VirtualService destinations, HTTPRoute backendRefs) reach those pods (policy/mesh-policy.ts serviceAlias).
  const byBreadth = [...config.k8sServices].sort((a, b) => Object.keys(a.selector).length - Object.keys(b.selector).length);
  for (const ks of byBreadth) {
    const deps = deploymentsFor(ks, config.deployments);
    if (deps.some((d) => claimed.has(d))) continue;
    for (const d of deps) claimed.set(d, ks.name);
    const byVersion = new Map<string, ManifestVersion>();
    for (const d of deps) {
      const v = d.labels.version ?? 'v1';
      const cur = byVersion.get(v) ?? { name: v, replicas: 0, labels: d.labels };
      cur.replicas += d.replicas;
      byVersion.set(v, cur);
    }
    const versions = [...byVersion.values()];
    labels.set(`${ks.name}.${ks.namespace}`, new Map(versions.map((v) => [v.name, v.labels])));
    const existing = out.findIndex((s) => s.name === ks.name && s.namespace === ks.namespace);
    const serviceAccount = deps.find((d) => d.serviceAccount)?.serviceAccount;
    // Probes, grace period and strategy come from the first Deployment; a services: entry's own win.
    const lifecycle = withoutUndefined(deps[0]?.lifecycle ?? {});
    if (existing >= 0) {
      const s = out[existing]!;
      out[existing] = {
        ...s,
        ...Object.fromEntries(Object.entries(lifecycle).filter(([k]) => s[k as keyof ServiceDoc] === undefined)),
        versions:
          s.versions ??
          (s.replicas === undefined && versions.length ? versions.map((v) => ({ name: v.name, replicas: v.replicas })) : undefined),
        serviceAccount: s.serviceAccount ?? serviceAccount,
      };
      continue;
    }
    if (versions.length === 0) {
      warn(`Service ${ks.name}.${ks.namespace} selects no Deployment in the given YAML; it has no pods`, ks);
    }
    const parsed = serviceSchema.safeParse({
      name: ks.name,
      namespace: ks.namespace,
      port: ks.port,
      versions: versions.length ? versions.map((v) => ({ name: v.name, replicas: v.replicas })) : [{ name: 'v1', replicas: 0 }],
      ...(serviceAccount ? { serviceAccount } : {}),
    });
    if (parsed.success) out.push({ ...parsed.data, ...lifecycle });
    else warn(`Service ${ks.name}.${ks.namespace} cannot be modelled: ${parsed.error.issues[0]?.message ?? 'invalid'}`, ks);
  }
  return { services: out, labels };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
