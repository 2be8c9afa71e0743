/** Checks shared by the kinds that act on a service's Deployment (scale, rollout). */
import type { FaultModel, Scenario } from '../config/model.js';
import type { FaultProblem } from './fault-kind.js';

/** Each version of a service is its own Deployment: with several, the target must name one; `pod` has no meaning. */
export function deploymentProblems(kind: string, fault: FaultModel, scenario: Scenario): FaultProblem[] {
  const t = fault.target;
  if (!t) return [];
  const svc = scenario.services.find((s) => s.key === t.service);
  const out: FaultProblem[] = [];
  if (t.pod !== 'all') out.push({ path: ['target', 'pod'], message: `target.pod: ${kind} acts on a Deployment, not on a pod` });
  if (svc && t.version === undefined && svc.versions.length > 1)
    out.push({
      path: ['target'],
      message: `target: service "${svc.name}" has ${svc.versions.length} versions (Deployments: ${svc.versions.map((v) => v.name).join(', ')}); name one with version`,
    });
  return out;
}
