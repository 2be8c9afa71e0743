/**
 * Locality load balancing rules:
 * - Istio: pilot/pkg/networking/core/loadbalancer/loadbalancer.go (ApplyLocalityLoadBalancer,
 *   applyLocalityWeights, applyLocalityFailover, applyFailoverPriorities), pilot/pkg/networking/util
 *   (LocalityMatch, LbPriority), pilot/pkg/xds/endpoints/endpoint_builder.go (enableFailover only
 *   with outlierDetection), pkg/config/validation/agent/validation.go (ValidateLocalityLbSetting).
 * - Envoy: source/common/upstream/load_balancer_impl.cc (recalculatePerPriorityState,
 *   recalculatePerPriorityPanic, recalculateLoadInTotalPanic, choosePriority) and the spill table of
 *   docs/root/intro/arch_overview/upstream/load_balancing/priority.rst.
 */
import { describe, expect, it } from 'vitest';
import {
  choosePriority,
  effectiveLocalityWeight,
  lbPriority,
  localityMatches,
  localityPlan,
  priorityLoad,
  type Locality,
  type LocalityInputs,
} from '../../src/policy/locality.js';
import { checkLocalityLbSetting } from '../../src/config/istio/validate-locality.js';
import type { LocalityLbSetting } from '../../src/config/istio/networking-schemas.js';

const loc = (region: string, zone: string, subzone = ''): Locality => ({ region, zone, subzone });

interface Host {
  name: string;
  l: Locality;
  labels?: Record<string, string>;
}
const hosts: Host[] = [
  { name: 'a1', l: loc('us', 'a'), labels: { version: 'v1' } },
  { name: 'a2', l: loc('us', 'a'), labels: { version: 'v2' } },
  { name: 'b1', l: loc('us', 'b'), labels: { version: 'v1' } },
  { name: 'e1', l: loc('eu', 'x'), labels: { version: 'v1' } },
  { name: 'ap1', l: loc('ap', 'y'), labels: { version: 'v1' } },
];

const inputs = (over: Partial<LocalityInputs<Host>>): LocalityInputs<Host> => ({
  client: { locality: loc('us', 'a'), labels: { version: 'v1' } },
  hosts,
  localityOf: (h) => h.l,
  labelsOf: (h) => h.labels ?? {},
  setting: undefined,
  meshEnabled: true,
  outlierDetection: true,
  ...over,
});

const names = (levels: { hosts: Host[] }[][]) => levels.map((l) => l.flatMap((g) => g.hosts.map((h) => h.name)).join(','));

