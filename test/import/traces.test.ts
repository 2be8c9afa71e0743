/**
 * Trace exports as real SDKs and proxies write them: OTLP/JSON with enum names for `kind`,
 * INTERNAL spans between a request and its calls, Istio proxies' `name.namespace` service names
 * (istio/istio pilot/pkg/networking/core/tracing.go), parallel calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTraces, trafficFromSpans } from '../../src/import/traces.js';
import { fitSamples, histogramQuantile } from '../../src/import/fit.js';

const dir = mkdtempSync(join(tmpdir(), 'meshsim-traces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attr = (key: string, v: string | number) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });

/** n traces: web.shop SERVER → INTERNAL "render" → CLIENT → api.shop SERVER (10 ms), web's own work 5 ms. */
function otlp(n: number): string {
  const web: unknown[] = [];
  const api: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const traceId = i.toString(16).padStart(32, '0');
    const t0 = 1_767_225_600_000_000_000n + BigInt(i) * 50_000_000n; // 20 requests/s
    const ns = (ms: number) => String(t0 + BigInt(Math.round(ms * 1e6)));
    const id = (k: number) => (i * 10 + k).toString(16).padStart(16, '0');
    web.push({
      traceId,
      spanId: id(1),
      name: 'GET /',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: ns(0),
      endTimeUnixNano: ns(15 + (i % 5) * 0.1),
      attributes: [attr('http.request.method', 'GET'), attr('url.path', '/home')],
    });
    web.push({
      traceId,
      spanId: id(2),
      parentSpanId: id(1),
      name: 'render',
      kind: 'SPAN_KIND_INTERNAL',
      startTimeUnixNano: ns(1),
      endTimeUnixNano: ns(14),
    });
    web.push({
      traceId,
      spanId: id(3),
      parentSpanId: id(2),
      name: 'GET',
      kind: 3,
      startTimeUnixNano: ns(3),
      endTimeUnixNano: ns(13),
      attributes: [attr('url.full', 'http://api.shop:8080/v1/items?x=1'), attr('http.request.method', 'POST')],
    });
    api.push({
      traceId,
      spanId: id(4),
      parentSpanId: id(3),
      name: 'POST /v1/items',
      kind: 2,
      startTimeUnixNano: ns(3.2),
      endTimeUnixNano: ns(12.8),
      attributes: [attr('http.response_content_length', 2048)],
    });
  }
  const rs = (service: string, spans: unknown[]) => ({
    resource: { attributes: [attr('service.name', service)] },
    scopeSpans: [{ scope: { name: 'sdk' }, spans }],
  });
  return JSON.stringify({ resourceSpans: [rs('web.shop', web), rs('api.shop', api)] });
}

describe('OTLP/JSON as SDKs and proxies export it', () => {
  it('walks through INTERNAL spans, splits name.namespace, reads methods, paths and sizes', () => {
    const f = join(dir, 'otlp.json');
    writeFileSync(f, otlp(200));
    const t = trafficFromSpans(f, readTraces(f), { sampling: 0.5 });
    expect([...t.services.keys()].sort()).toEqual(['api.shop', 'web.shop']);
    const e = t.edges.find((x) => x.source === 'web.shop' && x.destination === 'api.shop')!;
    expect(e.callsPerRequest).toBe(1);
    expect(e.method).toBe('POST');
    expect(e.path).toBe('/v1/items?x=1');
    // 20 requests/s observed at a sampling of 0.5: 40 requests/s.
    expect(e.ratePerS).toBeCloseTo(40, 6);
    const entry = t.entries[0]!;
    expect(entry).toMatchObject({ workload: 'web-clients', namespace: 'shop', target: 'web.shop' });
    expect(entry.requests).toEqual([{ method: 'GET', path: '/home', weight: 200 }]);
    // Self time = 15.0–15.4 ms − the 10 ms call.
    const self = t.services.get('web.shop')!.selfTime!.form;
    expect(self.distribution === 'lognormal' || self.distribution === 'constant').toBe(true);
    expect(t.services.get('api.shop')!.responseSize?.bytes).toBe(2048);
  });
});

describe('fits', () => {
  it('a lognormal sample is fitted as lognormal with its median and p99 within a few percent', () => {
    // Deterministic quantiles of lognormal(median 3, p99 15): exp(mu + sigma * z_i).
    const sigma = Math.log(5) / 2.3263478740408408;
    const z = (p: number) => {
      // z_i by bisection on a tanh approximation of the normal CDF (within 1e-3: enough here).
      let lo = -8;
      let hi = 8;
      for (let k = 0; k < 60; k++) {
        const mid = (lo + hi) / 2;
        if (0.5 * (1 + Math.tanh(mid * 0.7978845608 * (1 + 0.044715 * mid * mid))) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const samples = Array.from({ length: 999 }, (_, i) => 3 * Math.exp(sigma * z((i + 1) / 1000)));
    const f = fitSamples(samples).form;
    expect(f.distribution).toBe('lognormal');
    if (f.distribution !== 'lognormal') return;
    expect(f.medianMs / 3).toBeCloseTo(1, 1);
    expect(f.p99Ms / 15).toBeGreaterThan(0.9);
    expect(f.p99Ms / 15).toBeLessThan(1.1);
  });
  it("histogram_quantile interpolates within the bucket, as Prometheus' bucketQuantile", () => {
    const b = { le: [1, 5, 10], cumulative: [10, 60, 100], count: 100, sum: 400 };
    expect(histogramQuantile(0.5, b)).toBeCloseTo(1 + (4 * 40) / 50, 9);
    expect(histogramQuantile(0.05, b)).toBeCloseTo(0.5, 9);
  });
});

describe('calls to services that write no spans', () => {
  it('a CLIENT span to redis with no SERVER span below it is a call to a service "redis"', () => {
    const spans = [];
    for (let i = 0; i < 50; i++) {
      const traceId = (i + 1).toString(16).padStart(32, '0');
      const t0 = 1_767_225_600_000_000_000n + BigInt(i) * 100_000_000n;
      const ns = (ms: number) => String(t0 + BigInt(ms * 1e6));
      spans.push({ traceId, spanId: `a${i}`, name: 'GET /cart', kind: 2, startTimeUnixNano: ns(0), endTimeUnixNano: ns(6) });
      spans.push({
        traceId,
        spanId: `b${i}`,
        parentSpanId: `a${i}`,
        name: 'HGET',
        kind: 3,
        startTimeUnixNano: ns(1),
        endTimeUnixNano: ns(3),
        attributes: [attr('db.system', 'redis')],
      });
      spans.push({
        traceId,
        spanId: `c${i}`,
        parentSpanId: `a${i}`,
        name: 'GET',
        kind: 3,
        startTimeUnixNano: ns(3),
        endTimeUnixNano: ns(4),
        attributes: [attr('url.full', 'https://api.example.com/x')],
      });
    }
    const f = join(dir, 'redis.json');
    writeFileSync(
      f,
      JSON.stringify({ resourceSpans: [{ resource: { attributes: [attr('service.name', 'cart')] }, scopeSpans: [{ spans }] }] }),
    );
    const t = trafficFromSpans(f, readTraces(f), { sampling: 1 });
    expect(t.edges.map((e) => `${e.source} → ${e.destination}`).sort()).toEqual(['cart → redis', 'cart-clients → cart']);
    expect(t.todos.some((x) => x.startsWith('redis writes no spans'))).toBe(true);
    // cart's self time: 6 ms − the 2 ms redis call (the external call stays in it).
    const self = t.services.get('cart')!.selfTime!.form;
    expect(self).toEqual({ distribution: 'constant', valueMs: 4 });
  });
});
