/**
 * Flagger Canaries in whole runs: the two shipped scenarios (a bad v2 rolled back at 20%, a good v2
 * promoted), a canary whose v2 starts failing at a known step (rolled back at that step), the
 * weights reaching the sidecars through istiod's debounced push, and the run-time warning in modes
 * Flagger's Istio provider cannot drive. Semantics: fluxcd/flagger pkg/controller/scheduler.go,
 * https://docs.flagger.app/usage/how-it-works; push debounce: istio/istio pilot/pkg/xds/discovery.go.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildResults } from '../../src/report/results.js';
import { simulate } from '../../src/sim/simulate.js';
import { runWarnings } from '../../src/sim/warnings.js';
import type { TimelineEvent } from '../../src/record/timeline.js';
import { repoPath, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';

const of = (events: readonly TimelineEvent[], type: string) => events.filter((e) => e.type === type);

describe('Flagger canary runs', () => {
  it('canary-rollback: v2 passes at 1, 5 and 10%, fails twice at 20% and is rolled back at 20%', () => {
    const s = simulate(scenarioFromFile('scenarios/canary-rollback.yaml'));
    const ev = s.timeline.events;
    expect(of(ev, 'canary_step').map((e) => e.weight)).toEqual([1, 5, 10, 20]);
    expect(of(ev, 'canary_halt').map((e) => [e.t_s, e.weight, e.failed_checks])).toEqual([
      [90, 20, 1],
      [105, 20, 2],
    ]);
    expect(of(ev, 'canary_rollback')).toEqual([
      expect.objectContaining({ t_s: 120, canary: 'checkout', weight: 20, failed_checks: 2, threshold: 2, revision: 'v2' }),
    ]);
    expect(of(ev, 'canary_promoted')).toEqual([]);
    const r = buildResults(s);
    expect(r.canaries?.[0]).toMatchObject({ phase: 'Failed', weight: 0, revision: 'v2', max_weight: 50 });
    // The canary was scaled to zero and the primary kept v1.
    expect(of(ev, 'deployment_scaled').map((e) => [e.t_s, e.deployment, e.to])).toEqual([
      [15, 'checkout-v2', 4],
      [120, 'checkout-v2', 0],
    ]);
  });

  it('canary-promote: 10% more every interval up to 50%, promotion, all traffic back on the (now v2) primary, canary scaled to zero', () => {
    const s = simulate(scenarioFromFile('scenarios/canary-promote.yaml'));
    const ev = s.timeline.events;
    expect(of(ev, 'canary_step').map((e) => [e.t_s, e.weight])).toEqual([
      [30, 10],
      [45, 20],
      [60, 30],
      [75, 40],
      [90, 50],
    ]);
    expect(of(ev, 'canary_halt')).toEqual([]);
    expect(of(ev, 'rollout_start')).toEqual([expect.objectContaining({ t_s: 105, deployment: 'checkout-v1', to: 'v2' })]);
    expect(of(ev, 'canary_promoted')).toEqual([expect.objectContaining({ t_s: 135, revision: 'v2' })]);
    const r = buildResults(s);
    expect(r.canaries?.[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
    // At the end every live checkout pod is a promoted primary pod running v2.
    const live = s.kube.podsOf(s.cluster.services.get('checkout')!).filter((p) => s.kube.status(p)?.ready);
    expect(live.length).toBe(4);
    expect(new Set(live.map((p) => p.version.name))).toEqual(new Set(['v2']));
  });

  it("each weight Flagger writes reaches the sidecars after istiod's 100 ms push debounce", () => {
    const s = simulate(scenarioFromFile('scenarios/canary-promote.yaml'));
    const pushed = of(s.timeline.events, 'config_propagated').map((e) => e.t_s);
    for (const step of of(s.timeline.events, 'canary_step')) expect(pushed).toContain(Math.round((step.t_s + 0.1) * 1e6) / 1e6);
  });

  it('a v2 whose error rate crosses the threshold at a known step (30%) is rolled back at that step', () => {
    const text = readFileSync(repoPath('scenarios/canary-promote.yaml'), 'utf8').replace(
      '      inject: {rollout: {version: v2}}\n',
      '      inject: {rollout: {version: v2}}\n    - at: 61s\n      target: {service: checkout, version: v2}\n      inject: {errorRate: 0.3, status: 503}\n',
    );
    const ev = simulate(scenarioFromYaml(text, 'crossing.yaml')).timeline.events;
    expect(of(ev, 'canary_step').map((e) => e.weight)).toEqual([10, 20, 30]);
    expect(of(ev, 'canary_halt').map((e) => [e.t_s, e.weight])).toEqual([
      [75, 30],
      [90, 30],
    ]);
    expect(of(ev, 'canary_rollback')).toEqual([expect.objectContaining({ t_s: 105, weight: 30 })]);
  });

  it('in ambient mode the Canary is not run, and a run-time warning says why', () => {
    const s = simulate(scenarioFromFile('scenarios/canary-promote.yaml'), { mode: 'ambient', durationUs: 40e6 });
    expect(of(s.timeline.events, 'canary_progressing')).toEqual([]);
    expect(runWarnings(s).map((w) => w.message)).toContainEqual(expect.stringContaining("Flagger's Istio provider needs sidecars"));
  });
});
