/**
 * Loading a scenario as the commands do: the config layer parses and resolves it, then the
 * istioctl-analyze pass (which needs the policy engines, so it lives above them) adds Istio's
 * validation errors and its warnings. Every problem is a positioned Diagnostic (InputError).
 */
import { InputError, type Diagnostic } from '../config/diagnostics.js';
import { parseScenario, parseScenarioSource, type LoadOptions, type Loaded } from '../config/load.js';
import type { Scenario } from '../config/model.js';
import type { PathSegment, YamlSource } from '../config/yaml-source.js';
import type { IstioConfig } from '../config/istio/resources.js';
import { faultKind, parseInjection } from '../faults/registry.js';
import { isModeName, MODE_NAMES } from '../modes/registry.js';
import { analyzeIstio } from './analyze.js';
import { analyzeGateways } from './gateways.js';
import { analyzeEgressGateway } from './egress-gateway.js';
import { meshServices } from '../config/egress-gateway.js';

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
  analyzeGateways(loaded.scenario, loaded.source, problems);
  analyzeEgressGateway(loaded.scenario, problems.warnings);
  if (problems.errors.length) throw new InputError(problems.errors);
  return loaded;
}

/** What the analysis reads of a scenario: its Istio config, config changes, services and callers. */
function analysisInputs(s: Scenario): Parameters<typeof analyzeIstio>[0] {
  const plaintextCallers = [
    ...s.workloads.filter((w) => !w.from.inMesh && !w.gateway).map((w) => ({ name: `workload ${w.name}`, target: w.target })),
    ...s.services.filter((svc) => !svc.inMesh).flatMap((svc) => svc.calls.map((c) => ({ name: `service ${svc.key}`, target: c.service }))),
  ];
  return {
    config: s.istio,
    changes: s.faults.map((f) => f.apply).filter((c): c is IstioConfig => c !== undefined),
    services: meshServices(s),
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
      const kind = faultKind(f.inject.kind);
      f.label = `${kind.describe(f.inject.params)}${f.label}`;
      const at = (path: PathSegment[], message: string) =>
        errors.push(source.diagnosticAt(['spec', 'faults', i, ...path], 'error', `spec.faults[${i}].${message}`));
      const wants = kind.target ?? 'pods';
      const has = f.node !== undefined ? 'node' : f.target ? 'service' : 'none';
      if (wants === 'none' && has !== 'none') at(['target'], `target: ${kind.key} takes no target`);
      else if (wants === 'node' && has !== 'node')
        at(has === 'none' ? [] : ['target'], `target: ${kind.key} needs a node target, {node: NAME}`);
      else if ((wants === 'pods' || wants === 'deployment') && has !== 'service')
        at(has === 'none' ? [] : ['target'], `target: ${kind.key} needs a target {service, version, pod}`);
      else for (const p of kind.check?.(f.inject.params, f, scenario) ?? []) at(p.path, p.message);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      errors.push(...e.diagnostics);
    }
  });
  checkExclusiveWindows(scenario, source, errors);
  if (errors.length) throw new InputError(errors);
}

/** spec.mesh.mode names a mode of the registry (src/modes). */
function checkMode({ scenario, source }: Loaded): void {
  const mode = scenario.mesh.mode;
  if (isModeName(mode)) return;
  const message = `spec.mesh.mode: unknown mode "${mode}" (modes: ${MODE_NAMES.join(', ')})`;
  throw new InputError([source.diagnosticAt(['spec', 'mesh', 'mode'], 'error', message)]);
}

/** Faults of an exclusive kind (e.g. controlPlane) may not overlap in time: [at, until) windows, open-ended without until. */
function checkExclusiveWindows(scenario: Scenario, source: YamlSource, errors: Diagnostic[]): void {
  const seen: { i: number; at: number; until: number }[] = [];
  scenario.faults.forEach((f, i) => {
    if (!f.inject || !faultKind(f.inject.kind).exclusive) return;
    const until = f.untilUs ?? Infinity;
    const clash = seen.find((o) => scenario.faults[o.i]?.inject?.kind === f.inject?.kind && f.atUs < o.until && o.at < until);
    if (clash)
      errors.push(
        source.diagnosticAt(
          ['spec', 'faults', i, 'at'],
          'error',
          `spec.faults[${i}].at: this ${f.inject.kind} fault overlaps spec.faults[${clash.i}] (its windows must not overlap)`,
        ),
      );
    seen.push({ i, at: f.atUs, until });
  });
}
