/**
 * Traces (src/telemetry/traces.ts) and their OTLP/JSON file (src/report/traces-json.ts): ids,
 * parent links, one trace along a chain of apps that forward the trace headers, a new trace at an
 * app that does not, deterministic sampling.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hash32, sampled, type SpanModel, type TraceModel } from '../../src/telemetry/traces.js';
import { toOtlpTraces, unixNano, type OtlpTraces } from '../../src/report/traces-json.js';
import { EPOCH, observedRun, scenarioFromYaml, SHOP, type ObservedRun } from '../report/observed-run.js';

let all: ObservedRun;
let traces: TraceModel[];

beforeAll(() => {
  // Every request sampled, over a short run.
  all = observedRun(scenarioFromYaml(SHOP), { traceSampleRate: 1, durationUs: 4e6 });
  traces = all.obs.traces.traces();
});

const roots = (t: TraceModel) => t.spans.filter((s) => s.parentSpanId === undefined);
const services = (t: TraceModel) => [...new Set(t.spans.map((s) => `${s.kind}:${s.serviceName}`))].sort();

describe('trace structure', () => {
  it('uses 32-hex trace ids and 16-hex span ids, unique, never all zero', () => {
    expect(traces.length).toBeGreaterThan(100);
    const ids = new Set<string>();
    for (const t of traces) {
      expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(t.traceId).not.toMatch(/^0+$/);
      for (const s of t.spans) {
        expect(s.traceId).toBe(t.traceId);
        expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(ids.has(s.spanId)).toBe(false);
        ids.add(s.spanId);
      }
    }
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(traces.length);
  });

  it('has one root per trace and every parent link inside the trace, children within their parents', () => {
    for (const t of traces) {
      expect(roots(t)).toHaveLength(1);
      expect(roots(t)[0]?.kind).toBe('client');
      const byId = new Map(t.spans.map((s) => [s.spanId, s]));
      for (const s of t.spans) {
        if (s.parentSpanId === undefined) continue;
        const parent = byId.get(s.parentSpanId) as SpanModel;
        expect(parent, `parent of ${s.spanId}`).toBeDefined();
        expect(s.startUs).toBeGreaterThanOrEqual(parent.startUs);
        // A server span is its client span's only kind of child; a client span's parent is a server span.
        expect(parent.kind).toBe(s.kind === 'server' ? 'client' : 'server');
        if (s.kind === 'server') expect(s.endUs).toBeLessThanOrEqual(parent.endUs);
      }
    }
  });

  it('follows an end-user request through every app that forwards the trace headers, in ONE trace', () => {
    const userTraces = traces.filter((t) => roots(t)[0]?.serviceName === 'users');
    expect(userTraces.length).toBeGreaterThan(100);
    const full = userTraces.filter((t) => t.spans.length === 6);
    expect(full.length).toBeGreaterThan(userTraces.length * 0.9);
    for (const t of full) {
      // users → frontend → {catalog, reviews}; catalog's own call to inventory is not in it.
      expect(services(t)).toEqual(['client:frontend', 'client:users', 'server:catalog', 'server:frontend', 'server:reviews']);
      const frontendServer = t.spans.find((s) => s.kind === 'server' && s.serviceName === 'frontend') as SpanModel;
      const frontendClients = t.spans.filter((s) => s.kind === 'client' && s.serviceName === 'frontend');
      expect(frontendClients.map((s) => s.parentSpanId)).toEqual([frontendServer.spanId, frontendServer.spanId]);
      // The same x-request-id on every span of the request.
      expect(new Set(t.spans.map((s) => s.requestId)).size).toBe(1);
    }
  });

  it('starts a NEW trace at a service that drops the trace headers (catalog → inventory)', () => {
    const fromCatalog = traces.filter((t) => roots(t)[0]?.serviceName === 'catalog');
    expect(fromCatalog.length).toBeGreaterThan(100);
    for (const t of fromCatalog) {
      const root = roots(t)[0]!;
      expect(root.name).toBe('inventory.default.svc.cluster.local:8080/*');
      expect(root.parentSpanId).toBeUndefined();
      expect(services(t).every((s) => s === 'client:catalog' || s === 'server:inventory')).toBe(true);
    }
    // The catalog server span in the user's trace has no children: the chain is broken there.
    const userTrace = traces.find((t) => roots(t)[0]?.serviceName === 'users' && t.spans.length === 6) as TraceModel;
    const catalogServer = userTrace.spans.find((s) => s.kind === 'server' && s.serviceName === 'catalog') as SpanModel;
    expect(userTrace.spans.some((s) => s.parentSpanId === catalogServer.spanId)).toBe(false);
    const newTraceIds = new Set(fromCatalog.map((t) => t.traceId));
    expect(newTraceIds.has(userTrace.traceId)).toBe(false);
  });
});

describe('sampling', () => {
  it('decides from a hash of (seed, root call id): deterministic, near the rate, seed-dependent', () => {
    let n = 0;
    for (let id = 1; id <= 20000; id++) if (sampled(7, id, 0.01)) n++;
    expect(n).toBeGreaterThan(150);
    expect(n).toBeLessThan(250);
    expect([...Array(50).keys()].map((i) => sampled(7, i, 0.5))).toEqual([...Array(50).keys()].map((i) => sampled(7, i, 0.5)));
    expect([...Array(64).keys()].map((i) => sampled(7, i, 0.5))).not.toEqual([...Array(64).keys()].map((i) => sampled(8, i, 0.5)));
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    expect(sampled(1, 1, 0)).toBe(false);
    expect(sampled(1, 1, 1)).toBe(true);
  });

  it('keeps about 1% of requests by default, the same ones on every run', () => {
    const a = observedRun(scenarioFromYaml(SHOP), { durationUs: 12e6 });
    const b = observedRun(scenarioFromYaml(SHOP), { durationUs: 12e6 });
    const ta = a.obs.traces.traces();
    const userTraces = ta.filter((t) => roots(t)[0]?.serviceName === 'users').length;
    expect(userTraces).toBeGreaterThan(5);
    expect(userTraces).toBeLessThan(60);
    expect(b.files['traces.json']).toBe(a.files['traces.json']);
  });
});

describe('traces.json (OTLP/JSON)', () => {
  let doc: OtlpTraces;
  beforeAll(() => {
    doc = JSON.parse(all.files['traces.json']) as OtlpTraces;
  });

  it('is one resourceSpans entry per service.name, sorted, with hex ids and string nanoseconds', () => {
    const names = doc.resourceSpans.map(
      (r) => (r.resource.attributes.find((a) => a.key === 'service.name')?.value as { stringValue: string }).stringValue,
    );
    expect(names).toEqual(['catalog', 'frontend', 'inventory', 'reviews', 'users']);
    const epochNs = BigInt(EPOCH.ms) * 1_000_000n;
    for (const rs of doc.resourceSpans) {
      for (const span of rs.scopeSpans[0]?.spans ?? []) {
        expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
        if (span.parentSpanId !== undefined) expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
        expect(span.startTimeUnixNano).toMatch(/^\d+$/);
        expect(BigInt(span.startTimeUnixNano) >= epochNs).toBe(true);
        expect(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano)).toBe(true);
        expect([2, 3]).toContain(span.kind);
        const attr = (k: string) => span.attributes.find((a) => a.key === k)?.value;
        expect(attr('http.method')).toEqual({ stringValue: 'GET' });
        const code = Number((attr('http.status_code') as { intValue: string }).intValue);
        expect(span.status.code).toBe(code === 0 || code >= 500 ? 2 : 0);
        expect(attr('upstream_cluster')).toBeDefined();
      }
    }
  });

  it('marks 5xx and resets as errors', () => {
    const span = (status: number): SpanModel => ({
      traceId: '1'.repeat(32),
      spanId: '2'.repeat(16),
      kind: 'client',
      serviceName: 'a',
      namespace: 'default',
      name: 'n',
      startUs: 1.5,
      endUs: 2,
      status,
      flags: '',
      callId: 1,
      requestId: 'r',
      attributes: [],
    });
    const out = toOtlpTraces([{ traceId: '1'.repeat(32), rootCallId: 1, spans: [span(503), span(0), span(200), span(404)] }], EPOCH.ms);
    expect(out.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.status.code)).toEqual([2, 2, 0, 0]);
    expect(out.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.startTimeUnixNano).toBe('1767225600000001500');
    expect(unixNano(EPOCH.ms, 2.5e6)).toBe('1767225602500000000');
  });
});

describe('warm-up', () => {
  it('is left out of traces and the access log as it is of the counters', () => {
    const scenario = { ...scenarioFromYaml(SHOP), warmupUs: 2e6 };
    const run = observedRun(scenario, { traceSampleRate: 1, durationUs: 4e6 });
    const traces = run.obs.traces.traces();
    expect(traces.length).toBeGreaterThan(0);
    for (const t of traces) for (const s of t.spans) expect(s.startUs).toBeGreaterThanOrEqual(2e6);
    for (const c of run.obs.traces.sampledCalls()) expect(c.record.call.rootStartUs).toBeGreaterThanOrEqual(2e6);
  });
});
