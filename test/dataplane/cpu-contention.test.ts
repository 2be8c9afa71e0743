/**
 * A node's cores are shared by everything on it (apps and proxies): when one workload saturates a
 * small node, everything else on that node slows down; on another node it does not. Two services
 * are pinned (`node:`) to 1-core nodes; `noisy` is driven to ~0.9 core, `quiet` is a light probe.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MeshMode } from '../../src/config/model.js';
import type { ResultsJson } from '../../src/report/results.js';
import { run, scenarioFromYaml } from './run-scenario.js';

function yaml(opts: { noisyNode: 'small-a' | 'small-b'; noisyRate: number }): string {
  return `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: cpu-contention}
spec:
  seed: 5
  duration: 20s
  warmup: 2s
  cluster:
    nodes:
      - {name: clients, cpu: "16"}
      - {name: small-a, cpu: "1"}
      - {name: small-b, cpu: "1"}
  services:
    - name: quiet
      node: small-a
      serviceTime: {distribution: constant, value: 1ms}
    - name: noisy
      node: ${opts.noisyNode}
      concurrency: 32
      serviceTime: {distribution: exponential, mean: 2ms}
  workload:
    - {name: probe, target: quiet, rate: 20, from: {node: clients}}
    - {name: hammer, target: noisy, rate: ${opts.noisyRate}, from: {node: clients}}
`;
}

const quiet = (r: ResultsJson) => r.services.quiet!.latency_ms;

describe.each<MeshMode>(['none', 'sidecar'])('CPU contention on a shared node (mode %s)', (mode) => {
  let shared: ResultsJson;
  let apart: ResultsJson;

  beforeAll(() => {
    // 450 rps × 2 ms = 0.9 of the node's single core, before any proxy work.
    shared = run(scenarioFromYaml(yaml({ noisyNode: 'small-a', noisyRate: 450 })), { mode });
    apart = run(scenarioFromYaml(yaml({ noisyNode: 'small-b', noisyRate: 450 })), { mode });
  });

  it('the noisy service really loads its node', () => {
    expect(shared.resources.by_component.app?.cpu_cores).toBeGreaterThan(0.85);
    expect(shared.services.quiet?.requests.total).toBe(apart.services.quiet?.requests.total);
  });

  it('on its own node the quiet service answers in its service time', () => {
    expect(quiet(apart).p50).toBeLessThan(1.1);
    expect(quiet(apart).p90).toBeLessThan(1.5);
  });

  it('sharing the saturated node raises the quiet service latency several-fold', () => {
    expect(quiet(shared).p50).toBeGreaterThan(3 * quiet(apart).p50);
    expect(quiet(shared).p90).toBeGreaterThan(3 * quiet(apart).p90);
    expect(quiet(shared).mean).toBeGreaterThan(3 * quiet(apart).mean);
  });

  it("the probe's end-to-end latency rises with it", () => {
    const probe = (r: ResultsJson) => r.edges.find((e) => e.source === 'probe')?.latency_ms.p50 ?? 0;
    expect(probe(shared) - probe(apart)).toBeGreaterThan(quiet(shared).p50 - quiet(apart).p50 - 0.5);
  });
});

describe('below saturation, sharing a node costs little', () => {
  it('a lightly loaded neighbour (0.1 core) leaves the median untouched', () => {
    const light = run(scenarioFromYaml(yaml({ noisyNode: 'small-a', noisyRate: 50 })), { mode: 'none' });
    const apart = run(scenarioFromYaml(yaml({ noisyNode: 'small-b', noisyRate: 50 })), { mode: 'none' });
    expect(quiet(light).p50).toBeLessThan(1.1 * quiet(apart).p50);
    expect(quiet(light).mean).toBeLessThan(1.5 * quiet(apart).mean);
  });
});
