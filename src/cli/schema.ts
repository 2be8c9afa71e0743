/** `meshsim schema`: prints the scenario file's JSON Schema (also shipped as schema/scenario.schema.json). */
import { scenarioJsonSchema } from '../config/json-schema.js';
import { EXIT } from './exit.js';

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
