/**
 * `meshsim import --metrics FILE|URL`: rates per edge, the call graph and call latencies from
 * Istio's standard metrics (https://istio.io/latest/docs/reference/config/metrics/):
 * `istio_requests_total`, `istio_request_duration_milliseconds`, `istio_request_bytes`,
 * `istio_response_bytes`, by `source_canonical_service` → `destination_canonical_service`.
 * A FILE is OpenMetrics (metrics.om, timestamps in seconds) or the Prometheus text format
 * (timestamps in milliseconds, or one scrape without timestamps together with `--window DURATION`).
 * A URL is a Prometheus server: its HTTP API (`/api/v1/query`, docs
 * https://prometheus.io/docs/prometheus/latest/querying/api/) is asked for `increase(…[W])` at the
 * window's end. Either way the figures become window deltas per series, read the same way.
 */
import { InputError } from '../config/diagnostics.js';
import { readInputText } from '../config/input-file.js';
import { parseDuration } from '../config/units.js';
import { fitHistogram, fmtMs, histogramQuantile, lognormalByMoments, describeForm, type Buckets } from './fit.js';
import { dnsLabel, serviceKey, type Traffic, type TrafficEdge, type TrafficEntry, type TrafficService } from './traffic.js';

/** One series' change over the window. */
export interface DeltaSeries {
  name: string;
  labels: Record<string, string>;
  delta: number;
}

export interface WindowData {
  series: DeltaSeries[];
  windowS: number;
  /** Where it came from, for comments. */
  source: string;
}

const FAMILIES = [
  'istio_requests_total',
  'istio_request_duration_milliseconds_bucket',
  'istio_request_duration_milliseconds_sum',
  'istio_request_duration_milliseconds_count',
  'istio_request_bytes_sum',
  'istio_request_bytes_count',
  'istio_response_bytes_sum',
  'istio_response_bytes_count',
];

const bad = (file: string, message: string, line = 1) => new InputError([{ file, line, col: 1, severity: 'error', message }]);

/** `T0,T1`: instants (ISO 8601 or Unix seconds) or, for a file, offsets from its first sample (`15s,60s`). A single duration: a snapshot's span. */
export interface WindowSpec {
  from?: { abs?: number; relS?: number };
  to?: { abs?: number; relS?: number };
  /** For a snapshot without timestamps: how long the counters counted. */
  spanS?: number;
}

function point(text: string): { abs?: number; relS?: number } | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t) && Number(t) > 1e8) return { abs: Number(t) };
  const d = parseDuration(t);
  if (d !== undefined) return { relS: d / 1e6 };
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return { abs: ms / 1000 };
  }
  return undefined;
}

export function parseWindow(text: string): WindowSpec {
  const flag = (message: string) =>
    new InputError([{ file: 'meshsim', line: 1, col: 1, severity: 'error', message: `--window: ${message}` }]);
  const parts = text.split(',');
  if (parts.length === 1) {
    const d = parseDuration(text.trim());
    if (d === undefined || d <= 0)
      throw flag(`expected T0,T1 (ISO 8601 instants, Unix seconds or offsets such as 15s,60s) or a duration, got "${text}"`);
    return { spanS: d / 1e6 };
  }
  if (parts.length !== 2) throw flag(`expected T0,T1, got "${text}"`);
  const from = point(parts[0]!);
  const to = point(parts[1]!);
  if (!from || !to) throw flag(`expected T0,T1 (ISO 8601 instants, Unix seconds or offsets such as 15s,60s), got "${text}"`);
  return { from, to };
}

interface Sample {
  key: string;
  name: string;
  labels: Record<string, string>;
  value: number;
  ts?: number;
}

/** Parses one exposition line's labels `{a="b",…}` (with \\ \" \n escapes). */
function parseLabels(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return s.slice(i).trim() === '' ? out : undefined;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    i = re.lastIndex;
  }
  return out;
}

/** Reads the Istio families of a metrics file into window deltas. */
export function readMetricsFile(file: string, win: WindowSpec): WindowData {
  const read = readInputText(file, 'metrics');
  if (!read.ok) throw new InputError([read.problem]);
  return readMetricsText(read.text, file, win);
}

