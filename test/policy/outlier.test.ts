/**
 * Outlier detection (src/policy/outlier.ts). Scenarios are our own transcriptions of the
 * behaviours pinned by Envoy's test/common/upstream/outlier_detection_impl_test.cc (named in each
 * test) and of Envoy's docs/root/intro/arch_overview/upstream/outlier.rst with Istio's mapping
 * (pilot/pkg/networking/core/cluster_traffic_policy.go). Times in the tests are seconds, converted to µs.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTLIER_CONFIG, outlierConfigFromIstio, type OutlierDetectorConfig } from '../../src/config/istio/outlier-config.js';
import { OutlierDetector, type OutlierEvent } from '../../src/policy/outlier.js';

const s = (seconds: number) => Math.round(seconds * 1e6);

function harness(config: Partial<OutlierDetectorConfig>, hosts: string[] = ['h0', 'h1']) {
  let now = 0;
  const events: OutlierEvent<string>[] = [];
  const d = new OutlierDetector<string>(config, hosts, { now: () => now, onEvent: (e) => events.push(e) });
  return {
    d,
    events,
    at(seconds: number) {
      now = s(seconds);
    },
    tickAt(seconds: number) {
      now = s(seconds);
      d.tick(now);
    },
    send(host: string, status: number, times = 1) {
      for (let i = 0; i < times; i++) d.reportHttpStatus(host, status);
    },
  };
}

describe('consecutive 5xx', () => {
  it('ejects on the 5th consecutive 5xx, inline, with an eject event', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('h0', 500, 4);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 500);
    expect(t.d.isEjected('h0')).toBe(true);
    expect(t.events).toEqual([{ action: 'eject', host: 'h0', type: 'CONSECUTIVE_5XX', numEjections: 1, atUs: 0 }]);
    expect(t.d.stats()).toMatchObject({
      ejections_active: 1,
      ejections_enforced_total: 1,
      ejections_detected_consecutive_5xx: 1,
      ejections_enforced_consecutive_5xx: 1,
    });
  });

  it('a 200 resets the streak (BasicFlow5xxViaHttpCodes)', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('h0', 500);
    t.send('h0', 200);
    t.send('h0', 500, 4);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 500);
    expect(t.d.isEjected('h0')).toBe(true);
  });

  it('is still ejected at the 9.999s tick and back on the first tick after 30s', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('h0', 500, 5);
    t.tickAt(9.999);
    expect(t.d.isEjected('h0')).toBe(true);
    expect(t.d.hostState('h0')?.lastUnejectionUs).toBeUndefined();
    t.tickAt(30.001);
    expect(t.d.isEjected('h0')).toBe(false);
    expect(t.events.at(-1)).toEqual({ action: 'uneject', host: 'h0', type: 'CONSECUTIVE_5XX', numEjections: 1, atUs: s(30.001) });
    expect(t.d.stats().ejections_active).toBe(0);
  });

  it("un-ejects only on the detector's own ticks: ejected at 25s, back at the 60s tick", () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.at(25);
    t.send('h0', 500, 5);
    for (const tick of [30, 40, 50]) {
      t.tickAt(tick);
      expect(t.d.isEjected('h0')).toBe(true);
    }
    t.tickAt(60);
    expect(t.d.isEjected('h0')).toBe(false);
  });

  it('a second ejection in a row lasts 60s', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('h0', 500, 5);
    t.tickAt(30.001);
    t.at(40);
    t.send('h0', 500, 5);
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', numEjections: 2, atUs: s(40) });
    t.tickAt(90);
    expect(t.d.isEjected('h0')).toBe(true);
    t.tickAt(100);
    expect(t.d.isEjected('h0')).toBe(false);
    expect(t.d.stats()).toMatchObject({ ejections_enforced_consecutive_5xx: 2, ejections_total: 2, ejections_consecutive_5xx: 2 });
  });

  it('ignores errors while ejected: they neither extend the ejection nor count towards the next (Consecutive_5xxAlreadyEjected)', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('h0', 500, 5);
    t.send('h0', 500, 20);
    expect(t.d.stats().ejections_detected_consecutive_5xx).toBe(1);
    t.tickAt(30);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 500, 4);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 500);
    expect(t.d.isEjected('h0')).toBe(true);
  });

  it('alternating failure and success never ejects; 100 failures in a row do (ExternalOriginEventsNonSplit)', () => {
    const t = harness({ maxEjectionPercent: 100 });
    for (let i = 0; i < 100; i++) {
      t.send('h0', 500);
      t.send('h0', 200);
    }
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 500, 100);
    expect(t.d.isEjected('h0')).toBe(true);
    expect(t.d.stats().ejections_detected_consecutive_5xx).toBe(1);
  });

  it('consecutive5xxErrors: 0 disables 5xx ejection', () => {
    const t = harness(outlierConfigFromIstio({ consecutive5xxErrors: 0, maxEjectionPercent: 100 }));
    t.send('h0', 500, 100);
    expect(t.d.isEjected('h0')).toBe(false);
    expect(t.d.stats().ejections_detected_consecutive_5xx).toBe(0);
  });
});

describe('max ejection percent (Envoy rule: (active + 1) / total × 100 ≤ max, no implicit first host)', () => {
  it('3 hosts with max 50% eject only one; the others count as overflow (MaxEjectionPercentage)', () => {
    const t = harness({ maxEjectionPercent: 50 }, ['h0', 'h1', 'h2']);
    for (const h of ['h0', 'h1', 'h2']) t.send(h, 500, 5);
    expect(['h0', 'h1', 'h2'].map((h) => t.d.isEjected(h))).toEqual([true, false, false]);
    expect(t.d.stats()).toMatchObject({ ejections_active: 1, ejections_overflow: 2, ejections_detected_consecutive_5xx: 3 });
  });

  it('2 hosts with max 60%: the second ejection would be 100% and overflows (Overflow)', () => {
    const t = harness({ maxEjectionPercent: 60 });
    t.send('h0', 500, 5);
    t.send('h1', 500, 5);
    expect([t.d.isEjected('h0'), t.d.isEjected('h1')]).toEqual([true, false]);
    expect(t.d.stats().ejections_overflow).toBe(1);
  });

  it('1 host with max 90% never ejects (MaxEjectionPercentageSingleHost)', () => {
    const t = harness({ maxEjectionPercent: 90 }, ['h0']);
    t.send('h0', 500, 5);
    expect(t.d.isEjected('h0')).toBe(false);
    expect(t.d.stats()).toMatchObject({ ejections_overflow: 1, ejections_enforced_total: 0 });
  });

  it('the default 10% with 3 hosts never ejects; with 10 hosts it ejects one (semantics §13 B)', () => {
    const cfg = outlierConfigFromIstio({ consecutive5xxErrors: 5, interval: s(10), baseEjectionTime: s(30) });
    const three = harness(cfg, ['a', 'b', 'c']);
    three.send('a', 500, 50);
    expect(three.d.isEjected('a')).toBe(false);
    expect(three.d.stats().ejections_overflow).toBe(10);
    const ten = harness(
      cfg,
      Array.from({ length: 10 }, (_, i) => `p${i}`),
    );
    ten.send('p0', 503, 5);
    ten.send('p1', 503, 5);
    expect([ten.d.isEjected('p0'), ten.d.isEjected('p1')]).toEqual([true, false]);
  });

  it('alwaysEjectOneHost lets the first ejection through (Envoy ≥1.31 opt-in)', () => {
    const t = harness({ alwaysEjectOneHost: true }, ['h0', 'h1', 'h2']);
    t.send('h0', 500, 5);
    t.send('h1', 500, 5);
    expect([t.d.isEjected('h0'), t.d.isEjected('h1')]).toEqual([true, false]);
  });

  it('removing an ejected host frees its slot and adding hosts changes the total', () => {
    const t = harness({ maxEjectionPercent: 50 });
    t.send('h0', 500, 5);
    t.d.setHosts(['h1', 'h2']);
    expect(t.d.stats().ejections_active).toBe(0);
    t.send('h1', 500, 5);
    expect(t.d.isEjected('h1')).toBe(true);
    t.send('h0', 500, 5);
    expect(t.d.isEjected('h0')).toBe(false);
  });
});

describe('ejection time backoff', () => {
  it('the multiplier grows per ejection in a row and decays after healthy ticks (EjectTimeBackoff)', () => {
    const t = harness({ baseEjectionTimeUs: s(10), intervalUs: s(10), maxEjectionPercent: 100 }, ['h0']);
    const ejectAt = (sec: number) => {
      t.at(sec);
      t.send('h0', 500, 5);
      expect(t.d.isEjected('h0')).toBe(true);
    };
    const outAt = (...ticks: number[]) =>
      ticks.forEach((x) => {
        t.tickAt(x);
        expect(t.d.isEjected('h0')).toBe(true);
      });
    const backAt = (x: number) => {
      t.tickAt(x);
      expect(t.d.isEjected('h0')).toBe(false);
    };

    ejectAt(0);
    backAt(10); // 1 × 10 s
    ejectAt(10);
    outAt(20);
    backAt(30); // 2 × 10 s
    ejectAt(30);
    outAt(40, 50);
    backAt(60); // 3 × 10 s
    t.tickAt(70);
    t.tickAt(80); // two healthy ticks: 3 → 1
    expect(t.d.hostState('h0')?.ejectTimeBackoff).toBe(1);
    ejectAt(80);
    outAt(90);
    backAt(100); // 2 × 10 s
    for (let i = 1; i <= 50; i++) t.tickAt(100 + i * 10);
    expect(t.d.hostState('h0')?.ejectTimeBackoff).toBe(0);
    ejectAt(610);
    backAt(620); // back to 1 × 10 s
    expect(t.d.hostState('h0')?.numEjections).toBe(5);
  });

  it('ejection time stops growing at the 300s cap (MaxEjectTime)', () => {
    const t = harness({ baseEjectionTimeUs: s(10), intervalUs: s(10), maxEjectionPercent: 100 }, ['h0']);
    const durations: number[] = [];
    let clock = 0;
    for (let k = 1; k <= 35; k++) {
      t.at(clock);
      t.send('h0', 500, 5);
      const from = clock;
      while (t.d.isEjected('h0')) {
        clock += 10;
        t.tickAt(clock);
      }
      durations.push(clock - from);
    }
    expect(durations.slice(0, 3)).toEqual([10, 20, 30]);
    expect(durations[28]).toBe(290);
    expect(durations.slice(29)).toEqual([300, 300, 300, 300, 300, 300]);
    expect(t.d.hostState('h0')?.ejectTimeBackoff).toBe(31);
  });

  it('a max that is not a multiple of the interval shows up at the next tick (MaxEjectTimeNotAligned)', () => {
    const t = harness({ baseEjectionTimeUs: s(10), intervalUs: s(10), maxEjectionTimeUs: s(305), maxEjectionPercent: 100 }, ['h0']);
    let clock = 0;
    let last = 0;
    for (let k = 1; k <= 32; k++) {
      t.at(clock);
      t.send('h0', 500, 5);
      const from = clock;
      while (t.d.isEjected('h0')) {
        clock += 10;
        t.tickAt(clock);
      }
      last = clock - from;
    }
    expect(last).toBe(310);
  });

  it('base 400s with no max gives max 400s; max below base is rejected', () => {
    expect(outlierConfigFromIstio({ baseEjectionTime: s(400) }).maxEjectionTimeUs).toBe(s(400));
    expect(new OutlierDetector({ baseEjectionTimeUs: s(400) }, [], { now: () => 0 }).config.maxEjectionTimeUs).toBe(s(400));
    expect(() => new OutlierDetector({ baseEjectionTimeUs: s(10), maxEjectionTimeUs: s(3) }, [], { now: () => 0 })).toThrow(
      /max ejection time/,
    );
  });
});

describe('gateway failures', () => {
  it('ejects on 5 consecutive gateway errors while 5xx is detected but not enforced (BasicFlowGatewayFailure)', () => {
    const t = harness({ enforcingConsecutiveGatewayFailure: 100, enforcingConsecutive5xx: 0, maxEjectionPercent: 100 });
    // 503, 500 (breaks only the gateway streak), then 503s: the 5xx streak completes first (not enforced).
    t.send('h0', 503);
    t.send('h0', 500);
    t.send('h0', 503, 3);
    expect(t.d.stats()).toMatchObject({ ejections_detected_consecutive_5xx: 1, ejections_enforced_consecutive_5xx: 0 });
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 503);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 503); // fifth 503 in a row
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_GATEWAY_FAILURE' });
    t.tickAt(9.999);
    expect(t.d.isEjected('h0')).toBe(true);
    t.tickAt(30.001);
    expect(t.d.isEjected('h0')).toBe(false);
    t.at(40);
    t.send('h0', 503, 5);
    expect(t.d.isEjected('h0')).toBe(true);
    expect(t.d.stats()).toMatchObject({
      ejections_detected_consecutive_gateway_failure: 2,
      ejections_enforced_consecutive_gateway_failure: 2,
      ejections_detected_consecutive_5xx: 1,
      ejections_enforced_consecutive_5xx: 0,
      ejections_enforced_total: 2,
      ejections_total: 1,
    });
  });

  it('checks the gateway streak before the 5xx streak for the same response (BasicFlowGatewayFailureAnd5xx)', () => {
    const t = harness({ enforcingConsecutiveGatewayFailure: 100, maxEjectionPercent: 100 });
    t.send('h0', 503);
    t.send('h0', 200);
    t.send('h0', 503, 5);
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_GATEWAY_FAILURE' });
    t.tickAt(30);
    t.send('h0', 503, 2);
    t.send('h0', 500, 3);
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_5XX', numEjections: 2 });
  });

  it('Istio consecutiveGatewayErrors alone: 500s never eject, 502/503/504 do', () => {
    const t = harness(outlierConfigFromIstio({ consecutiveGatewayErrors: 3, consecutive5xxErrors: 0, maxEjectionPercent: 100 }));
    t.send('h0', 500, 20);
    expect(t.d.isEjected('h0')).toBe(false);
    t.send('h0', 502);
    t.send('h0', 504);
    t.send('h0', 503);
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_GATEWAY_FAILURE' });
  });
});

describe('local-origin errors', () => {
  it('connect failures count as 503 in non-split mode (BasicFlow5xxViaNonHttpCodes)', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.d.reportLocalOrigin('h0', 'connect_failed');
    t.send('h0', 200);
    for (let i = 0; i < 4; i++) t.d.reportLocalOrigin('h0', 'connect_failed');
    expect(t.d.isEjected('h0')).toBe(false);
    t.d.reportLocalOrigin('h0', 'connect_failed');
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_5XX' });
    // The gateway detector fired too but is not enforced by default.
    expect(t.d.stats()).toMatchObject({
      ejections_detected_consecutive_gateway_failure: 1,
      ejections_enforced_consecutive_gateway_failure: 0,
    });
  });

  it('connect_success does not reset the streak in non-split mode; an explicit code wins (TimeoutWithHttpCode)', () => {
    const t = harness({ maxEjectionPercent: 100 });
    for (let i = 0; i < 4; i++) t.d.reportLocalOrigin('h0', 'timeout');
    t.d.reportLocalOrigin('h0', 'connect_success');
    t.d.reportLocalOrigin('h0', 'timeout');
    expect(t.d.isEjected('h0')).toBe(true);
    t.tickAt(30);
    for (let i = 0; i < 5; i++) t.d.reportLocalOrigin('h0', 'timeout', 200);
    expect(t.d.isEjected('h0')).toBe(false);
  });

  it('split mode ejects on the local-origin streak and connect_success resets it (BasicFlowLocalOriginFailure)', () => {
    const t = harness(outlierConfigFromIstio({ splitExternalLocalOriginErrors: true, maxEjectionPercent: 100 }), ['h0']);
    const fail = (n: number) => {
      for (let i = 0; i < n; i++) t.d.reportLocalOrigin('h0', 'connect_failed');
    };
    fail(5);
    expect(t.events.at(-1)).toMatchObject({ action: 'eject', type: 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE', atUs: 0 });
    fail(5);
    t.tickAt(9.999);
    expect(t.d.isEjected('h0')).toBe(true);
    t.tickAt(30.001);
    expect(t.d.isEjected('h0')).toBe(false);
    fail(5);
    expect(t.d.hostState('h0')).toMatchObject({ ejected: true, numEjections: 2 });
    t.tickAt(40);
    expect(t.d.isEjected('h0')).toBe(true);
    t.tickAt(90.002);
    expect(t.d.isEjected('h0')).toBe(false);
    fail(4);
    t.d.reportLocalOrigin('h0', 'connect_success');
    fail(2);
    expect(t.d.isEjected('h0')).toBe(false);
    expect(t.d.stats()).toMatchObject({
      ejections_enforced_total: 2,
      ejections_detected_consecutive_local_origin_failure: 2,
      ejections_enforced_consecutive_local_origin_failure: 2,
    });
  });

  it('split mode keeps HTTP 5xx on their own streak (local failures do not count as 503)', () => {
    const t = harness(
      outlierConfigFromIstio({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 3, maxEjectionPercent: 100 }),
    );
    t.d.reportLocalOrigin('h0', 'timeout');
    t.d.reportLocalOrigin('h0', 'timeout');
    t.send('h0', 503, 4);
    expect(t.d.isEjected('h0')).toBe(false);
    t.d.reportLocalOrigin('h0', 'timeout');
    expect(t.events.at(-1)).toMatchObject({ type: 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE' });
    t.tickAt(30);
    t.send('h0', 503, 5);
    expect(t.events.at(-1)).toMatchObject({ type: 'CONSECUTIVE_5XX' });
  });
});

describe('panic threshold (Istio minHealthPercent)', () => {
  const all = ['a', 'b', 'c'];

  it('with minHealthPercent 0 and every host ejected, the LB set is empty (→ 503 UH)', () => {
    const t = harness(outlierConfigFromIstio({ maxEjectionPercent: 100 }), all);
    t.send('a', 503, 5);
    expect(t.d.hostsForLb(all)).toEqual(['b', 'c']);
    t.send('b', 503, 5);
    t.send('c', 503, 5);
    expect(t.d.hostsForLb(all)).toEqual([]);
    expect(t.d.inPanic(all)).toBe(false);
  });

  it('with minHealthPercent 50, once fewer than half are healthy the proxy balances over all hosts', () => {
    const t = harness(outlierConfigFromIstio({ maxEjectionPercent: 100, minHealthPercent: 50 }), all);
    t.send('a', 503, 5);
    expect(t.d.hostsForLb(all)).toEqual(['b', 'c']); // 66.7% healthy
    t.send('b', 503, 5);
    expect(t.d.inPanic(all)).toBe(true); // 33.3% < 50%
    expect(t.d.hostsForLb(all)).toEqual(all);
  });
});

describe('configuration', () => {
  it('maps Istio fields onto Envoy knobs with Istio defaults', () => {
    expect(DEFAULT_OUTLIER_CONFIG).toEqual({
      consecutive5xx: 5,
      enforcingConsecutive5xx: 100,
      consecutiveGatewayFailure: 5,
      enforcingConsecutiveGatewayFailure: 0,
      splitExternalLocalOriginErrors: false,
      consecutiveLocalOriginFailure: 5,
      enforcingConsecutiveLocalOriginFailure: 100,
      intervalUs: s(10),
      baseEjectionTimeUs: s(30),
      maxEjectionTimeUs: s(300),
      maxEjectionPercent: 10,
      alwaysEjectOneHost: false,
      healthyPanicThreshold: 0,
    });
    expect(outlierConfigFromIstio({ consecutiveGatewayErrors: 2, maxEjectionPercent: 0, minHealthPercent: 30 })).toMatchObject({
      consecutiveGatewayFailure: 2,
      enforcingConsecutiveGatewayFailure: 100,
      maxEjectionPercent: 10,
      healthyPanicThreshold: 30,
    });
    // consecutiveLocalOriginFailures only counts with split on (validation rejects it otherwise).
    expect(outlierConfigFromIstio({ consecutiveLocalOriginFailures: 2 }).consecutiveLocalOriginFailure).toBe(5);
    expect(
      outlierConfigFromIstio({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 }).consecutiveLocalOriginFailure,
    ).toBe(2);
  });

  it('rolls the injected uniform for a partial enforcing percentage and requires one', () => {
    expect(() => new OutlierDetector({ enforcingConsecutive5xx: 50 }, ['h'], { now: () => 0 })).toThrow(/uniform/);
    const draws = [0.7, 0.2];
    const d = new OutlierDetector({ enforcingConsecutive5xx: 50, maxEjectionPercent: 100 }, ['h'], {
      now: () => 0,
      uniform: () => draws.shift() as number,
    });
    for (let i = 0; i < 5; i++) d.reportHttpStatus('h', 500);
    expect(d.isEjected('h')).toBe(false); // 70 ≥ 50: detected, not enforced
    for (let i = 0; i < 5; i++) d.reportHttpStatus('h', 500);
    expect(d.isEjected('h')).toBe(true);
  });

  it('ignores reports for hosts it does not know', () => {
    const t = harness({ maxEjectionPercent: 100 });
    t.send('zz', 500, 10);
    expect(t.d.isEjected('zz')).toBe(false);
    expect(t.d.stats().ejections_detected_consecutive_5xx).toBe(0);
  });
});
