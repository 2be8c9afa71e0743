/** The fault-kind registry: each kind parses its own `inject` fields, with positioned errors. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/config/diagnostics.js';
import { FAULT_KINDS } from '../../src/faults/registry.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';

const scenario = (inject: string) => `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: faults}
spec:
  duration: 10s
  services: [{name: a}]
  workload: [{name: u, target: a, rate: 10}]
  faults:
    - at: 1s
      until: 2s
      target: {service: a}
      inject: ${inject}
`;

function errorOf(yaml: string): string {
  try {
    scenarioFromYaml(yaml, 'f.yaml');
  } catch (e) {
    if (e instanceof InputError) return e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`).join('\n');
    throw e;
  }
  return 'no error';
}

describe('fault registry', () => {
  it('has one module per kind, each named by a distinct inject field', () => {
    const keys = FAULT_KINDS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(['errorRate', 'latency', 'crash', 'cpuThrottle', 'unreachable']));
  });

  it('parses a kind through its own schema, defaults included', () => {
    const s = scenarioFromYaml(scenario('{errorRate: 0.5}'));
    expect(s.faults[0]?.inject).toEqual({ kind: 'errorRate', params: { errorRate: 0.5, status: 503 } });
    expect(s.faults[0]?.label).toBe('errorRate 0.5 status 503 on a');
    expect(scenarioFromYaml(scenario('{latency: 250ms}')).faults[0]?.inject?.params).toEqual({ latency: 250_000 });
  });

  it('reports two kinds at once, an unknown field and a bad value at their positions', () => {
    expect(errorOf(scenario('{crash: true, latency: 1s}'))).toMatch(
      /^12:\d+: spec\.faults\[0\]\.inject: takes exactly one of errorRate \(with status\)/,
    );
    expect(errorOf(scenario('{crash: true, status: 503}'))).toMatch(/^12:\d+: .*status/);
    expect(errorOf(scenario('{cpuThrottle: 2}'))).toMatch(/^12:\d+: .*cpuThrottle/);
    expect(errorOf(scenario('{}'))).toMatch(/^12:\d+: .*exactly one of/);
  });
});