/** The same, from the text of a metrics file (`file` names it in messages). */
export function readMetricsText(text: string, file: string, win: WindowSpec): WindowData {
  const lines = text.split('\n');
  const openMetrics = lines.some((l) => l.trim() === '# EOF');
  const samples: Sample[] = [];
  let sawSample = false;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(\S+))?$/.exec(line);
    if (!m) throw bad(file, `not Prometheus text or OpenMetrics: cannot read line ${i + 1} as a sample`, i + 1);
    sawSample = true;
    const name = m[1]!;
    if (!FAMILIES.includes(name)) return;
    const labels = m[2] ? parseLabels(m[2].slice(1, -1)) : {};
    if (!labels) throw bad(file, `not Prometheus text or OpenMetrics: bad labels on line ${i + 1}`, i + 1);
    const value = Number(m[3]);
    // OpenMetrics timestamps are seconds; the Prometheus text format's are milliseconds.
    const ts = m[4] === undefined ? undefined : Number(m[4]) / (openMetrics ? 1 : 1000);
    samples.push({ key: name + (m[2] ?? ''), name, labels, value, ts });
  });
  if (!sawSample) throw bad(file, 'not Prometheus text or OpenMetrics: no samples');
  if (!samples.some((s) => s.name === 'istio_requests_total')) throw bad(file, 'no istio_requests_total samples: not Istio metrics');
  const stamped = samples.filter((s) => s.ts !== undefined);
  if (stamped.length === 0) {
    // One scrape: the counters' values are what they counted since the pods started.
    if (win.spanS === undefined)
      throw bad(file, 'the samples have no timestamps (one scrape): give --window DURATION, how long the counters counted');
    return { series: samples.map((s) => ({ name: s.name, labels: s.labels, delta: s.value })), windowS: win.spanS, source: file };
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of stamped) {
    t0 = Math.min(t0, s.ts!);
    t1 = Math.max(t1, s.ts!);
  }
  // Default window: from the first scrape whose requests counter is non-zero (a warm-up or a
  // fresh start counts nothing before it) to the last sample.
  let from = Infinity;
  for (const s of stamped) if (s.name === 'istio_requests_total' && s.value > 0) from = Math.min(from, s.ts!);
  if (!Number.isFinite(from)) from = t0;
  const resolve = (p: { abs?: number; relS?: number } | undefined, dflt: number) =>
    p === undefined ? dflt : p.abs !== undefined ? p.abs : t0 + (p.relS ?? 0);
  const start = resolve(win.from, from === t1 ? t0 : from);
  const end = resolve(win.to, t1);
  if (!(end > start)) throw bad(file, `the window is empty: [${start}, ${end}] (the samples span ${t0} to ${t1})`);
  const bySeries = new Map<string, Sample[]>();
  for (const s of stamped) {
    let l = bySeries.get(s.key);
    if (!l) bySeries.set(s.key, (l = []));
    l.push(s);
  }
  const series: DeltaSeries[] = [];
  for (const list of bySeries.values()) {
    list.sort((a, b) => a.ts! - b.ts!);
    // The counter's increase over (start, end], counter resets included (as Prometheus' increase()).
    let prev: number | undefined;
    let delta = 0;
    for (const s of list) {
      if (s.ts! <= start) {
        prev = s.value;
        continue;
      }
      if (s.ts! > end) break;
      const base = prev ?? 0;
      delta += s.value >= base ? s.value - base : s.value;
      prev = s.value;
    }
    series.push({ name: list[0]!.name, labels: list[0]!.labels, delta });
  }
  return { series, windowS: end - start, source: `${file} over [${iso(start)}, ${iso(end)}]` };
}

const iso = (s: number) => new Date(Math.round(s * 1000)).toISOString();

/** Labels the queries keep (everything else is summed away). */
const BY = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_canonical_service',
  'source_canonical_revision',
  'destination_canonical_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_revision',
  'response_code',
];

/**
 * Window deltas from a Prometheus server's HTTP API (Node's fetch; one line exit 2 when it cannot be
 * reached). Without --window the window is the 10 minutes before `nowS` (the caller's wall clock).
 */
