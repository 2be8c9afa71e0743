/** The mesh-mode registry drives the modes users can name and the components results report. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/config/diagnostics.js';
import { MESH_COMPONENTS, MESH_MODES, MODE_NAMES, meshMode } from '../../src/modes/registry.js';
import { run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

describe('mesh-mode registry', () => {
  it('names each mode once and knows none, sidecar and ambient', () => {
    expect(new Set(MODE_NAMES).size).toBe(MODE_NAMES.length);
    expect(MODE_NAMES).toEqual(expect.arrayContaining(['none', 'sidecar', 'ambient']));
  });

  it('reports only the components each mode declares, besides the apps', () => {
    const scenario = scenarioFromFile('scenarios/three-tier.yaml');
    for (const mode of MESH_MODES) {
      const r = run(scenario, { mode: mode.name, durationUs: 5e6 });
      const declared = mode.components.map((c) => c.name);
      const reported = Object.keys(r.resources.by_component);
      // A declared kind with no instance in this run (ambient without waypoints) is left out.
      expect(
        reported.filter((c) => c !== 'app' && !declared.includes(c)),
        mode.name,
      ).toEqual([]);
      expect(reported).toContain('app');
      if (mode.name !== 'none') expect(reported.length, mode.name).toBeGreaterThan(1);
    }
  });

  it('lists every component once, with a colour', () => {
    const names = MESH_COMPONENTS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of MESH_COMPONENTS) expect(c.colour).toMatch(/^#[0-9a-f]{6}$/);
    expect(() => meshMode('nope')).toThrow(/unknown mesh mode/);
  });

  it('rejects an unknown spec.mesh.mode at its position, naming the valid ones', () => {
    const yaml = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: m}
spec:
  duration: 10s
  mesh: {mode: istio-sidecar}
  services: [{name: a}]
  workload: [{name: u, target: a, rate: 10}]
`;
    try {
      scenarioFromYaml(yaml, 'm.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      const d = (e as InputError).diagnostics[0];
      expect(d?.line).toBe(6);
      expect(d?.message).toContain(`unknown mode "istio-sidecar" (modes: ${MODE_NAMES.join(', ')})`);
    }
  });
});
