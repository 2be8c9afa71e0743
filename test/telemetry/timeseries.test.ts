/** Time series for the report (src/telemetry/timeseries.ts): bucket widths, totals, percentiles. */
import { describe, expect, it } from 'vitest';
import { bucketWidthUs, LogHistogram, MAX_BUCKETS, statusClass } from '../../src/telemetry/timeseries.js';
import { observedRun, scenarioFromYaml, SHOP } from '../report/observed-run.js';

describe('buckets', () => {
  it('uses a round width giving at most 600 buckets, whatever the duration', () => {
    for (const s of [0.5, 1, 7, 60, 120, 600, 3600, 86400, 7 * 86400, 365 * 86400]) {
      const w = bucketWidthUs(s * 1e6);
      expect((s * 1e6) / w, `${s}s`).toBeLessThanOrEqual(MAX_BUCKETS);
    }
    expect(bucketWidthUs(60e6)).toBe(5e5);
    expect(bucketWidthUs(3600e6)).toBe(30e6);
  });

  it('classes statuses as Envoy users read them', () => {
    expect([200, 204, 302, 404, 429, 500, 503, 0].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx', 'reset']);
  });
});

describe('LogHistogram', () => {
  it('gives percentiles within 2.5% of the exact ones', () => {
    const h = new LogHistogram();
    const values = Array.from({ length: 10000 }, (_, i) => 100 + i * 7.3);
    for (const v of values) h.record(v);
    for (const p of [50, 90, 99]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
      expect(Math.abs(h.percentileUs(p) - exact) / exact, `p${p}`).toBeLessThan(0.025);
    }
  });
});

describe('the observer on a run', () => {
  it('counts every end-user request once; after the warmup, the same requests and codes as results.json', () => {
    const run = observedRun(scenarioFromYaml(SHOP), { durationUs: 10e6 });
    const ts = run.obs.series.toJson();
    expect(ts.buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(ts.bucket_s).toBeCloseTo(0.05, 9);
    const measured = ts.buckets.filter((b) => b.t_s >= ts.warmup_s);
    expect(measured.reduce((n, b) => n + b.requests, 0)).toBe(run.results.requests.total);
    const codes: Record<string, number> = {};
    for (const b of measured) for (const [c, n] of Object.entries(b.by_code)) codes[c] = (codes[c] ?? 0) + n;
    expect(codes).toEqual(run.results.requests.by_code);
    expect(measured.reduce((n, b) => n + b.errors, 0)).toBe(run.results.requests.failed);
    // Windows cover the run without gaps; edges have a value per window.
    expect(ts.windows[0]?.t_s).toBe(0);
    for (let i = 1; i < ts.windows.length; i++) expect(ts.windows[i]?.t_s).toBe(ts.windows[i - 1]?.end_s);
    for (const e of ts.edges) expect(e.rps).toHaveLength(ts.windows.length);
    expect(ts.edges.map((e) => `${e.source}→${e.destination}`)).toEqual(run.results.edges.map((e) => `${e.source}→${e.destination}`));
    const p50s = ts.windows.filter((w) => w.t_s >= ts.warmup_s && w.latency_ms).map((w) => w.latency_ms?.p50 as number);
    const median = [...p50s].sort((a, b) => a - b)[Math.floor(p50s.length / 2)]!;
    expect(median / run.results.latency_ms.p50).toBeGreaterThan(0.8);
    expect(median / run.results.latency_ms.p50).toBeLessThan(1.25);
  });
});