describe('Istio locality priorities (loadbalancer.go applyLocalityFailover, util.LbPriority)', () => {
  it('LbPriority: same region/zone/subzone 0, same region/zone 1, same region 2, other 3', () => {
    expect(lbPriority(loc('r', 'z', 's'), loc('r', 'z', 's'))).toBe(0);
    expect(lbPriority(loc('r', 'z', 's'), loc('r', 'z', 't'))).toBe(1);
    expect(lbPriority(loc('r', 'z'), loc('r', 'y'))).toBe(2);
    expect(lbPriority(loc('r', 'z'), loc('q', 'z'))).toBe(3);
  });

  it('LocalityMatch: "*" and omitted parts match anything below', () => {
    expect(localityMatches(loc('us', 'a'), 'us/*')).toBe(true);
    expect(localityMatches(loc('us', 'a'), 'us')).toBe(true);
    expect(localityMatches(loc('us', 'a'), 'us/b')).toBe(false);
    expect(localityMatches(loc('us', 'a'), '*')).toBe(true);
  });

  it('with outlierDetection and no setting (mesh default enabled): same zone first, then same region, then other regions; compacted', () => {
    const plan = localityPlan(inputs({}));
    // priorities 0 (us/a), 2 (us/b), 3 (eu, ap) compact to 0, 1, 2
    expect(names(plan!.levels)).toEqual(['a1,a2', 'b1', 'e1,ap1']);
    expect(plan!.weighted).toBe(false);
  });

  it('without outlierDetection Istio sets no priorities ("Failover needs outlier detection")', () => {
    expect(localityPlan(inputs({ outlierDetection: false }))).toBeUndefined();
  });

  it('enabled: false in the DestinationRule, or disabled mesh-wide without one, turns it off', () => {
    expect(localityPlan(inputs({ setting: { enabled: false } }))).toBeUndefined();
    expect(localityPlan(inputs({ meshEnabled: false }))).toBeUndefined();
  });

  it('failover {from: us, to: eu}: other regions not named drop to priority 4, below eu', () => {
    const plan = localityPlan(inputs({ setting: { failover: [{ from: 'us', to: 'eu' }] } }));
    expect(names(plan!.levels)).toEqual(['a1,a2', 'b1', 'e1', 'ap1']);
    expect(plan!.weighted).toBe(true);
  });

  it('failoverPriority alone: priorities by labels only (a mismatch on the first of n labels gives n), no locality priorities', () => {
    const plan = localityPlan(inputs({ setting: { failoverPriority: ['version'] } }));
    expect(names(plan!.levels)).toEqual(['a1,b1,e1,ap1', 'a2']);
  });

  it('failoverPriority with failover: label priority × 5 + locality priority, compacted', () => {
    const plan = localityPlan(inputs({ setting: { failoverPriority: ['version'], failover: [{ from: 'us', to: 'eu' }] } }));
    // v1: a1 0, b1 2, e1 3, ap1 4; v2: a2 5 → 0..4
    expect(names(plan!.levels)).toEqual(['a1', 'b1', 'e1', 'ap1', 'a2']);
  });

  it('distribute: the first `from` matching the client gives weights; unlisted localities get nothing; no priorities', () => {
    const plan = localityPlan(
      inputs({ outlierDetection: false, setting: { distribute: [{ from: 'us/a/*', to: { 'us/a/*': 80, 'us/b/*': 20 } }] } }),
    );
    expect(plan!.levels).toHaveLength(1);
    expect(plan!.weighted).toBe(true);
    expect(plan!.levels[0]!.map((g) => [g.locality, g.weight, g.hosts.length])).toEqual([
      ['us/a', 80, 2],
      ['us/b', 20, 1],
      ['eu/x', 1, 0],
      ['ap/y', 1, 0],
    ]);
  });

  it('distribute weight of a wildcard over several localities is split by their endpoint counts, rounded up', () => {
    const plan = localityPlan(inputs({ setting: { distribute: [{ from: '*', to: { 'us/*': 50, 'eu/*': 50 } }] } }));
    // us/a has 2 endpoints, us/b 1: 50×2/3 → 34, 50×1/3 → 17
    expect(plan!.levels[0]!.map((g) => g.weight)).toEqual([34, 17, 50, 1]);
  });
});

