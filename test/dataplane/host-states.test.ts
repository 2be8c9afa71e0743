import { describe, expect, it } from 'vitest';
import { HostStates } from '../../src/dataplane/envoy-cluster.js';
import type { PodRt } from '../../src/world/entities.js';

/** Only `index` matters to HostStates (and identity). */
const pod = (index: number) => ({ index }) as PodRt;

describe('HostStates', () => {
  it('keeps one state per host, made on first use, and 0 active for a host never used', () => {
    const t = new HostStates<unknown>();
    const a = pod(3);
    expect(t.active(a)).toBe(0);
    expect(t.find(a)).toBeUndefined();
    t.of(a).active++;
    t.of(a).active++;
    expect(t.active(a)).toBe(2);
    expect(t.of(a)).toBe(t.find(a));
  });

  it("tells apart hosts with the same index (another service's pods) and keeps their counts", () => {
    const t = new HostStates<unknown>();
    const a = pod(0);
    const b = pod(0);
    const c = pod(5);
    t.of(a).active = 1;
    t.of(b).active = 7;
    t.of(c).active = 3;
    expect([t.active(a), t.active(b), t.active(c)]).toEqual([1, 7, 3]);
    expect(t.of(b).host).toBe(b);
  });
});
