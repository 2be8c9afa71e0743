/**
 * The Kubernetes fault kinds (kill, nodeFailure, scale, rollout, controlPlane): their targets and
 * positioned input errors, and what each does in a run (sources in src/faults/*.ts).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/config/diagnostics.js';
import { simulate } from '../../src/sim/simulate.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';

const scenario = (faults: string, services = '[{name: a, replicas: 3}]') => `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: lifecycle}
spec:
  duration: 30s
  mesh: {mode: sidecar}
  cluster: {nodes: 3}
  services: ${services}
  workload: [{name: u, target: a, rate: 50}]
  faults:
${faults}
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

describe('bad input', () => {
  it('a fault on an unknown node', () => {
    expect(errorOf(scenario('    - {at: 1s, target: {node: node-9}, inject: {nodeFailure: true}}'))).toBe(
      '11:31: spec.faults[0].target.node: unknown node "node-9" (nodes: node-0, node-1, node-2)',
    );
  });

  it('a fault on an unknown service', () => {
    expect(errorOf(scenario('    - {at: 1s, target: {service: b}, inject: {kill: true}}'))).toMatch(
      /^11:\d+: spec\.faults\[0\]\.target\.service: /,
    );
  });

  it('a rollout to an unknown version', () => {
    expect(errorOf(scenario('    - {at: 1s, target: {service: a}, inject: {rollout: {version: v9}}}'))).toMatch(
      /^11:\d+: spec\.faults\[0\]\.inject\.rollout\.version: service "a" has no version "v9" \(versions: v1\)/,
    );
  });

  it('overlapping controlPlane windows', () => {
    const faults = ['    - {at: 5s, until: 15s, inject: {controlPlane: down}}', '    - {at: 10s, inject: {controlPlane: down}}'].join('\n');
    expect(errorOf(scenario(faults))).toMatch(/^12:\d+: spec\.faults\[1\]\.at: this controlPlane fault overlaps spec\.faults\[0\]/);
    // Back to back is fine.
    const ok = [
      '    - {at: 5s, until: 10s, inject: {controlPlane: down}}',
      '    - {at: 10s, until: 12s, inject: {controlPlane: down}}',
    ].join('\n');
    expect(errorOf(scenario(ok))).toBe('no error');
  });

  it('the wrong kind of target', () => {
    expect(errorOf(scenario('    - {at: 1s, target: {service: a}, inject: {nodeFailure: true}}'))).toMatch(/needs a node target/);
    expect(errorOf(scenario('    - {at: 1s, target: {service: a}, inject: {controlPlane: down}}'))).toMatch(/controlPlane takes no target/);
    expect(errorOf(scenario('    - {at: 1s, inject: {kill: true}}'))).toMatch(/kill needs a target/);
    expect(errorOf(scenario('    - {at: 1s, target: {service: a, pod: 0}, inject: {scale: {replicas: 2}}}'))).toMatch(
      /target\.pod: scale acts on a Deployment/,
    );
  });

  it('a scale of a service with several versions names one', () => {
    const services = '[{name: a, versions: [{name: v1, replicas: 1}, {name: v2, replicas: 1}]}]';
    expect(errorOf(scenario('    - {at: 1s, target: {service: a}, inject: {scale: {replicas: 2}}}', services))).toMatch(
      /has 2 versions .*name one with version/,
    );
  });
});

describe('in a run', () => {
  const events = (faults: string, services?: string) => simulate(scenarioFromYaml(scenario(faults, services))).timeline.events;

  it('kill: the pod is deleted gracefully and replaced; the replacement joins the endpoints', () => {
    const ev = events('    - {at: 5s, target: {service: a, pod: 1}, inject: {kill: {gracePeriodSeconds: 10}}}');
    expect(ev.find((e) => e.type === 'pod_deleted')).toMatchObject({ t_s: 5, pod: 'a-v1-1', grace_s: 10 });
    expect(ev.find((e) => e.type === 'pod_created')).toMatchObject({ t_s: 5, pod: 'a-v1-3' });
    expect(ev.find((e) => e.type === 'endpoint_added')).toMatchObject({ t_s: 6.1, pod: 'a-v1-3' });
  });

  it('a later fault on pod 0 means the first pod alive then', () => {
    const ev = events(
      [
        '    - {at: 5s, target: {service: a, pod: 0}, inject: {kill: true}}',
        '    - {at: 10s, target: {service: a, pod: 0}, inject: {kill: true}}',
      ].join('\n'),
    );
    expect(ev.filter((e) => e.type === 'pod_deleted').map((e) => e.pod)).toEqual(['a-v1-0', 'a-v1-1']);
  });

  it('scale: new pods become ready before they are endpoints; scale-down removes the newest', () => {
    const ev = events(
      [
        '    - {at: 5s, target: {service: a}, inject: {scale: {replicas: 4}}}',
        '    - {at: 15s, target: {service: a}, inject: {scale: {replicas: 2}}}',
      ].join('\n'),
    );
    expect(ev.filter((e) => e.type === 'endpoint_added').map((e) => [e.t_s, e.pod])).toEqual([[6.1, 'a-v1-3']]);
    expect(ev.filter((e) => e.type === 'pod_deleted').map((e) => e.pod)).toEqual(['a-v1-3', 'a-v1-2']);
  });

  it('rollout: every pod ends on the new version', () => {
    const s = scenarioFromYaml(
      scenario(
        '    - {at: 5s, target: {service: a, version: v1}, inject: {rollout: {version: v2}}}',
        '[{name: a, versions: [{name: v1, replicas: 4}, {name: v2, replicas: 0}]}]',
      ),
    );
    const state = simulate(s);
    expect(state.timeline.events.find((e) => e.type === 'rollout_complete')).toBeDefined();
    const svc = state.cluster.services.get('a');
    expect(svc?.endpoints.map((p) => p.version.name)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });

  it('controlPlane: pushes wait for istiod; a crashed pod stays in the endpoint lists meanwhile', () => {
    const ev = events(
      [
        '    - {at: 5s, until: 20s, inject: {controlPlane: down}}',
        '    - {at: 8s, until: 9s, target: {service: a, pod: 0}, inject: {crash: true}}',
      ].join('\n'),
    );
    expect(ev.filter((e) => e.type === 'istiod_down' || e.type === 'istiod_up').map((e) => e.t_s)).toEqual([5, 20]);
    // NotReady at 9 s; the removal and the return are pushed together when istiod is back (nothing changed for the proxies).
    expect(ev.find((e) => e.type === 'pod_not_ready')).toMatchObject({ t_s: 9 });
    expect(ev.find((e) => e.type === 'endpoint_removed')).toBeUndefined();
  });
});
