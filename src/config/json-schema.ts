/**
 * The scenario file as a JSON Schema (draft 2020-12), generated from the zod schema the loader
 * uses (zod 4's toJSONSchema, input side: what a user writes, before units are converted), so
 * editors complete and check fields (yaml-language-server reads the `$schema` comment at the top
 * of every shipped scenario). Checks the schema cannot express (cross-field rules, references,
 * Istio validation) still come from `meshsim validate`.
 */
import * as z from 'zod';
import { scenarioSchema } from './schema.js';

export const SCENARIO_SCHEMA_ID = 'https://meshsim.dev/schema/scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return {
    ...generated,
    $id: SCENARIO_SCHEMA_ID,
    title: 'meshsim scenario',
    description:
      'A meshsim scenario (apiVersion meshsim.dev/v1alpha1, kind Scenario). Durations are Istio-style strings (250us, 20ms, 1.5s, 2m); CPU and memory are Kubernetes quantities (500m, 256Mi).',
  };
}