export async function queryPrometheus(url: string, win: WindowSpec, nowS: number): Promise<WindowData> {
  const flag = (message: string) =>
    new InputError([{ file: 'meshsim', line: 1, col: 1, severity: 'error', message: `--metrics: ${message}` }]);
  if (win.from?.relS !== undefined || win.to?.relS !== undefined)
    throw flag('with a Prometheus URL, --window takes instants (ISO 8601 or Unix seconds), e.g. 2026-01-01T00:00:15Z,2026-01-01T00:01:00Z');
  const end = win.to?.abs ?? nowS;
  const start = win.from?.abs ?? end - (win.spanS ?? 600);
  if (!(end > start)) throw flag(`the window is empty: [${iso(start)}, ${iso(end)}]`);
  const range = `${Math.round((end - start) * 1000)}ms`;
  const base = url.replace(/\/+$/, '');
  const series: DeltaSeries[] = [];
  for (const name of FAMILIES) {
    const by = name.endsWith('_bucket') ? [...BY, 'le'] : BY;
    const query = `sum by (${by.join(',')}) (increase(${name}[${range}]))`;
    const u = `${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${end}`;
    let body: unknown;
    try {
      const res = await fetch(u, { signal: AbortSignal.timeout(30_000) });
      body = await res.json();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${String((body as { error?: string }).error ?? '')}`);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw flag(`cannot query Prometheus at ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const data = (body as { data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } }).data;
    for (const r of data?.result ?? []) {
      const delta = Number(r.value[1]);
      if (Number.isFinite(delta)) series.push({ name, labels: r.metric, delta });
    }
  }
  if (!series.some((s) => s.name === 'istio_requests_total' && s.delta > 0))
    throw flag(`no istio_requests_total increase in [${iso(start)}, ${iso(end)}] at ${url}`);
  return { series, windowS: end - start, source: `${url} over [${iso(start)}, ${iso(end)}]` };
}

interface EdgeAcc {
  source: string;
  sourceNs: string;
  sourceWorkload: string;
  dest: string;
  destNs: string;
  requests: Map<string, number>;
  /** Duration histograms by reporter. */
  hist: Map<string, Buckets>;
  reqBytes: [number, number];
  respBytes: [number, number];
  destVersions: Set<string>;
}

const srcName = (l: Record<string, string>) => l.source_canonical_service ?? l.source_app ?? l.source_workload ?? 'unknown';
const dstName = (l: Record<string, string>) =>
  l.destination_canonical_service ?? l.destination_service_name ?? l.destination_app ?? 'unknown';

/** Reporter whose counts stand for an edge's requests: the server side (every attempt it served), else who reported. */
const RATE_REPORTERS = ['destination', 'waypoint', 'source'];
/** Reporter whose durations stand for a call as its caller saw it. */
const CALL_REPORTERS = ['source', 'waypoint', 'destination'];

