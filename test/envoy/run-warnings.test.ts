/**
 * Run-time warnings for the mode actually run (CONTRACT.md §5): ambient without a waypoint applies
 * no DestinationRule (istio.io docs/ambient/usage/l7-features: L7 features need a waypoint),
 * node CPU saturation, services and VirtualServices no traffic reaches, locality settings that
 * cannot take effect (istio/istio pilot/pkg/networking/core/loadbalancer/loadbalancer.go).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRunWarning, runWarnings } from '../../src/sim/warnings.js';
import { simulate } from '../../src/sim/simulate.js';
import { repoPath, scenarioFromYaml } from '../dataplane/run-scenario.js';

const yaml = (nodes: string, extraDr = '') => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: warn}
spec:
  duration: 10s
  mesh: {mode: sidecar}
  cluster:
    nodes: ${nodes}
  services:
    - {name: web, replicas: 2, serviceTime: 8ms, calls: [{service: api}]}
    - {name: api, replicas: 3, serviceTime: 5ms}
    - {name: unused, replicas: 1}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: api}
    spec:
      host: api
      trafficPolicy:
        outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}
        connectionPool: {http: {http1MaxPendingRequests: 10}}${extraDr}
  workload:
    - {name: users, target: web, rate: 100}
`;

const messages = (text: string, mode: 'sidecar' | 'ambient') =>
  runWarnings(simulate(scenarioFromYaml(text), { mode })).map(formatRunWarning);

describe('run-time warnings', () => {
  it('ambient without a waypoint: the DestinationRule’s outlierDetection and connectionPool are positioned warnings; not in sidecar mode', () => {
    const amb = messages(yaml('3'), 'ambient');
    expect(
      amb.some((m) =>
        /^inline\.yaml:\d+:\d+: warning: DestinationRule default\/api: outlierDetection has no effect in ambient mode/.test(m),
      ),
    ).toBe(true);
    expect(amb.some((m) => /connectionPool has no effect in ambient mode/.test(m))).toBe(true);
    expect(messages(yaml('3'), 'sidecar').some((m) => /ambient/.test(m))).toBe(false);
  });

  it('a saturated node: which node, from when, by how much', () => {
    const m = messages(yaml('[{name: small, cpu: "1"}]'), 'sidecar').find((x) => x.includes('node small'));
    expect(m).toMatch(
      /^meshsim: warning: node small: CPU saturated from t=\d+\.\d{3}s \(1 cores\): \d+% of its CPU work ran ×\d+\.\d\d slower on average/,
    );
    expect(messages(yaml('3'), 'sidecar').some((x) => x.includes('CPU saturated'))).toBe(false);
  });

  it('services no traffic reaches', () => {
    expect(messages(yaml('3'), 'sidecar')).toContain(
      'meshsim: warning: service unused received no traffic in mode sidecar: nothing calls it, or every call to it failed before reaching its pods',
    );
  });

  it('locality settings that cannot take effect: one zone, failover without outlierDetection', () => {
    const m = messages(
      yaml('3', '\n        loadBalancer: {localityLbSetting: {enabled: true, failover: [{from: us-east, to: us-west}]}}'),
      'sidecar',
    );
    expect(m.some((x) => /localityLbSetting cannot take effect: every node is in zone zone-a/.test(x))).toBe(true);
  });

  it('appear on `meshsim run` stderr and in results.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshsim-warn-'));
    const file = join(dir, 'warn.yaml');
    writeFileSync(file, yaml('[{name: small, cpu: "1"}]'));
    const p = spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'run', file, '--mode', 'ambient', '--out', join(dir, 'out')], {
      encoding: 'utf8',
    });
    expect(p.stderr).toMatch(/warn\.yaml:\d+:\d+: warning: DestinationRule default\/api: outlierDetection has no effect in ambient mode/);
    expect(p.stderr).toMatch(/meshsim: warning: node small: CPU saturated/);
    expect(p.stdout).toMatch(/cpuShare \.+ web 1, api 1, unused 1/);
  }, 60_000);
});
