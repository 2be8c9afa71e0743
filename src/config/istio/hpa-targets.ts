/**
 * Binds each HorizontalPodAutoscaler to its scale target, a Deployment: one from the Kubernetes YAML
 * (by name), or the Deployment meshsim gives each version of a service, named `<service>-<version>`
 * (or just `<service>` when it has one version). Anything else is a positioned error, as the HPA
 * controller would fail with "the HPA controller was unable to get the target's current scale".
 */
import type { HpaTarget, ServiceModel } from '../model.js';
import { suggestion } from '../zod-diagnostics.js';
import { deploymentNames } from './deployment-names.js';
import type { IstioConfig, Problems } from './resources.js';

export function resolveHpas(config: IstioConfig, services: readonly ServiceModel[], problems: Problems): HpaTarget[] {
  const byName = deploymentNames(config, services);
  const out: HpaTarget[] = [];
  const claimed = new Map<string, string>();
  for (const h of config.hpas) {
    const ref = h.spec.target;
    const err = (path: (string | number)[], message: string) =>
      problems.errors.push(
        h.src.diagnosticAt(['spec', 'scaleTargetRef', ...path], 'error', `HorizontalPodAutoscaler ${h.name}: ${message}`),
      );
    if (ref.kind !== 'Deployment') {
      err(['kind'], `scaleTargetRef.kind: only Deployment targets are modelled, got ${ref.kind}`);
      continue;
    }
    const target = byName.get(`${h.namespace}/${ref.name}`);
    if (!target) {
      const names = [...byName.keys()].filter((k) => k.startsWith(`${h.namespace}/`)).map((k) => k.slice(h.namespace.length + 1));
      err(
        ['name'],
        `scaleTargetRef.name: unknown Deployment "${ref.name}" in namespace ${h.namespace}${suggestion(ref.name, names)}${names.length ? `; Deployments are: ${names.join(', ')}` : ''}`,
      );
      continue;
    }
    const key = `${target.service}/${target.version}`;
    const other = claimed.get(key);
    if (other !== undefined) {
      err(
        ['name'],
        `scaleTargetRef.name: Deployment "${ref.name}" is already scaled by HorizontalPodAutoscaler ${other} (AmbiguousSelector)`,
      );
      continue;
    }
    claimed.set(key, h.name);
    for (const m of h.spec.metrics)
      if (m.type === 'External')
        problems.warnings.push(
          h.src.diagnosticAt(
            ['spec', 'metrics'],
            'warning',
            `HorizontalPodAutoscaler ${h.name}: External metrics are not modelled; that metric never has a value`,
          ),
        );
    out.push({ model: h.spec, service: target.service, version: target.version });
  }
  return out;
}
