/**
 * Loading a scenario as the commands do: the config layer parses and resolves it, then the
 * istioctl-analyze pass (which needs the policy engines, so it lives above them) adds Istio's
 * validation errors and its warnings. Every problem is a positioned Diagnostic (InputError).
 */
import { InputError, type Diagnostic } from '../config/diagnostics.js';
import { parseScenario, parseScenarioSource, type LoadOptions, type Loaded } from '../config/load.js';
import type { Scenario } from '../config/model.js';
import type { YamlSource } from '../config/yaml-source.js';
import type { IstioConfig } from '../config/istio/resources.js';
import { faultKind, parseInjection } from '../faults/registry.js';
import { isModeName, MODE_NAMES } from '../modes/registry.js';
import { analyzeIstio } from './analyze.js';

export type { Loaded };

export function loadScenario(file: string, options: LoadOptions = {}): Loaded {
  return analyzed(parseScenario(file, options));
}

export function loadScenarioSource(src: YamlSource): Loaded {
  return analyzed(parseScenarioSource(src));
}

function analyzed(loaded: Loaded): Loaded {
  checkMode(loaded);
  parseInjections(loaded);
  const problems = { errors: [] as Diagnostic[], warnings: loaded.warnings };
  analyzeIstio(analysisInputs(loaded.scenario), problems);
  if (problems.errors.length) throw new InputError(problems.errors);
  return loaded;
}

/** What the analysis reads of a scenario: its Istio config, config changes, services and callers. */
function analysisInputs(s: Scenario): Parameters<typeof analyzeIstio>[0] {
  const plaintextCallers = [
    ...s.workloads.filter((w) => !w.from.inMesh).map((w) => ({ name: `workload ${w.name}`, target: w.target })),
    ...s.services.filter((svc) => !svc.inMesh).flatMap((svc) => svc.calls.map((c) => ({ name: `service ${svc.key}`, target: c.service }))),
  ];
  return {
    config: s.istio,
    changes: s.faults.map((f) => f.apply).filter((c): c is IstioConfig => c !== undefined),
    services: s.services,
    mode: s.mesh.mode,
    waypoints: s.mesh.waypoints,
    plaintextCallers,
    extensionProviders: s.mesh.extensionProviders.filter((p) => p.service !== undefined).map((p) => p.name),
  };
}

/** Each fault's `inject` block, parsed by the fault kind it names (src/faults), and its label. */
function parseInjections({ scenario, source }: Loaded): void {
  const errors: Diagnostic[] = [];
  scenario.faults.forEach((f, i) => {
    if (!f.injectDoc) return;
    try {
      f.inject = parseInjection(f.injectDoc, source, ['spec', 'faults', i, 'inject']);
      f.label = `${faultKind(f.inject.kind).describe(f.inject.params)}${f.label}`;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      errors.push(...e.diagnostics);
    }
  });
  if (errors.length) throw new InputError(errors);
}

/** spec.mesh.mode names a mode of the registry (src/modes). */
function checkMode({ scenario, source }: Loaded): void {
  const mode = scenario.mesh.mode;
  if (isModeName(mode)) return;
  const message = `spec.mesh.mode: unknown mode "${mode}" (modes: ${MODE_NAMES.join(', ')})`;
  throw new InputError([source.diagnosticAt(['spec', 'mesh', 'mode'], 'error', message)]);
}
