/**
 * Binds each Flagger Canary to its target Deployment (targetRef), named as HPAs name theirs
 * (deployment-names.ts). Flagger only drives Deployments here; an unknown name, another kind or a
 * second Canary on the same Deployment is a positioned error (Flagger would log "Bad things will
 * happen! Found more than one canary with the same target": pkg/controller/scheduler.go).
 */
import type { CanaryTarget, ServiceModel } from '../model.js';
import { suggestion } from '../zod-diagnostics.js';
import { deploymentNames } from './deployment-names.js';
import type { IstioConfig, Problems } from './resources.js';

export function resolveCanaries(
  config: IstioConfig,
  applied: readonly (IstioConfig | undefined)[],
  services: readonly ServiceModel[],
  problems: Problems,
): CanaryTarget[] {
  const byName = deploymentNames(config, services);
  const out: CanaryTarget[] = [];
  const claimed = new Map<string, string>();
  for (const c of config.canaries) {
    const err = (path: (string | number)[], message: string) =>
      problems.errors.push(c.src.diagnosticAt(['spec', 'targetRef', ...path], 'error', `Canary ${c.name}: ${message}`));
    const kind = c.spec.targetKind;
    if (kind !== undefined && kind !== 'Deployment') {
      err(['kind'], `targetRef.kind: only Deployment targets are modelled, got ${kind}`);
      continue;
    }
    const target = byName.get(`${c.namespace}/${c.spec.target}`);
    if (!target) {
      const names = [...byName.keys()].filter((k) => k.startsWith(`${c.namespace}/`)).map((k) => k.slice(c.namespace.length + 1));
      err(
        ['name'],
        `targetRef.name: unknown Deployment "${c.spec.target}" in namespace ${c.namespace}${suggestion(c.spec.target, names)}${names.length ? `; Deployments are: ${names.join(', ')}` : ''}`,
      );
      continue;
    }
    const key = `${target.service}/${target.version}`;
    const other = claimed.get(key);
    if (other !== undefined) {
      err(['name'], `targetRef.name: Deployment "${c.spec.target}" is already the target of Canary ${other}`);
      continue;
    }
    claimed.set(key, c.name);
    out.push({ model: c.spec, service: target.service, version: target.version });
  }
  for (const a of applied)
    for (const c of a?.canaries ?? [])
      problems.warnings.push(
        c.src.diagnosticAt(
          ['kind'],
          'warning',
          `Canary ${c.name}: a Canary applied during the run is not modelled; declare it in spec.istio or spec.istioFiles`,
        ),
      );
  return out;
}