describe("Envoy's priority load (load_balancer_impl.cc, overprovisioning factor 1.4)", () => {
  const split = (p0: [number, number], p1: [number, number], threshold = 0) =>
    priorityLoad(
      [
        { healthy: p0[0], total: p0[1] },
        { healthy: p1[0], total: p1[1] },
      ],
      threshold,
    ).load;

  it('priority.rst spill table: P0 keeps 100% down to ~72% healthy, 71% → 99/1, 50% → 70/30, 25% → 35/65', () => {
    expect(split([100, 100], [100, 100])).toEqual([100, 0]);
    expect(split([72, 100], [100, 100])).toEqual([100, 0]);
    expect(split([71, 100], [100, 100])).toEqual([99, 1]);
    expect(split([50, 100], [100, 100])).toEqual([70, 30]);
    expect(split([25, 100], [100, 100])).toEqual([35, 65]);
    expect(split([0, 100], [100, 100])).toEqual([0, 100]);
  });

  it('three pods in the local zone: 2 healthy keep 93%, 1 keeps 46%', () => {
    expect(split([2, 3], [3, 3])).toEqual([93, 7]);
    expect(split([1, 3], [3, 3])).toEqual([46, 54]);
  });

  it('below 100% total health the load is scaled up: 20% + 20% health → 50/50', () => {
    expect(split([1, 7], [1, 7])).toEqual([50, 50]);
  });

  it('panic threshold 0 (Istio with outlierDetection, minHealthPercent unset) and nothing healthy: P0 takes it and finds no host', () => {
    const r = priorityLoad(
      [
        { healthy: 0, total: 2 },
        { healthy: 0, total: 2 },
      ],
      0,
    );
    expect(r.load).toEqual([100, 0]);
    expect(r.panic).toEqual([false, false]);
  });

  it('every priority in panic: load by host count (recalculateLoadInTotalPanic)', () => {
    const r = priorityLoad(
      [
        { healthy: 0, total: 1 },
        { healthy: 0, total: 3 },
      ],
      50,
    );
    expect(r.panic).toEqual([true, true]);
    expect(r.load).toEqual([25, 75]);
  });

  it('no panic while total health is 100%, however unhealthy one priority is', () => {
    expect(
      priorityLoad(
        [
          { healthy: 0, total: 3 },
          { healthy: 3, total: 3 },
        ],
        50,
      ).panic,
    ).toEqual([false, false]);
  });

  it('choosePriority draws 1..100 against the cumulative loads', () => {
    expect(choosePriority([93, 7], 0)).toBe(0);
    expect(choosePriority([93, 7], 0.92)).toBe(0);
    expect(choosePriority([93, 7], 0.93)).toBe(1);
  });

  it('a locality’s effective weight is weight × min(1, 1.4 × healthy share) (upstream_impl.cc effectiveLocalityWeight)', () => {
    expect(effectiveLocalityWeight(80, 3, 4)).toBe(80);
    expect(effectiveLocalityWeight(80, 1, 2)).toBeCloseTo(56);
    expect(effectiveLocalityWeight(80, 0, 2)).toBe(0);
  });
});

describe('localityLbSetting validation (istio/istio pkg/config/validation/agent/validation.go)', () => {
  const check = (lb: LocalityLbSetting, od = true) => {
    const out: string[] = [];
    checkLocalityLbSetting(
      lb,
      od,
      ['lb'],
      (_p, m) => out.push(`error: ${m}`),
      (_p, m) => out.push(`warning: ${m}`),
    );
    return out;
  };

  it('distribute and failover together, weights outside 1..100 or not summing to 100 are errors', () => {
    expect(check({ distribute: [{ from: 'a', to: { b: 100 } }], failover: [{ from: 'a', to: 'b' }] })).toEqual([
      "error: can not simultaneously specify 'distribute' and 'failover'",
    ]);
    expect(check({ distribute: [{ from: 'a', to: { b: 0, c: 100 } }] })).toEqual(['error: locality weight must be in range [1, 100]']);
    expect(check({ distribute: [{ from: 'a', to: { b: 60, c: 30 } }] })).toEqual(['error: total locality weight 90 != 100']);
  });

  it('localities: one trailing wildcard, no overlap', () => {
    expect(check({ distribute: [{ from: 'a/*/c', to: { b: 100 } }] })).toEqual([
      "error: locality a/*/c wildcard '*' number can not exceed 1 and must be in the end",
    ]);
    expect(check({ distribute: [{ from: 'a', to: { 'us/*': 50, 'us/a': 50 } }] })[0]).toMatch(/overlap with previous specified ones/);
  });

  it('failover without outlierDetection is a warning; same region, a zone or a wildcard is an error', () => {
    expect(check({ failover: [{ from: 'us', to: 'eu' }] }, false)).toEqual([
      'warning: outlier detection policy must be provided for failover',
    ]);
    expect(check({ failover: [{ from: 'us', to: 'us' }] })).toEqual([
      'error: locality lb failover settings must specify different regions',
    ]);
    expect(check({ failover: [{ from: 'us/a', to: 'eu' }] })).toEqual(['error: locality lb failover only specify region']);
    expect(check({ failover: [{ from: 'us', to: 'eu' }], failoverPriority: ['topology.kubernetes.io/zone'] })).toEqual([
      "error: can not simultaneously set 'failover' and topology label 'topology.kubernetes.io/zone' in 'failover_priority'",
    ]);
  });
});
