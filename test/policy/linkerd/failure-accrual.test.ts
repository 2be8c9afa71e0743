/**
 * Linkerd failure accrual (linkerd2-proxy linkerd/app/outbound/src/http/breaker/consecutive_failures.rs,
 * its test linkerd/app/outbound/src/http/logical/tests/failure_accrual.rs; defaults from
 * https://linkerd.io/2-edge/reference/circuit-breaking/).
 */
import { describe, expect, it } from 'vitest';
import { FAILURE_ACCRUAL_DEFAULTS } from '../../../src/config/linkerd/annotations.js';
import { ConsecutiveFailuresBreaker, type BreakerEvent } from '../../../src/policy/linkerd/failure-accrual.js';

const S = 1_000_000;
const noJitter = { ...FAILURE_ACCRUAL_DEFAULTS, jitterRatio: 0 };
const zero = () => 0;

describe('Linkerd failure accrual', () => {
  it('opens after 7 consecutive failures by default, not after 6', () => {
    const b = new ConsecutiveFailuresBreaker(noJitter, zero);
    for (let i = 0; i < 6; i++) b.onResult(false, i);
    expect(b.isReady(10)).toBe(true);
    b.onResult(false, 11);
    expect(b.state).toBe('shut');
    expect(b.isReady(12)).toBe(false);
  });

  it('a success resets the consecutive count', () => {
    const b = new ConsecutiveFailuresBreaker(noJitter, zero);
    for (let i = 0; i < 6; i++) b.onResult(false, i);
    b.onResult(true, 7);
    for (let i = 0; i < 6; i++) b.onResult(false, 8 + i);
    expect(b.state).toBe('available');
  });

  it('reproduces the proxy test: max 2, min 1 s, no jitter: shut, still shut at +0.5 s, one permit at +1 s', () => {
    const b = new ConsecutiveFailuresBreaker({ maxFailures: 2, minPenaltyUs: 1 * S, maxPenaltyUs: 60 * S, jitterRatio: 0 }, zero);
    b.onResult(false, 0);
    b.onResult(false, 0);
    expect(b.isReady(0.5 * S)).toBe(false);
    expect(b.isReady(1 * S)).toBe(true);
    b.admit(1 * S);
    expect(b.isReady(1 * S)).toBe(false); // exactly one request in probation
  });

  it('probes with exponential back-off (1 s, 2 s, 4 s …, capped at 60 s) and recovers on a successful probe', () => {
    const events: BreakerEvent[] = [];
    const b = new ConsecutiveFailuresBreaker(noJitter, zero);
    for (let i = 0; i < 7; i++) b.onResult(false, 0, events);
    let t = 0;
    const waits: number[] = [];
    for (let k = 0; k < 8; k++) {
      const until = b.reopensAtUs as number;
      waits.push((until - t) / S);
      t = until;
      expect(b.isReady(t, events)).toBe(true);
      b.admit(t);
      b.onResult(false, t, events);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    t = b.reopensAtUs as number;
    b.isReady(t);
    b.admit(t);
    b.onResult(true, t + 1, events);
    expect(b.state).toBe('available');
    expect(events.at(-1)).toMatchObject({ action: 'recovered' });
    // back-off restarts at k = 0
    for (let i = 0; i < 7; i++) b.onResult(false, t + 2, events);
    expect(((b.reopensAtUs as number) - (t + 2)) / S).toBe(1);
  });

  it('jitter adds up to ratio × base', () => {
    const b = new ConsecutiveFailuresBreaker(FAILURE_ACCRUAL_DEFAULTS, () => 1);
    for (let i = 0; i < 7; i++) b.onResult(false, 0);
    expect(b.reopensAtUs).toBe(1.5 * S);
  });

  it('ignores responses that arrive while shut', () => {
    const b = new ConsecutiveFailuresBreaker(noJitter, zero);
    for (let i = 0; i < 7; i++) b.onResult(false, 0);
    b.onResult(true, 10);
    expect(b.state).toBe('shut');
  });
});