export function trafficFromMetrics(w: WindowData): Traffic {
  const todos: string[] = [];
  const fits: string[] = [];
  const edges = new Map<string, EdgeAcc>();
  const edgeOf = (l: Record<string, string>): EdgeAcc => {
    const source = srcName(l);
    const dest = dstName(l);
    const sourceNs = l.source_workload_namespace ?? 'default';
    const destNs = l.destination_service_namespace ?? 'default';
    const k = `${source}\u0000${sourceNs}\u0000${dest}\u0000${destNs}`;
    let e = edges.get(k);
    if (!e)
      edges.set(
        k,
        (e = {
          source,
          sourceNs,
          sourceWorkload: l.source_workload ?? source,
          dest,
          destNs,
          requests: new Map(),
          hist: new Map(),
          reqBytes: [0, 0],
          respBytes: [0, 0],
          destVersions: new Set(),
        }),
      );
    return e;
  };
  for (const s of w.series) {
    const e = edgeOf(s.labels);
    const reporter = s.labels.reporter ?? 'destination';
    if (s.name === 'istio_requests_total') {
      e.requests.set(reporter, (e.requests.get(reporter) ?? 0) + s.delta);
      const v = s.labels.destination_canonical_revision;
      if (v && v !== 'latest' && v !== 'unknown' && s.delta > 0) e.destVersions.add(v);
      continue;
    }
    if (s.name.startsWith('istio_request_duration_milliseconds')) {
      let h = e.hist.get(reporter);
      if (!h) e.hist.set(reporter, (h = { le: [], cumulative: [], count: 0, sum: 0 }));
      if (s.name.endsWith('_sum')) h.sum += s.delta;
      else if (s.name.endsWith('_count')) h.count += s.delta;
      else {
        const le = Number(s.labels.le);
        if (!Number.isFinite(le)) continue;
        const i = h.le.indexOf(le);
        if (i >= 0) h.cumulative[i] = (h.cumulative[i] ?? 0) + s.delta;
        else {
          h.le.push(le);
          h.cumulative.push(s.delta);
        }
      }
      continue;
    }
    // Bytes: the server side's view when both reported.
    if (reporter !== 'destination' && e.requests.has('destination')) continue;
    const pair = s.name.startsWith('istio_request_bytes') ? e.reqBytes : e.respBytes;
    if (s.name.endsWith('_sum')) pair[0] += s.delta;
    else pair[1] += s.delta;
  }
  for (const e of edges.values())
    for (const h of e.hist.values()) {
      const order = h.le.map((_, i) => i).sort((a, b) => h.le[a]! - h.le[b]!);
      h.le = order.map((i) => h.le[i]!);
      h.cumulative = order.map((i) => h.cumulative[i]!);
    }
  const pick = <T>(m: Map<string, T>, prefs: string[]): [string, T] | undefined => {
    for (const p of prefs) {
      const v = m.get(p);
      if (v !== undefined) return [p, v];
    }
    return undefined;
  };
  const all = [...edges.values()].filter((e) => (pick(e.requests, RATE_REPORTERS)?.[1] ?? 0) > 0);
  all.sort((a, b) => (a.source + a.dest < b.source + b.dest ? -1 : a.source + a.dest > b.source + b.dest ? 1 : 0));
  const keyOf = (name: string, ns: string) => serviceKey(name, ns);
  const destKeys = new Set(all.map((e) => keyOf(e.dest, e.destNs)));

  const services = new Map<string, TrafficService>();
  const inbound = new Map<string, { rate: number; hist?: Buckets; reqB: [number, number]; respB: [number, number] }>();
  for (const e of all) {
    const k = keyOf(e.dest, e.destNs);
    let svc = services.get(k);
    if (!svc) services.set(k, (svc = { key: k, name: e.dest, namespace: e.destNs, ratePerS: 0, versions: [] }));
    const rate = pick(e.requests, RATE_REPORTERS)![1] / w.windowS;
    svc.ratePerS += rate;
    for (const v of e.destVersions) if (!svc.versions.includes(v)) svc.versions.push(v);
    let acc = inbound.get(k);
    if (!acc) inbound.set(k, (acc = { rate: 0, reqB: [0, 0], respB: [0, 0] }));
    acc.rate += rate;
    const h = pick(e.hist, ['destination', 'waypoint', 'source'])?.[1];
    if (h) acc.hist = acc.hist ? mergeBuckets(acc.hist, h) : { ...h, le: [...h.le], cumulative: [...h.cumulative] };
    acc.reqB[0] += e.reqBytes[0];
    acc.reqB[1] += e.reqBytes[1];
    acc.respB[0] += e.respBytes[0];
    acc.respB[1] += e.respBytes[1];
  }

  const out: TrafficEdge[] = [];
  const entries: TrafficEntry[] = [];
  const callStats = new Map<string, { k: number; mean: number; variance: number }[]>();
  for (const e of all) {
    const sk = keyOf(e.source, e.sourceNs);
    const dk = keyOf(e.dest, e.destNs);
    const [reporter, n] = pick(e.requests, RATE_REPORTERS)!;
    const rate = n / w.windowS;
    const callH = pick(e.hist, CALL_REPORTERS);
    const origin = `istio_requests_total{reporter="${reporter}"} ${e.source} → ${e.dest}: ${n.toFixed(0)} requests over ${w.windowS.toFixed(1)} s, ${w.source}`;
    const entry = !destKeys.has(sk) || e.source === 'unknown';
    const parentRate = inbound.get(sk)?.rate ?? 0;
    out.push({
      source: entry ? dnsLabel(e.source === 'unknown' ? `${e.dest}-clients` : e.sourceWorkload) : sk,
      destination: dk,
      ratePerS: rate,
      callsPerRequest: entry ? undefined : parentRate > 0 ? rate / parentRate : undefined,
      order: 0,
      p50Ms: callH ? histogramQuantile(0.5, callH[1]) : undefined,
      p99Ms: callH ? histogramQuantile(0.99, callH[1]) : undefined,
      origin,
    });
    if (entry) {
      entries.push({
        workload: dnsLabel(e.source === 'unknown' ? `${e.dest}-clients` : e.sourceWorkload),
        namespace: e.sourceNs === 'unknown' ? 'default' : e.sourceNs,
        target: dk,
        ratePerS: rate,
        requests: [{ method: 'GET', path: '/', weight: 1 }],
        origin,
      });
      continue;
    }
    if (callH) {
      const fit = fitHistogram(callH[1]);
      if (fit) {
        let l = callStats.get(sk);
        if (!l) callStats.set(sk, (l = []));
        l.push({ k: parentRate > 0 ? rate / parentRate : 1, mean: fit.meanMs, variance: fit.varianceMs2 });
      }
    }
  }
  const noOrder = new Set<string>();
  for (const e of out) if (e.callsPerRequest !== undefined) noOrder.add(e.source);
  for (const s of [...noOrder].sort()) {
    if (out.filter((e) => e.source === s).length > 1) todos.push(`${s}: metrics do not show the order of its calls: alphabetical`);
  }

  // Self time = inbound latency − Σ calls per request × call latency (means and variances; sequential, independent).
  for (const svc of services.values()) {
    const acc = inbound.get(svc.key)!;
    svc.versions.sort();
    const h = acc.hist;
    const fit = h ? fitHistogram(h) : undefined;
    if (!fit) {
      todos.push(`${svc.key}: no istio_request_duration_milliseconds samples: service time left at the default`);
      continue;
    }
    const calls = callStats.get(svc.key) ?? [];
    const callMean = calls.reduce((a, c) => a + c.k * c.mean, 0);
    const callVar = calls.reduce((a, c) => a + c.k * c.variance, 0);
    let mean = fit.meanMs - callMean;
    let variance = fit.varianceMs2 - callVar;
    const notes: string[] = [];
    if (mean < fit.meanMs * 0.05) {
      mean = fit.meanMs * 0.05;
      notes.push('clamped: its calls take about all of its latency');
      todos.push(`${svc.key}: its calls account for about all of its latency (parallel calls?): self time clamped`);
    }
    if (variance < (mean * 0.1) ** 2) {
      variance = (mean * 0.1) ** 2;
      notes.push('variance floored at CV 0.1');
    }
    const form = lognormalByMoments(mean, variance);
    svc.selfTime = {
      form,
      note: `${describeForm(form)}: lognormal by moments, mean ${fmtMs(mean)} = ${fmtMs(fit.meanMs)} latency (sum/count) − ${fmtMs(callMean)} in calls, sd ${fmtMs(Math.sqrt(variance))} (latency histogram fitted as lognormal, CDF rms error ${fit.rms.toFixed(3)})${notes.length ? `; ${notes.join('; ')}` : ''}`,
    };
    fits.push(`${svc.key}: ${svc.selfTime.note}`);
    const src = `istio_request_bytes / istio_response_bytes sum/count, ${w.source}`;
    if (acc.reqB[1] > 0) svc.requestSize = { bytes: Math.round(acc.reqB[0] / acc.reqB[1]), origin: src };
    if (acc.respB[1] > 0) svc.responseSize = { bytes: Math.round(acc.respB[0] / acc.respB[1]), origin: src };
  }
  const reporters = new Set(w.series.filter((s) => s.name === 'istio_requests_total').map((s) => s.labels.reporter));
  const modeHint = reporters.has('waypoint')
    ? { mode: 'ambient', origin: 'reporter="waypoint" in the metrics' }
    : reporters.has('source')
      ? { mode: 'sidecar', origin: 'reporter="source" (client sidecars) in the metrics' }
      : undefined;
  return { kind: 'metrics', source: w.source, services, edges: out, entries, modeHint, todos, fits, windowS: w.windowS };
}

function mergeBuckets(a: Buckets, b: Buckets): Buckets {
  const le = [...new Set([...a.le, ...b.le])].sort((x, y) => x - y);
  const at = (h: Buckets, bound: number) => {
    let c = 0;
    h.le.forEach((l, i) => {
      if (l <= bound) c = h.cumulative[i] ?? c;
    });
    return c;
  };
  return { le, cumulative: le.map((l) => at(a, l) + at(b, l)), count: a.count + b.count, sum: a.sum + b.sum };
}
