/**
 * Shared by the data-plane tests: load a scenario through the real loader (a file, or a YAML string
 * via YamlSource), run it with `simulate()` and turn it into results.json with `buildResults()`.
 */
import { fileURLToPath } from 'node:url';
import { loadScenario, loadScenarioSource } from '../../src/analysis/load.js';
import type { MeshMode, Scenario } from '../../src/config/model.js';
import { YamlSource } from '../../src/config/yaml-source.js';
import { buildResults, type ResultsJson } from '../../src/report/results.js';
import { simulate, type RunOptions } from '../../src/sim/simulate.js';

export const MODES: readonly MeshMode[] = ['none', 'sidecar', 'ambient'];

/** Absolute path of a file under the repository root, e.g. `scenarios/mm1.yaml`. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

export function scenarioFromFile(relative: string): Scenario {
  return loadScenario(repoPath(relative)).scenario;
}

/** A scenario from YAML text; `file` only names it in diagnostics. */
export function scenarioFromYaml(text: string, file = 'inline.yaml'): Scenario {
  return loadScenarioSource(new YamlSource(file, text)).scenario;
}

export function run(scenario: Scenario, options: RunOptions = {}): ResultsJson {
  return buildResults(simulate(scenario, options));
}

/** The same scenario and seed once per mode, as `meshsim compare` does. */
export function compare(
  scenario: Scenario,
  modes: readonly MeshMode[] = MODES,
  options: Omit<RunOptions, 'mode'> = {},
): Record<string, ResultsJson> {
  const out: Record<string, ResultsJson> = {};
  for (const mode of modes) out[mode] = run(scenario, { ...options, mode });
  return out;
}

/** One proxy kind's footprint: per instance, CPU in cores and memory in MB (10^6 bytes) and MiB. */
export interface PerInstance {
  instances: number;
  cpuCores: number;
  memoryMB: number;
  memoryMiB: number;
}

export function perInstance(r: ResultsJson, component: string): PerInstance {
  const c = r.resources.by_component[component];
  if (!c) throw new Error(`no ${component} in results (components: ${Object.keys(r.resources.by_component).join(', ')})`);
  return {
    instances: c.instances,
    cpuCores: c.cpu_cores / c.instances,
    memoryMiB: c.memory_mib / c.instances,
    memoryMB: (c.memory_mib * 1.048576) / c.instances,
  };
}

/** End-user requests per second over the measured window (after warmup). */
export function measuredRate(r: ResultsJson): number {
  return r.requests.total / (r.simulated.duration_s - r.simulated.warmup_s);
}

/** The edge source→destination; fails the test when it is missing. */
export function edge(r: ResultsJson, source: string, destination: string): ResultsJson['edges'][number] {
  const e = r.edges.find((x) => x.source === source && x.destination === destination);
  if (!e) throw new Error(`no edge ${source} → ${destination} (edges: ${r.edges.map((x) => `${x.source}→${x.destination}`).join(', ')})`);
  return e;
}
