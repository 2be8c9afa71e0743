/**
 * The Deployments a reference (an HPA's scaleTargetRef, a Flagger Canary's targetRef) can name:
 * one from the Kubernetes YAML (by name), or the Deployment meshsim gives each version of a
 * service, named `<service>-<version>` (or just `<service>` when it has one version).
 */
import type { ServiceModel } from '../model.js';
import { deploymentsFor } from './kubernetes.js';
import type { IstioConfig } from './resources.js';

/** `namespace/name` → the service key and version whose Deployment it is. */
export function deploymentNames(config: IstioConfig, services: readonly ServiceModel[]): Map<string, { service: string; version: string }> {
  const byName = new Map<string, { service: string; version: string }>();
  for (const s of services) {
    for (const v of s.versions) byName.set(`${s.namespace}/${s.name}-${v.name}`, { service: s.key, version: v.name });
    const only = s.versions[0];
    if (s.versions.length === 1 && only) byName.set(`${s.namespace}/${s.name}`, { service: s.key, version: only.name });
  }
  // Deployments from the YAML: the Service selecting them owns them; their version label picks the version.
  for (const ks of config.k8sServices) {
    const svc = services.find((s) => s.name === ks.name && s.namespace === ks.namespace);
    if (!svc) continue;
    for (const d of deploymentsFor(ks, config.deployments))
      byName.set(`${d.namespace}/${d.name}`, { service: svc.key, version: d.labels.version ?? 'v1' });
  }
  return byName;
}
