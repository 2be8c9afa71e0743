/**
 * metrics.prom (text exposition 0.0.4) and metrics.om (OpenMetrics over simulated time): format,
 * ordering, agreement with results.json, and — where promtool is on PATH — promtool's own checks
 * (`check metrics`, `tsdb create-blocks-from openmetrics`). CI installs Debian's `prometheus`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { omCanonical, parseEpoch, toOpenMetrics } from '../../src/report/openmetrics.js';
import { derivedFamilies, toPrometheusText } from '../../src/report/prometheus.js';
import { ENVOY_BUCKETS } from '../../src/telemetry/istio-metrics.js';
import { EPOCH, observedRun, scenarioFromYaml, SHOP, type ObservedRun } from './observed-run.js';

const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!PROMTOOL) console.warn('promtool not on PATH: skipping the promtool checks (apt-get install prometheus to run them; CI installs it)');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  ts?: number;
  raw: string;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (\S+))?$/;

function parse(text: string): { samples: Sample[]; meta: string[] } {
  const samples: Sample[] = [];
  const meta: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      meta.push(line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]), ts: m[4] === undefined ? undefined : Number(m[4]), raw: line });
  }
  return { samples, meta };
}

const seriesKey = (s: Sample, drop: string[] = []) =>
  `${s.name}{${Object.entries(s.labels)
    .filter(([k]) => !drop.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

let run: ObservedRun;
let prom: ReturnType<typeof parse>;
let om: ReturnType<typeof parse>;
const tmp = mkdtempSync(join(tmpdir(), 'meshsim-prom-'));

beforeAll(() => {
  run = observedRun(scenarioFromYaml(SHOP));
  prom = parse(run.files['metrics.prom']);
  om = parse(run.files['metrics.om']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('metrics.prom (text exposition 0.0.4)', () => {
  it('has one HELP and one TYPE line per family, before its samples, families in name order', () => {
    const text = run.files['metrics.prom'];
    expect(text.endsWith('\n')).toBe(true);
    const types = prom.meta.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!);
    const helps = prom.meta.filter((l) => l.startsWith('# HELP ')).map((l) => l.split(' ')[2]!);
    expect(types).toEqual(helps);
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(types);
    expect(types).toEqual(
      expect.arrayContaining([
        'istio_requests_total',
        'istio_request_duration_milliseconds',
        'istio_request_bytes',
        'istio_response_bytes',
        'istio_tcp_connections_opened_total',
      ]),
    );
    const lines = text.split('\n');
    for (const fam of types) {
      const typeAt = lines.indexOf(lines.find((l) => l.startsWith(`# TYPE ${fam} `)) as string);
      const first = lines.findIndex(
        (l) => !l.startsWith('#') && (l.startsWith(`${fam}{`) || l.startsWith(`${fam}_`) || l.startsWith(`${fam} `)),
      );
      expect(first).toBeGreaterThan(typeAt);
    }
  });

  it('writes every Istio label, Envoy-style le values, cumulative buckets with +Inf equal to _count', () => {
    const req = prom.samples.filter((s) => s.name === 'istio_requests_total');
    expect(req.length).toBeGreaterThan(0);
    for (const s of req) {
      for (const l of [
        'reporter',
        'source_workload',
        'source_workload_namespace',
        'source_principal',
        'source_app',
        'source_version',
        'destination_workload',
        'destination_workload_namespace',
        'destination_principal',
        'destination_app',
        'destination_version',
        'destination_service',
        'destination_service_name',
        'destination_service_namespace',
        'request_protocol',
        'response_code',
        'response_flags',
        'connection_security_policy',
      ])
        expect(s.labels, l).toHaveProperty(l);
      expect(['source', 'destination']).toContain(s.labels.reporter);
      if (s.labels.reporter === 'source') expect(s.labels.connection_security_policy).toBe('unknown');
      else expect(['mutual_tls', 'none']).toContain(s.labels.connection_security_policy);
      expect(s.labels.response_flags).not.toBe('');
    }
    const buckets = prom.samples.filter((s) => s.name === 'istio_request_duration_milliseconds_bucket');
    const bySeries = new Map<string, Sample[]>();
    for (const b of buckets) {
      const k = seriesKey(b, ['le']);
      bySeries.set(k, [...(bySeries.get(k) ?? []), b]);
    }
    const counts = new Map(
      prom.samples
        .filter((s) => s.name === 'istio_request_duration_milliseconds_count')
        .map((s) => [seriesKey(s).replace('_count{', '_bucket{'), s.value]),
    );
    for (const [k, list] of bySeries) {
      expect(list.map((b) => b.labels.le)).toEqual([...ENVOY_BUCKETS.map(String), '+Inf']);
      for (let i = 1; i < list.length; i++) expect(list[i]!.value).toBeGreaterThanOrEqual(list[i - 1]!.value);
      expect(list[list.length - 1]!.value).toBe(counts.get(k));
    }
    expect(prom.samples.some((s) => s.labels.le === '1800000')).toBe(true);
  });

  it('counts, per edge and per code, exactly what results.json counts', () => {
    const r = run.results;
    const src = prom.samples.filter((s) => s.name === 'istio_requests_total' && s.labels.reporter === 'source');
    const byEdge = new Map<string, number>();
    const byEdgeCode = new Map<string, number>();
    for (const s of src) {
      const e = `${s.labels.source_app}→${s.labels.destination_service_name}`;
      byEdge.set(e, (byEdge.get(e) ?? 0) + s.value);
      byEdgeCode.set(`${e}:${s.labels.response_code}`, (byEdgeCode.get(`${e}:${s.labels.response_code}`) ?? 0) + s.value);
    }
    expect(r.edges.length).toBeGreaterThan(3);
    for (const e of r.edges) {
      expect(byEdge.get(`${e.source}→${e.destination}`), `${e.source}→${e.destination}`).toBe(e.requests);
      for (const [code, n] of Object.entries(e.by_code)) expect(byEdgeCode.get(`${e.source}→${e.destination}:${code}`)).toBe(n);
    }
    expect([...byEdge.values()].reduce((a, b) => a + b, 0)).toBe(r.edges.reduce((n, e) => n + e.requests, 0));
    const endUser = src.filter((s) => s.labels.source_workload === 'users');
    expect(endUser.reduce((n, s) => n + s.value, 0)).toBe(r.requests.total);
    for (const [code, n] of Object.entries(r.requests.by_code))
      expect(endUser.filter((s) => s.labels.response_code === code).reduce((a, s) => a + s.value, 0)).toBe(n);
    // The destination side saw every request that reached a pod, each retry included: exactly
    // what results.json counts per service.
    const dstSamples = prom.samples.filter((s) => s.name === 'istio_requests_total' && s.labels.reporter === 'destination');
    for (const [name, svc] of Object.entries(r.services)) {
      const seen = dstSamples.filter((s) => s.labels.destination_service_name === name).reduce((n, s) => n + s.value, 0);
      expect(seen, name).toBe(svc.requests.total);
    }
    const tcp = prom.samples.filter((s) => s.name === 'istio_tcp_connections_opened_total').reduce((n, s) => n + s.value, 0);
    expect(tcp).toBe(r.connections.opened);
  });

  it('is byte-identical for the same run and sorted whatever the call order', () => {
    const again = observedRun(scenarioFromYaml(SHOP));
    expect(again.files['metrics.prom']).toBe(run.files['metrics.prom']);
    expect(again.files['metrics.om']).toBe(run.files['metrics.om']);
  });

  it('escapes label values and HELP text', () => {
    const text = toPrometheusText([
      { name: 'x', type: 'gauge', help: 'a \\ b\nc', series: [{ labels: [['path', 'a"b\\c\nd']], points: [{ tUs: 0, value: 1 }] }] },
    ]);
    expect(text).toBe('# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{path="a\\"b\\\\c\\nd"} 1\n');
  });

  it.skipIf(!PROMTOOL)("passes `promtool check metrics` (only the milliseconds-unit lint, which is Istio's own name)", () => {
    const p = spawnSync('promtool', ['check', 'metrics'], { input: run.files['metrics.prom'], encoding: 'utf8' });
    const problems = `${p.stdout}${p.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '' && !/istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"/.test(l));
    expect(problems).toEqual([]);
    expect([0, 3]).toContain(p.status);
  });
});

describe('metrics.om (OpenMetrics over simulated time)', () => {
  it('ends with # EOF, timestamps every sample in seconds from the epoch, never interleaves', () => {
    const text = run.files['metrics.om'];
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text.includes('\r')).toBe(false);
    expect(text).not.toMatch(/_created/);
    const epochS = EPOCH.ms / 1000;
    const endS = epochS + run.results.simulated.duration_s + 600;
    const seenFamilies: string[] = [];
    const seenSeries = new Set<string>();
    let current = '';
    const lastTs = new Map<string, number>();
    for (const s of om.samples) {
      expect(s.ts, s.raw).toBeDefined();
      expect(s.ts as number).toBeGreaterThanOrEqual(epochS);
      expect(s.ts as number).toBeLessThanOrEqual(endS);
      const fam = s.name.replace(/_(total|bucket|count|sum)$/, '');
      if (seenFamilies[seenFamilies.length - 1] !== fam) {
        expect(seenFamilies, `family ${fam} interleaved`).not.toContain(fam);
        seenFamilies.push(fam);
      }
      const series = `${fam}${seriesKey({ ...s, name: '' }, ['le'])}`;
      if (series !== current) {
        expect(seenSeries.has(series), `series ${series} interleaved`).toBe(false);
        seenSeries.add(series);
        current = series;
      }
      const k = seriesKey(s);
      const prev = lastTs.get(k);
      if (prev !== undefined) expect(s.ts as number).toBeGreaterThan(prev);
      lastTs.set(k, s.ts as number);
    }
    expect(om.meta).toContain('# TYPE istio_requests counter');
    expect(om.meta).toContain('# UNIT istio_request_duration_milliseconds milliseconds');
  });

  it('samples on the 15 s scrape grid, with canonical le values, and ends at the metrics.prom values', () => {
    const epochS = EPOCH.ms / 1000;
    const ts = [...new Set(om.samples.filter((s) => s.name === 'istio_requests_total').map((s) => s.ts as number))].sort((a, b) => a - b);
    expect(ts.slice(0, 3)).toEqual([epochS, epochS + 15, epochS + 30]);
    expect(om.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le)).toContain('1.8e+06');
    expect(om.samples.some((s) => s.labels.le === '1.0')).toBe(true);
    const last = new Map<string, number>();
    for (const s of om.samples.filter((x) => x.name === 'istio_requests_total')) last.set(seriesKey(s), s.value);
    const promReq = prom.samples.filter((s) => s.name === 'istio_requests_total');
    expect(last.size).toBe(promReq.length);
    for (const s of promReq) expect(last.get(seriesKey(s))).toBe(s.value);
  });

  it('formats numbers as OpenMetrics canonical numbers (Go %g) and parses --epoch strictly', () => {
    expect([0.5, 1, 5, 100000, 600000, 1e6, 1800000, 3600000, 1e-5, 0.0001, 1.1e23, 0].map(omCanonical)).toEqual([
      '0.5',
      '1.0',
      '5.0',
      '100000.0',
      '600000.0',
      '1e+06',
      '1.8e+06',
      '3.6e+06',
      '1e-05',
      '0.0001',
      '1.1e+23',
      '0.0',
    ]);
    expect(parseEpoch('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseEpoch('2026-01-01T01:00:00+01:00')).toBe(Date.UTC(2026, 0, 1));
    expect(parseEpoch('now')).toBeUndefined();
    expect(parseEpoch('2026-01-01')).toBeUndefined();
  });

  it('turns outlier events into Envoy ejection counters and gauges over the scrape grid', () => {
    const results = {
      ...run.results,
      outlier: {
        events: [
          { t_s: 10, type: 'outlier_eject', service: 'reviews', pod: 'reviews-v2-0', action: 'eject' },
          { t_s: 40, type: 'outlier_uneject', service: 'reviews', pod: 'reviews-v2-0', action: 'uneject' },
        ],
      },
    };
    const fams = derivedFamilies(results, run.scenario, [15e6, 30e6, 45e6]);
    const enforced = fams.find((f) => f.name === 'envoy_cluster_outlier_detection_ejections_enforced');
    const active = fams.find((f) => f.name === 'envoy_cluster_outlier_detection_ejections_active');
    expect(enforced?.series[0]?.labels).toEqual([['cluster_name', 'outbound|8080||reviews.default.svc.cluster.local']]);
    expect(enforced?.series[0]?.points.map((p) => p.value)).toEqual([0, 1, 1, 1]);
    expect(active?.series[0]?.points.map((p) => p.value)).toEqual([0, 1, 1, 0]);
    const text = toOpenMetrics(fams, EPOCH.ms);
    expect(text).toContain(
      'envoy_cluster_outlier_detection_ejections_enforced_total{cluster_name="outbound|8080||reviews.default.svc.cluster.local"} 1 1767225615',
    );
    expect(toPrometheusText(fams)).toContain('# TYPE envoy_cluster_outlier_detection_ejections_active gauge');
  });

  it.skipIf(!PROMTOOL)('is accepted by `promtool tsdb create-blocks-from openmetrics`, every series in one block', () => {
    const file = join(tmp, 'metrics.om');
    writeFileSync(file, run.files['metrics.om']);
    const out = join(tmp, 'data');
    const p = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, out], { encoding: 'utf8' });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    const blocks = readdirSync(out).filter((d) => existsSync(join(out, d, 'meta.json')));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    const series = new Set(om.samples.map((s) => seriesKey(s))).size;
    const row = p.stdout.split('\n').find((l) => /^[0-9A-Z]{26}\s/.test(l)) as string;
    // BLOCK ULID, MIN TIME, MAX TIME, DURATION, NUM SAMPLES, NUM CHUNKS, NUM SERIES, SIZE
    const cols = row.trim().split(/\s+/);
    expect(Number(cols[1])).toBe(EPOCH.ms);
    expect(Number(cols[6])).toBe(series);
    expect(Number(cols[4])).toBe(om.samples.length);
  });
});

describe('Istio metrics in ambient mode', () => {
  it('HTTP series come only from waypoints (reporter="waypoint"); calls without a waypoint have none', () => {
    const scenario = scenarioFromYaml(SHOP);
    const withWaypoint = { ...scenario, mesh: { ...scenario.mesh, waypoints: [scenario.services[0]!.key] } };
    const plain = observedRun(scenario, { mode: 'ambient' });
    expect(parse(plain.files['metrics.prom']).samples.filter((s) => s.name === 'istio_requests_total')).toEqual([]);
    const wp = observedRun(withWaypoint, { mode: 'ambient' });
    const series = parse(wp.files['metrics.prom']).samples.filter((s) => s.name === 'istio_requests_total');
    expect(series.length).toBeGreaterThan(0);
    expect(new Set(series.map((s) => s.labels.reporter))).toEqual(new Set(['waypoint']));
    expect(new Set(series.map((s) => s.labels.destination_service_name))).toEqual(new Set([scenario.services[0]?.name]));
  });
});
