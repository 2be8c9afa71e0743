/**
 * A parsed Flagger Canary → its model, with a warning at each field Flagger honours but the
 * simulator does not model (so nobody believes a webhook or an alert ran).
 */
import type { YamlSource } from '../yaml-source.js';
import { canaryModel, UNMODELLED, type CanaryModel, type CanarySpecDoc } from './flagger-schema.js';
import type { Problems } from './resources.js';

export function readCanary(name: string, namespace: string, spec: CanarySpecDoc, src: YamlSource, problems: Problems): CanaryModel {
  const warn = (path: (string | number)[], key: string | undefined, message: string) =>
    problems.warnings.push(src.diagnosticAt(['spec', ...path], 'warning', `Canary ${name}: ${message}`, key));
  const analysisKey = spec.analysis ? 'analysis' : 'canaryAnalysis';
  for (const path of UNMODELLED) {
    const real = path[0] === 'analysis' ? [analysisKey, ...path.slice(1)] : [...path];
    let v: unknown = spec;
    for (const k of real) v = (v as Record<string, unknown> | undefined)?.[k];
    if (v === undefined) continue;
    // Flagger's Istio provider is the one modelled; naming it is fine.
    if (real.join('.') === 'provider' && v === 'istio') continue;
    warn(real.slice(0, -1), real[real.length - 1], `spec.${real.join('.')} is not modelled by the simulator; it is ignored`);
  }
  if (spec.canaryAnalysis && !spec.analysis)
    warn([], 'canaryAnalysis', 'spec.canaryAnalysis is deprecated in flagger.app/v1beta1; use spec.analysis (read the same way)');
  const analysis = spec.analysis ?? spec.canaryAnalysis;
  for (const [i, m] of (analysis?.metrics ?? []).entries())
    if (m.name !== 'request-success-rate' && m.name !== 'request-duration')
      warn(
        [analysisKey, 'metrics', i],
        'name',
        `metric "${m.name}" is not one of Flagger's built-in metrics (request-success-rate, request-duration); custom queries and templates are not modelled, it is ignored`,
      );
    else if (m.query !== undefined || m.templateRef !== undefined)
      warn([analysisKey, 'metrics', i], m.query !== undefined ? 'query' : 'templateRef', `metric "${m.name}": the built-in query is used`);
  if ((analysis?.match?.length ?? 0) > 0 && (analysis?.iterations ?? 0) > 0)
    warn([analysisKey], 'match', 'A/B testing (match with iterations) is not modelled; the iterations run as Blue/Green');
  return canaryModel(name, namespace, spec);
}
