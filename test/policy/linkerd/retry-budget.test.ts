/**
 * Linkerd ServiceProfile retry budget = tower TpsBudget (tower/src/retry/budget/tps_budget.rs),
 * defaults from linkerd2 controller/api/destination/profile_translator.go (0.2, 10/s, 10 s).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_BUDGET } from '../../../src/config/linkerd/service-profile.js';
import { RetryBudget } from '../../../src/policy/linkerd/retry-budget.js';

const S = 1_000_000;

describe('Linkerd retry budget (ServiceProfile)', () => {
  it('uses tower token arithmetic: deposit 1, withdraw ⌊1/0.2⌋ = 5, reserve 10 × 10 s × 5 = 500', () => {
    const b = new RetryBudget(DEFAULT_RETRY_BUDGET);
    expect([b.depositAmount, b.withdrawAmount, b.reserve]).toEqual([1, 5, 500]);
  });

  it('without traffic allows min_per_sec × ttl = 100 retries per 10 s window, then refuses', () => {
    const b = new RetryBudget(DEFAULT_RETRY_BUDGET);
    let ok = 0;
    for (let i = 0; i < 1000; i++) if (b.tryWithdraw(i * 1000)) ok++;
    expect(ok).toBe(100);
  });

  it('caps retries at 20% of requests + 10/s: 1000 req/s all failing gives ~300 retries/s, not 1000', () => {
    const b = new RetryBudget(DEFAULT_RETRY_BUDGET);
    // 1000 requests/s for 30 s; each failing request asks for one retry; requests that end without
    // a retry deposit (Linkerd's deposit point).
    let retries = 0;
    let lastWindow = 0;
    for (let i = 0; i < 30_000; i++) {
      const t = i * 1000;
      if (b.tryWithdraw(t)) {
        retries++;
        if (t >= 20 * S) lastWindow++;
      } else b.deposit(t);
    }
    // Steady state over a 10 s window: R = 0.2 × deposits + 100, deposits = 10 000 − R ⇒ R ≈ 1750.
    expect(lastWindow).toBeGreaterThan(1600);
    expect(lastWindow).toBeLessThan(1900);
    expect(retries).toBeLessThan(30_000 * 0.2 + 10 * 30 + 200);
  });

  it('deposits expire after the ttl', () => {
    const b = new RetryBudget({ retryRatio: 0.2, minRetriesPerSecond: 0, ttlUs: 10 * S });
    for (let i = 0; i < 50; i++) b.deposit(0);
    expect(b.tryWithdraw(1 * S)).toBe(true); // 50 tokens, cost 5
    expect(b.tryWithdraw(11 * S)).toBe(false); // deposits at t=0 have expired
  });

  it('a ratio of 0 gives only the minimum rate', () => {
    const b = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 1, ttlUs: 10 * S });
    for (let i = 0; i < 100; i++) b.deposit(0);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (b.tryWithdraw(0)) ok++;
    expect(ok).toBe(10);
  });
});
