/**
 * A service whose app does not forward the trace headers cuts the trace: Istio's proxies create
 * the spans, but "applications need to propagate the appropriate HTTP headers so that when the
 * proxies send span information, the spans can be correlated correctly into a single trace"
 * (https://istio.io/latest/docs/tasks/observability/distributed-tracing/overview/). The report
 * picks one trace of each kind to draw side by side.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/sim/simulate.js';
import { TraceObserver } from '../../src/telemetry/traces.js';
import { traceSamples } from '../../src/report/trace-samples.js';
import { scenarioFromFile } from '../dataplane/run-scenario.js';

describe('traces broken by a service that does not forward trace headers (scenarios/broken-trace.yaml)', () => {
  const scenario = scenarioFromFile('scenarios/broken-trace.yaml');
  const traces = new TraceObserver({ seed: scenario.seed, network: scenario.network, sampleRate: 0.05, fromUs: scenario.warmupUs });
  simulate(scenario, { observers: [traces] });
  const all = traces.traces();

  it("a forwarding path is one trace from the edge to the leaf: client and server span per hop, each server span the child of its call's client span", () => {
    const whole = all.filter((t) => t.brokenBy === undefined && t.spans[0]?.serviceName === 'web-users');
    expect(whole.length).toBeGreaterThan(0);
    for (const t of whole) {
      expect(t.spans.map((s) => `${s.kind}:${s.serviceName}`)).toEqual([
        'client:web-users',
        'server:shop',
        'client:shop',
        'server:cart',
        'client:cart',
        'server:pricing',
        'client:pricing',
        'server:tax',
      ]);
      expect(new Set(t.spans.map((s) => s.traceId)).size).toBe(1);
    }
  });

  it('a non-forwarding app ends its request’s trace at its own hop; its call starts a new trace, marked brokenBy', () => {
    const cut = all.filter((t) => t.spans[0]?.serviceName === 'legacy-users');
    expect(cut.length).toBeGreaterThan(0);
    for (const t of cut) expect(t.spans.map((s) => `${s.kind}:${s.serviceName}`)).toEqual(['client:legacy-users', 'server:legacy-shop']);
    const orphans = all.filter((t) => t.brokenBy !== undefined);
    expect(orphans.length).toBeGreaterThan(0);
    for (const t of orphans) {
      expect(t.brokenBy).toBe('legacy-shop');
      expect(t.spans[0]).toMatchObject({ kind: 'client', serviceName: 'legacy-shop', parentSpanId: undefined });
    }
  });

  it('the report draws the fullest whole trace and a broken one, and counts the broken ones', () => {
    const s = traceSamples(all);
    expect(s.complete?.spans).toHaveLength(8);
    expect(s.broken?.brokenBy).toBe('legacy-shop');
    expect(s.brokenCount).toBe(all.filter((t) => t.brokenBy !== undefined).length);
  });
});
