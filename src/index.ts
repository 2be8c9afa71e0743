/**
 * meshsim as a library, for users who script what-ifs in TypeScript or JavaScript:
 *
 *   import { loadScenario, simulate, buildResults } from 'meshsim';
 *   const { scenario, warnings } = loadScenario('scenarios/three-tier.yaml');
 *   const results = buildResults(simulate(scenario, { mode: 'ambient', seed: 2 }));
 *   console.log(results.latency_ms.p99);
 *
 * loadScenario throws an InputError (with positioned `diagnostics`) on bad input; simulate is pure
 * (same scenario, seed and mode ⇒ the same results); buildResults gives the results.json object.
 */
export { loadScenario, loadScenarioSource, type Loaded } from './analysis/load.js';
export { YamlSource } from './config/yaml-source.js';
export { InputError, formatDiagnostic, type Diagnostic } from './config/diagnostics.js';
export type { Scenario, MeshMode } from './config/model.js';
export { scenarioJsonSchema } from './config/json-schema.js';
export { simulate, type RunOptions, type SimulationState } from './sim/simulate.js';
export { buildResults, MESHSIM_VERSION, type ResultsJson } from './report/results.js';
export { MESH_MODES, MODE_NAMES } from './modes/registry.js';
export { FAULT_KINDS } from './faults/registry.js';
