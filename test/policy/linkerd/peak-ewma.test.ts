/**
 * Linkerd's P2C over peak-EWMA (linkerd2-proxy linkerd/pool/p2c/src/lib.rs; tower
 * tower/src/load/peak_ewma.rs; default_rtt 30 ms and decay 10 s from linkerd2
 * policy-controller/grpc/src/outbound/http.rs).
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../src/kernel/random.js';
import { LINKERD_DEFAULT_RTT_US, p2cPick, PeakEwma } from '../../../src/policy/linkerd/peak-ewma.js';

describe('Linkerd peak-EWMA P2C', () => {
  it('seeds a new endpoint at 30 ms and charges (pending + 1) × rtt', () => {
    const e = new PeakEwma(0);
    expect(e.cost(0)).toBe(LINKERD_DEFAULT_RTT_US);
    e.start(0);
    e.start(0);
    expect(e.cost(0)).toBe(3 * LINKERD_DEFAULT_RTT_US);
  });

  it('jumps to a slower sample at once (peak) and decays toward faster ones with τ = 10 s', () => {
    const e = new PeakEwma(0);
    const s = e.start(0);
    e.finish(s, 100_000); // 100 ms > 30 ms: peak
    expect(e.rttEstimateUs).toBe(100_000);
    const s2 = e.start(10_100_000);
    e.finish(s2, 10_100_000 + 1000); // 1 ms sample after ~10 s: mostly replaced
    expect(e.rttEstimateUs).toBeLessThan(100_000 * Math.exp(-1) + 1000);
  });

  it('prefers the faster of two endpoints', () => {
    const fast = new PeakEwma(0);
    const slow = new PeakEwma(0);
    const rand = new RandomStreams(1).stream('lb');
    const picks = [0, 0];
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      t += 1000;
      const k = p2cPick([fast, slow], t, rand);
      picks[k]!++;
      const ep = k === 0 ? fast : slow;
      const st = ep.start(t);
      ep.finish(st, t + (k === 0 ? 2_000 : 50_000));
    }
    expect(picks[0]).toBeGreaterThan(1900);
  });

  it('with one ready endpoint takes it without drawing, and with none returns -1', () => {
    let draws = 0;
    const r = () => (draws++, 0.5);
    expect(p2cPick([new PeakEwma(0)], 0, r)).toBe(0);
    expect(p2cPick([], 0, r)).toBe(-1);
    expect(draws).toBe(0);
  });

  it('draws two distinct endpoints; on a tie the first drawn wins', () => {
    const eps = [new PeakEwma(0), new PeakEwma(0), new PeakEwma(0)];
    const seq = [0.0, 0.0]; // a = 0, b = ⌊0·2⌋ = 0 → bumped to 1
    let i = 0;
    expect(p2cPick(eps, 0, () => seq[i++]!)).toBe(0);
  });
});
