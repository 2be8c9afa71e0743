/** Envoy's load balancers as Istio configures them (istio/istio cluster_traffic_policy.go; Envoy load_balancers.rst). */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/kernel/random.js';
import { LoadBalancer } from '../../src/policy/load-balancer.js';

const hosts = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
const idle = () => 0;
const counts = (picks: { name: string }[]) => Object.fromEntries(hosts.map((h) => [h.name, picks.filter((p) => p === h).length]));

describe('load balancers', () => {
  it('ROUND_ROBIN visits the hosts in turn', () => {
    const lb = new LoadBalancer('ROUND_ROBIN', new RandomStreams(1).stream('lb'));
    expect(Array.from({ length: 8 }, () => lb.pick(hosts, idle).name).join('')).toBe('abcdabcd');
  });

  it('RANDOM spreads uniformly', () => {
    const lb = new LoadBalancer('RANDOM', new RandomStreams(1).stream('lb'));
    const c = counts(Array.from({ length: 40_000 }, () => lb.pick(hosts, idle)));
    for (const n of Object.values(c)) expect(n / 40_000).toBeCloseTo(0.25, 1);
  });

  it('LEAST_REQUEST (power of two choices) keeps away from a host with many outstanding requests', () => {
    const lb = new LoadBalancer('LEAST_REQUEST', new RandomStreams(1).stream('lb'));
    const busy = (h: { name: string }) => (h.name === 'a' ? 10 : 0);
    const c = counts(Array.from({ length: 40_000 }, () => lb.pick(hosts, busy)));
    // `a` wins only when both choices are `a`: 1/16 of the time.
    expect((c.a ?? 0) / 40_000).toBeCloseTo(1 / 16, 2);
  });

  it('RING_HASH sends the same key to the same host, spreads keys, and falls back to random without a key', () => {
    const lb = new LoadBalancer('RING_HASH', new RandomStreams(1).stream('lb'));
    const first = lb.pick(hosts, idle, 'user-42');
    for (let i = 0; i < 20; i++) expect(lb.pick(hosts, idle, 'user-42')).toBe(first);
    const c = counts(Array.from({ length: 4000 }, (_, i) => lb.pick(hosts, idle, `user-${i}`)));
    for (const n of Object.values(c)) expect(n).toBeGreaterThan(600);
    const noKey = new Set(Array.from({ length: 100 }, () => lb.pick(hosts, idle).name));
    expect(noKey.size).toBe(4);
  });

  // Envoy spreads a minimum ring of 1024 entries over the hosts, so each host's share of points
  // shrinks as hosts join: more than the ideal 1/4 of keys move, far fewer than modulo hashing's 3/4.
  it('RING_HASH moves a minority of the keys when a fourth host joins', () => {
    const lb = new LoadBalancer('RING_HASH', new RandomStreams(1).stream('lb'));
    const three = hosts.slice(0, 3);
    const before = Array.from({ length: 2000 }, (_, i) => lb.pick(three, idle, `k${i}`).name);
    const after = Array.from({ length: 2000 }, (_, i) => lb.pick(hosts, idle, `k${i}`).name);
    const moved = before.filter((b, i) => b !== after[i]).length / 2000;
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.45);
  });
});
