/**
 * Vega-Lite specs for the report charts: pure functions of the run's data, no I/O. Time axes are
 * simulated seconds on a quantitative scale (no dates, so no time-zone surprises).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResultsJson } from '../results.js';
import type { TimelineEvent } from '../../record/timeline.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import { BAD, CATEGORICAL, codeColor, componentColor, modeColor, MUTED, OK, PERCENTILE_COLORS, VL_CONFIG, WARN } from './theme.js';

export const FULL_WIDTH = 940;
const HEIGHT = 210;

type Row = Record<string, string | number | null>;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export function base(width = FULL_WIDTH, height = HEIGHT): { config: typeof VL_CONFIG; width: number; height: number } {
  return { config: VL_CONFIG, width, height };
}

/** Vega-Lite's types are too deep to check literals against; specs are checked by compiling them. */
export const vl = (spec: object): TopLevelSpec => spec as TopLevelSpec;

/** Round tick values for a time axis: about ten, at 1, 2 or 5 × 10^n seconds. */
export function timeTicks(durationS: number): number[] {
  const raw = durationS / 10;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let i = 0; i * step <= durationS * (1 + 1e-9); i++) out.push(round(i * step, 9));
  return out;
}

export const timeAxis = (durationS: number) => ({
  field: 't',
  type: 'quantitative' as const,
  title: 'simulated time (s)',
  scale: { domain: [0, durationS], nice: false, zero: true },
  axis: { format: '~f', values: timeTicks(durationS) },
});

/** A grey band over the warmup window, labelled, as the first layer of time charts. */
export function warmupLayers(ts: { warmup_s: number }): object[] {
  if (!(ts.warmup_s > 0)) return [];
  return [
    {
      data: { values: [{ from: 0, to: ts.warmup_s }] },
      mark: { type: 'rect', color: '#f3f4f6' },
      encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
    },
    {
      data: { values: [{ t: ts.warmup_s / 2, label: 'warmup' }] },
      mark: { type: 'text', color: '#9ca3af', fontSize: 10, baseline: 'top', dy: -2, y: 2 },
      encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

/** p50, p90 and p99 of end-user latency per time bucket. */
export function latencyOverTime(ts: TimeSeriesJson): TopLevelSpec {
  const rows: Row[] = [];
  let lo = Infinity;
  let hi = 0;
  for (const w of ts.windows) {
    if (!w.latency_ms) continue;
    const t = round((w.t_s + w.end_s) / 2, 6);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const v = w.latency_ms[p];
      rows.push({ t, percentile: p, ms: v });
      if (v > 0) lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const log = rows.length > 0 && lo > 0 && hi / lo > 40;
  return vl({
    ...base(),
    layer: [
      ...warmupLayers(ts),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', point: { size: 14, filled: true } },
        encoding: {
          x: timeAxis(ts.duration_s),
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: log ? { type: 'log' } : { zero: true } },
          color: {
            field: 'percentile',
            type: 'nominal',
            title: null,
            scale: { domain: ['p50', 'p90', 'p99'], range: (['p50', 'p90', 'p99'] as const).map((p) => PERCENTILE_COLORS[p]) },
          },
        },
      },
    ],
  });
}

/** End-user requests per second by status code, stacked, per time bucket. */
/** Requests per second per key (status code or flag) in every time bucket, as bar rows. */
function rateRows(
  ts: TimeSeriesJson,
  counts: (b: TimeSeriesJson['buckets'][number]) => Record<string, number>,
  keys: string[],
  label: (k: string) => string,
): Row[] {
  const rows: Row[] = [];
  for (const b of ts.buckets) {
    const span = Math.max(1e-9, b.end_s - b.t_s);
    for (const k of keys) {
      const n = counts(b)[k] ?? 0;
      if (n > 0) rows.push({ t: b.t_s, t2: b.end_s, key: label(k), rps: round(n / span) });
    }
  }
  return rows;
}

/** Stacked bars of requests/s over simulated time, one colour per key. */
function stackedRates(
  ts: TimeSeriesJson,
  rows: Row[],
  legend: string,
  domain: string[],
  range: string[],
  size?: [number, number],
): TopLevelSpec {
  return vl({
    ...(size ? base(size[0], size[1]) : base()),
    layer: [
      ...warmupLayers(ts),
      {
        data: { values: rows },
        mark: { type: 'bar', binSpacing: 0 },
        encoding: {
          x: { ...timeAxis(ts.duration_s), bin: { binned: true, step: ts.bucket_s } },
          x2: { field: 't2' },
          y: { field: 'rps', type: 'quantitative', title: 'requests/s', stack: 'zero' },
          color: { field: 'key', type: 'nominal', title: legend, scale: { domain, range } },
          order: { field: 'key', type: 'nominal', sort: 'ascending' },
        },
      },
    ],
  });
}

export function requestsByCode(ts: TimeSeriesJson): TopLevelSpec {
  const codes = [...new Set(ts.buckets.flatMap((b) => Object.keys(b.by_code)))].sort((a, b) => Number(a) - Number(b));
  const label = (c: string) => (c === '0' ? '0 (reset)' : c);
  const seen = new Map<number, number>();
  const range = codes.map((c) => {
    const cls = c === '0' ? 0 : Math.floor(Number(c) / 100);
    const i = seen.get(cls) ?? 0;
    seen.set(cls, i + 1);
    return codeColor(c, i);
  });
  return stackedRates(
    ts,
    rateRows(ts, (b) => b.by_code, codes, label),
    'status',
    codes.map(label),
    range,
  );
}

/** End-user requests per second that carried each Envoy response flag; undefined when none did. */
export function flagsOverTime(ts: TimeSeriesJson): TopLevelSpec | undefined {
  const flags = [...new Set(ts.buckets.flatMap((b) => Object.keys(b.by_flag)))].sort();
  if (flags.length === 0) return undefined;
  const palette = [BAD, WARN, '#7c3aed', '#0891b2', '#4b5563'];
  const range = flags.map((_, i) => palette[i % palette.length]!);
  return stackedRates(
    ts,
    rateRows(
      ts,
      (b) => b.by_flag,
      flags,
      (f) => f,
    ),
    'response flag',
    flags,
    range,
    [FULL_WIDTH, 150],
  );
}

/** Facet row titles above each row, left-aligned, as section sub-headings. */
const ROW_HEADER = { labelOrient: 'top', labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 600 };

export const edgeName = (e: { source: string; destination: string }) => `${e.source} → ${e.destination}`;

export type EdgeWindow = TimeSeriesJson['edges'][number];

/** One line per edge over the time windows; colours follow the edge's place among all edges. */
export function edgeLines(
  ts: TimeSeriesJson,
  edges: EdgeWindow[],
  field: string,
  value: (e: EdgeWindow, i: number, w: TimeSeriesJson['windows'][number]) => number,
  y: Record<string, unknown>,
  height: number,
): TopLevelSpec {
  const rows: Row[] = [];
  for (const e of edges)
    ts.windows.forEach((w, i) => rows.push({ t: round((w.t_s + w.end_s) / 2, 6), edge: edgeName(e), [field]: value(e, i, w) }));
  const names = edges.map(edgeName);
  const colour = (name: string) => CATEGORICAL[ts.edges.findIndex((e) => edgeName(e) === name) % CATEGORICAL.length]!;
  return vl({
    ...base(FULL_WIDTH, height),
    layer: [
      ...warmupLayers(ts),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.6, interpolate: 'linear' },
        encoding: {
          x: timeAxis(ts.duration_s),
          y: { field, type: 'quantitative', ...y },
          color: {
            field: 'edge',
            type: 'nominal',
            title: null,
            scale: { domain: names, range: names.map(colour) },
            legend: { labelLimit: 260, columns: 4, direction: 'horizontal' },
          },
        },
      },
    ],
  });
}

/** Calls per second on every source→destination edge. */
export function edgeTraffic(ts: TimeSeriesJson): TopLevelSpec {
  return edgeLines(ts, ts.edges, 'rps', (e, i) => e.rps[i] ?? 0, { title: 'calls/s' }, 180);
}

/**
 * Calls per second by destination version, stacked, for every edge that more than one version
 * answered: a canary's weight shift, a subset losing its pods, jason pinned to v2. Undefined when
 * no edge has versions to compare.
 */
export function versionSplit(ts: TimeSeriesJson): TopLevelSpec | undefined {
  const edges = ts.edges.filter((e) => e.by_version_rps);
  if (edges.length === 0) return undefined;
  const rows: Row[] = [];
  const versions = [...new Set(edges.flatMap((e) => Object.keys(e.by_version_rps ?? {})))].sort();
  for (const e of edges) {
    for (const [v, rps] of Object.entries(e.by_version_rps ?? {})) {
      ts.windows.forEach((w, i) => rows.push({ t: round((w.t_s + w.end_s) / 2, 6), edge: edgeName(e), version: v, rps: rps[i] ?? 0 }));
    }
  }
  return vl({
    ...base(FULL_WIDTH, 140),
    data: { values: rows },
    facet: {
      row: {
        field: 'edge',
        type: 'nominal',
        title: null,
        header: ROW_HEADER,
      },
    },
    spec: {
      width: FULL_WIDTH - 40,
      height: 120,
      mark: { type: 'area', interpolate: 'step-after', opacity: 0.9 },
      encoding: {
        x: timeAxis(ts.duration_s),
        y: { field: 'rps', type: 'quantitative', title: 'calls/s', stack: 'zero' },
        color: {
          field: 'version',
          type: 'nominal',
          title: 'version',
          scale: { domain: versions, range: versions.map((_, i) => CATEGORICAL[i % CATEGORICAL.length]!) },
        },
        order: { field: 'version', type: 'nominal', sort: 'ascending' },
      },
    },
  });
}

/** Share of failed calls per edge over time; undefined when no call failed. */
export function edgeErrors(ts: TimeSeriesJson): TopLevelSpec | undefined {
  const failing = ts.edges.filter((e) => e.errors.some((n) => n > 0));
  if (failing.length === 0) return undefined;
  return edgeLines(
    ts,
    failing,
    'errors',
    (e, i, w) => {
      const n = (e.rps[i] ?? 0) * (w.end_s - w.t_s);
      return n > 0 ? round((100 * (e.errors[i] ?? 0)) / n, 2) : 0;
    },
    { title: 'failed calls (%)', scale: { zero: true } },
    150,
  );
}

// ---- outlier ejections, faults and crashes per pod ----

export interface PodInterval {
  pod: string;
  kind: string;
  from: number;
  to: number;
  detail: string;
  /** For ejections: which ejection of this pod it is (1, 2, …): Envoy's ejection time grows with it. */
  n?: number;
  /** Still in this state when the run ended. */
  open?: boolean;
}
export interface PodMark {
  pod: string;
  kind: string;
  t: number;
}

export const INTERVAL_KINDS = ['ejected by outlier detection', 'fault injected', 'crashed'] as const;
const INTERVAL_COLORS = [BAD, WARN, '#1f2937'];

/**
 * Whether an event ejects or returns a host. Timeline events say it in `type` (outlier_eject,
 * outlier_uneject); results.json's outlier events (README.md "results.json") in `action`, with the ejection
 * type (e.g. CONSECUTIVE_5XX) in `type`. Both shapes are read.
 */
export function outlierAction(e: TimelineEvent): 'eject' | 'uneject' | undefined {
  if (e.type === 'outlier_eject' || (e.action === 'eject' && typeof e.pod === 'string')) return 'eject';
  if (e.type === 'outlier_uneject' || (e.action === 'uneject' && typeof e.pod === 'string')) return 'uneject';
  return undefined;
}

const ejectionType = (e: TimelineEvent): string => {
  if (!String(e.type).startsWith('outlier_')) return String(e.type);
  const t = e.ejection_type ?? e.reason ?? e.kind;
  return t === undefined ? '' : String(t);
};

/** Turns timeline events into per-pod intervals (ejected, fault active, crashed) and instants. */
export function podIntervals(events: readonly TimelineEvent[], durationS: number): { intervals: PodInterval[]; marks: PodMark[] } {
  const intervals: PodInterval[] = [];
  const marks: PodMark[] = [];
  const ejectedSince = new Map<string, { t: number; depth: number; type: string }>();
  const ejections = new Map<string, number>();
  const faultSince = new Map<string, { t: number; pods: string[] }>();
  const crashedSince = new Map<string, number>();
  for (const e of events) {
    const pod = typeof e.pod === 'string' ? e.pod : '';
    const ej = outlierAction(e);
    if (ej === 'eject' && pod) {
      const cur = ejectedSince.get(pod);
      if (cur) cur.depth++;
      else ejectedSince.set(pod, { t: e.t_s, depth: 1, type: ejectionType(e) });
      marks.push({ pod, kind: 'eject', t: e.t_s });
    } else if (ej === 'uneject' && pod) {
      const cur = ejectedSince.get(pod);
      if (cur && --cur.depth <= 0) {
        const n = (ejections.get(pod) ?? 0) + 1;
        ejections.set(pod, n);
        intervals.push({ pod, kind: INTERVAL_KINDS[0], from: cur.t, to: e.t_s, detail: cur.type, n });
        ejectedSince.delete(pod);
      }
      marks.push({ pod, kind: 'uneject', t: e.t_s });
    } else if (e.type === 'fault_start' || e.type === 'fault_end') {
      const pods = String(e.pods ?? '')
        .split(',')
        .filter(Boolean);
      const key = `${String(e.fault ?? '')}\u0000${pods.join(',')}`;
      if (e.type === 'fault_start') faultSince.set(key, { t: e.t_s, pods });
      else {
        const s = faultSince.get(key);
        if (s) {
          for (const p of s.pods) intervals.push({ pod: p, kind: INTERVAL_KINDS[1], from: s.t, to: e.t_s, detail: String(e.fault ?? '') });
          faultSince.delete(key);
        }
      }
    } else if (e.type === 'pod_crash' && pod) {
      crashedSince.set(pod, e.t_s);
    } else if ((e.type === 'pod_restart' || e.type === 'pod_ready') && pod && crashedSince.has(pod)) {
      const t = crashedSince.get(pod);
      if (t !== undefined) intervals.push({ pod, kind: INTERVAL_KINDS[2], from: t, to: e.t_s, detail: '' });
      crashedSince.delete(pod);
    }
  }
  for (const [pod, s] of ejectedSince)
    intervals.push({
      pod,
      kind: INTERVAL_KINDS[0],
      from: s.t,
      to: durationS,
      detail: s.type,
      n: (ejections.get(pod) ?? 0) + 1,
      open: true,
    });
  for (const [key, s] of faultSince)
    for (const p of s.pods) intervals.push({ pod: p, kind: INTERVAL_KINDS[1], from: s.t, to: durationS, detail: key.split('\u0000')[0]! });
  for (const [pod, t] of crashedSince) intervals.push({ pod, kind: INTERVAL_KINDS[2], from: t, to: durationS, detail: '' });
  // A crash fault shows as the crash itself, not also as a fault.
  const crashes = new Set(intervals.filter((i) => i.kind === INTERVAL_KINDS[2]).map((i) => `${i.pod}@${i.from}`));
  const shown = intervals.filter((i) => i.kind !== INTERVAL_KINDS[1] || !crashes.has(`${i.pod}@${i.from}`));
  intervals.length = 0;
  intervals.push(...shown);
  const kindOrder = (k: string) => (INTERVAL_KINDS as readonly string[]).indexOf(k);
  intervals.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : kindOrder(a.kind) - kindOrder(b.kind) || a.from - b.from));
  return { intervals, marks };
}

/**
 * One lane per pod: red while ejected, amber while a fault is injected, black while crashed.
 * With no such event, the lanes of up to 12 pods are drawn empty with a note across them.
 */
export function ejectionTimeline(
  events: readonly TimelineEvent[],
  allPods: readonly string[],
  ts: { duration_s: number; warmup_s: number },
): TopLevelSpec {
  const { intervals, marks } = podIntervals(events, ts.duration_s);
  const involved = [...new Set([...intervals.map((i) => i.pod), ...marks.map((m) => m.pod)])].sort();
  const empty = involved.length === 0;
  const lanes = empty ? [...allPods].slice(0, 12) : involved;
  const laneHeight = 42;
  const height = Math.max(60, lanes.length * laneHeight);
  const y = {
    field: 'pod',
    type: 'nominal',
    title: null,
    scale: { domain: lanes, paddingInner: 0.35, paddingOuter: 0.2 },
    axis: { labelLimit: 220, grid: true, gridColor: '#f3f4f6' },
  };
  const layers: object[] = [
    ...warmupLayers(ts),
    {
      data: { values: intervals.map((i) => ({ ...i, from: round(i.from, 6), to: round(i.to, 6) })) },
      mark: { type: 'bar', cornerRadius: 2 },
      encoding: {
        x: {
          field: 'from',
          type: 'quantitative',
          title: 'simulated time (s)',
          scale: { domain: [0, ts.duration_s], nice: false, zero: true },
          axis: { format: '~f', values: timeTicks(ts.duration_s) },
        },
        yOffset: { field: 'kind', type: 'nominal', scale: { domain: [...INTERVAL_KINDS], paddingInner: 0.15 } },
        x2: { field: 'to' },
        y,
        color: { field: 'kind', type: 'nominal', title: null, scale: { domain: [...INTERVAL_KINDS], range: INTERVAL_COLORS } },
      },
    },
    // Each ejection its own numbered segment, with how long it lasted: the growth of Envoy's
    // ejection time (base_ejection_time × number of ejections) is read off the labels.
    {
      data: {
        values: intervals
          .filter((i) => i.kind === INTERVAL_KINDS[0] && i.n !== undefined && i.to - i.from >= ts.duration_s / 25)
          .map((i) => ({
            ...i,
            mid: round((i.from + i.to) / 2, 6),
            label: `#${i.n} · ${i.open ? 'still out at the end' : `${round(i.to - i.from, 1)} s`}`,
          })),
      },
      mark: { type: 'text', fontSize: 10, fontWeight: 600, color: '#ffffff', baseline: 'middle' },
      encoding: {
        x: { field: 'mid', type: 'quantitative' },
        y,
        yOffset: { field: 'kind', type: 'nominal', scale: { domain: [...INTERVAL_KINDS], paddingInner: 0.15 } },
        text: { field: 'label' },
      },
    },
    {
      data: { values: marks.filter((m) => m.kind === 'eject').map((m) => ({ ...m, lane: INTERVAL_KINDS[0] })) },
      mark: { type: 'tick', thickness: 1.5, orient: 'vertical' },
      encoding: {
        x: { field: 't', type: 'quantitative' },
        y,
        yOffset: { field: 'lane', type: 'nominal', scale: { domain: [...INTERVAL_KINDS], paddingInner: 0.15 } },
        color: { value: '#7f1d1d' },
      },
    },
    // A return to load balancing: a green marker where the segment ends.
    {
      data: { values: marks.filter((m) => m.kind === 'uneject').map((m) => ({ ...m, lane: INTERVAL_KINDS[0], what: 'returned' })) },
      mark: { type: 'point', shape: 'triangle-down', filled: true, size: 70, color: OK, opacity: 1 },
      encoding: {
        x: { field: 't', type: 'quantitative' },
        y,
        yOffset: { field: 'lane', type: 'nominal', scale: { domain: [...INTERVAL_KINDS], paddingInner: 0.15 } },
        tooltip: [
          { field: 'pod', type: 'nominal' },
          { field: 'what', type: 'nominal', title: 'event' },
          { field: 't', type: 'quantitative', title: 't (s)' },
        ],
      },
    },
  ];
  if (empty) {
    layers.push({
      data: { values: [{ t: ts.duration_s / 2, label: 'No outlier ejections, faults or crashes in this run' }] },
      mark: { type: 'text', fontSize: 13, fontWeight: 600, color: MUTED, y: { expr: 'height / 2' } },
      encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } },
    });
  }
  return vl({ ...base(FULL_WIDTH, height), layer: layers });
}

// ---- resources ----

export function resourceBars(r: ResultsJson): TopLevelSpec {
  const comps = Object.keys(r.resources.by_component);
  const rows = comps.map((c) => {
    const u = r.resources.by_component[c]!;
    return { component: c, instances: u.instances, cpu: u.cpu_cores, memory: u.memory_mib, cost: u.monthly_cost_usd };
  });
  const color = { field: 'component', type: 'nominal', legend: null, scale: { domain: comps, range: comps.map(componentColor) } };
  const panel = (field: 'cpu' | 'memory' | 'cost', title: string, fmt: string) => {
    const max = Math.max(1e-9, ...rows.map((x) => x[field]));
    return {
      width: 250,
      height: Math.max(72, comps.length * 34),
      title,
      layer: [
        {
          mark: { type: 'bar', cornerRadiusEnd: 3, height: { band: 0.7 } },
          encoding: {
            y: { field: 'component', type: 'nominal', title: null, sort: comps, axis: { labelFontSize: 12 } },
            x: {
              field,
              type: 'quantitative',
              title: null,
              scale: { domain: [0, max * 1.3], nice: false },
              axis: { tickCount: 3, grid: true, format: '~s' },
            },
            color,
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 11.5, color: '#374151' },
          encoding: {
            y: { field: 'component', type: 'nominal', sort: comps },
            x: { field, type: 'quantitative' },
            text: { field, type: 'quantitative', format: fmt },
          },
        },
      ],
    };
  };
  return vl({
    config: VL_CONFIG,
    data: { values: rows },
    hconcat: [panel('cpu', 'CPU (cores)', '.3f'), panel('memory', 'Memory (MiB)', ',.0f'), panel('cost', 'Monthly cost (USD)', '$,.2f')],
    spacing: 40,
    resolve: { scale: { x: 'independent' } },
  });
}

// ---- comparison ----

export type Modes = Record<string, ResultsJson>;

const modeScale = (modes: string[]) => ({ domain: modes, range: modes.map((m, i) => modeColor(m, i)) });

export function compareLatency(c: Modes): TopLevelSpec {
  const modes = Object.keys(c);
  const ps = [
    ['p50', 'p50'],
    ['p90', 'p90'],
    ['p99', 'p99'],
    ['p999', 'p99.9'],
  ] as const;
  const rows = modes.flatMap((m) => ps.map(([k, label]) => ({ mode: m, percentile: label, ms: c[m]!.latency_ms[k] })));
  const top = Math.max(1e-9, ...rows.map((r) => r.ms)) * 1.1;
  const enc = {
    x: { field: 'percentile', type: 'nominal', title: null, sort: ps.map((p) => p[1]), axis: { labelFontSize: 12, labelAngle: 0 } },
    xOffset: { field: 'mode', type: 'nominal', sort: modes },
    y: { field: 'ms', type: 'quantitative', title: 'end-user latency (ms)', scale: { domain: [0, top], nice: false } },
  };
  return vl({
    ...base(FULL_WIDTH, 230),
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 2 },
        encoding: { ...enc, color: { field: 'mode', type: 'nominal', title: 'mode', scale: modeScale(modes), sort: modes } },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10, color: '#374151' },
        encoding: { ...enc, text: { field: 'ms', type: 'quantitative', format: '.2f' } },
      },
    ],
  });
}

/** One resource measure per mode, stacked by component. */
export function compareResource(
  c: Modes,
  field: 'cpu_cores' | 'memory_mib' | 'monthly_cost_usd',
  title: string,
  fmt: string,
): TopLevelSpec {
  const modes = Object.keys(c);
  const comps = [...new Set(modes.flatMap((m) => Object.keys(c[m]!.resources.by_component)))];
  const rows = modes.flatMap((m) =>
    comps.map((comp) => ({ mode: m, component: comp, v: c[m]!.resources.by_component[comp]?.[field] ?? 0 })),
  );
  const totals = modes.map((m) => ({ mode: m, v: c[m]!.resources.total[field] }));
  const top = Math.max(1e-9, ...totals.map((t) => t.v)) * 1.16;
  return vl({
    ...base(280, 200),
    title,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', width: { band: 0.6 } },
        encoding: {
          x: { field: 'mode', type: 'nominal', title: null, sort: modes, axis: { labelAngle: 0, labelFontSize: 12 } },
          y: { field: 'v', type: 'quantitative', title: null, stack: 'zero', scale: { domain: [0, top], nice: false } },
          color: { field: 'component', type: 'nominal', title: null, scale: { domain: comps, range: comps.map(componentColor) } },
          order: { field: 'component', sort: 'ascending' },
        },
      },
      {
        data: { values: totals },
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 11, fontWeight: 600, color: '#111827' },
        encoding: {
          x: { field: 'mode', type: 'nominal', sort: modes },
          y: { field: 'v', type: 'quantitative' },
          text: { field: 'v', type: 'quantitative', format: fmt },
        },
      },
    ],
  });
}

export function compareResources(c: Modes): TopLevelSpec {
  const parts = [
    compareResource(c, 'cpu_cores', 'CPU (cores)', '.3f'),
    compareResource(c, 'memory_mib', 'Memory (MiB)', ',.0f'),
    compareResource(c, 'monthly_cost_usd', 'Monthly cost (USD)', '$,.2f'),
  ].map((s) => {
    const rest: Record<string, unknown> = { ...(s as object) };
    delete rest.config;
    return rest;
  });
  return vl({ config: VL_CONFIG, hconcat: parts, spacing: 30, resolve: { scale: { y: 'independent', color: 'shared' } } });
}

/** What each mode adds over `none`; undefined when `none` is not among the modes. */
export function compareOverhead(c: Modes): TopLevelSpec | undefined {
  const base0 = c.none;
  const modes = Object.keys(c).filter((m) => m !== 'none');
  if (!base0 || modes.length === 0) return undefined;
  const get = (m: string) => c[m]!;
  const lat = modes.flatMap((m) =>
    (['p50', 'p90', 'p99'] as const).map((p) => ({ mode: m, what: p, v: round(get(m).latency_ms[p] - base0.latency_ms[p], 3) })),
  );
  const one = (f: (r: ResultsJson) => number) => modes.map((m) => ({ mode: m, what: '', v: round(f(get(m)) - f(base0), 3) }));
  const panel = (title: string, values: { v: number }[], fmt: string, grouped: boolean, width: number) => ({
    title,
    width,
    height: 180,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 2 },
        encoding: {
          x: grouped
            ? { field: 'what', type: 'nominal', title: null, axis: { labelAngle: 0, labelFontSize: 12 } }
            : { field: 'mode', type: 'nominal', title: null, sort: modes, axis: { labelAngle: 0, labelFontSize: 12 } },
          ...(grouped ? { xOffset: { field: 'mode', type: 'nominal', sort: modes } } : {}),
          y: {
            field: 'v',
            type: 'quantitative',
            title: null,
            scale: {
              domain: [Math.min(0, ...values.map((x) => x.v)) * 1.2, Math.max(1e-9, ...values.map((x) => x.v)) * 1.18],
              nice: false,
            },
          },
          color: { field: 'mode', type: 'nominal', title: 'mode', scale: modeScale(modes), sort: modes },
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10, color: '#374151' },
        encoding: {
          x: grouped ? { field: 'what', type: 'nominal' } : { field: 'mode', type: 'nominal', sort: modes },
          ...(grouped ? { xOffset: { field: 'mode', type: 'nominal', sort: modes } } : {}),
          y: { field: 'v', type: 'quantitative' },
          text: { field: 'v', type: 'quantitative', format: fmt },
        },
      },
    ],
  });
  return vl({
    config: VL_CONFIG,
    hconcat: [
      panel('Added latency (ms)', lat, '+.2f', true, 300),
      panel(
        'Added CPU (cores)',
        one((r) => r.resources.total.cpu_cores),
        '+.3f',
        false,
        150,
      ),
      panel(
        'Added memory (MiB)',
        one((r) => r.resources.total.memory_mib),
        '+,.0f',
        false,
        150,
      ),
      panel(
        'Added cost (USD/month)',
        one((r) => r.resources.total.monthly_cost_usd),
        '+$,.2f',
        false,
        150,
      ),
    ],
    spacing: 28,
    resolve: { scale: { y: 'independent' } },
  });
}

/** p99 over time, one line per mode (the same arrivals in every mode). */
export function compareLatencyOverTime(
  series: Record<string, TimeSeriesJson>,
  percentile: 'p50' | 'p99' = 'p99',
): TopLevelSpec | undefined {
  const modes = Object.keys(series);
  const [first] = Object.values(series);
  if (!first) return undefined;
  const rows: Row[] = [];
  for (const [m, s] of Object.entries(series)) {
    for (const w of s.windows) if (w.latency_ms) rows.push({ t: round((w.t_s + w.end_s) / 2, 6), mode: m, ms: w.latency_ms[percentile] });
  }
  return vl({
    ...base(FULL_WIDTH, 200),
    layer: [
      ...warmupLayers(first),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x: timeAxis(first.duration_s),
          y: { field: 'ms', type: 'quantitative', title: `${percentile} latency (ms)` },
          color: { field: 'mode', type: 'nominal', title: 'mode', scale: modeScale(modes), sort: modes },
        },
      },
    ],
  });
}

/**
 * Calls each pod answered per second, stacked per service (one row per service), with the pods'
 * ejection, fault and crash intervals as bands on the same time axis: an ejected or crashed pod's
 * share drops to zero and comes back. Undefined when no pod answered anything.
 */
export function podTraffic(ts: TimeSeriesJson, events: readonly TimelineEvent[]): TopLevelSpec | undefined {
  const pods = ts.pods ?? [];
  if (pods.length === 0) return undefined;
  const serviceOf = new Map(pods.map((p) => [p.pod, p.service]));
  const rows: object[] = [];
  for (const p of pods) {
    ts.windows.forEach((w, i) => rows.push({ layer: 'rps', service: p.service, pod: p.pod, t: w.t_s, rps: p.rps[i] ?? 0 }));
  }
  const { intervals } = podIntervals(events, ts.duration_s);
  for (const iv of intervals) {
    const service = serviceOf.get(iv.pod);
    if (service !== undefined) rows.push({ layer: 'band', service, band: `${iv.pod} ${iv.kind}`, kind: iv.kind, from: iv.from, to: iv.to });
  }
  const names = pods.map((p) => p.pod);
  return vl({
    data: { values: rows },
    config: VL_CONFIG,
    facet: {
      row: {
        field: 'service',
        type: 'nominal',
        title: null,
        header: ROW_HEADER,
      },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: FULL_WIDTH - 40,
      height: 120,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'band'" }],
          mark: { type: 'rect', opacity: 0.18 },
          encoding: {
            x: { field: 'from', type: 'quantitative' },
            x2: { field: 'to' },
            color: { field: 'kind', type: 'nominal', title: 'pod state', scale: { domain: [...INTERVAL_KINDS], range: INTERVAL_COLORS } },
          },
        },
        {
          transform: [{ filter: "datum.layer === 'rps'" }],
          mark: { type: 'area', interpolate: 'step-after', opacity: 0.9 },
          encoding: {
            x: timeAxis(ts.duration_s),
            y: { field: 'rps', type: 'quantitative', title: 'calls/s', stack: 'zero' },
            fill: {
              field: 'pod',
              type: 'nominal',
              title: 'pod',
              scale: { domain: names, range: names.map((_, i) => CATEGORICAL[i % CATEGORICAL.length]!) },
            },
            order: { field: 'pod', type: 'nominal', sort: 'ascending' },
          },
        },
      ],
    },
  });
}

/** p50 and p99 of all end-user requests against those of the successful ones, when any failed. */
export function successLatency(ts: TimeSeriesJson): TopLevelSpec | undefined {
  const rows: Row[] = [];
  let differs = false;
  for (const w of ts.windows) {
    const t = round((w.t_s + w.end_s) / 2, 6);
    for (const p of ['p50', 'p99'] as const) {
      const all = w.latency_ms?.[p];
      const ok = w.ok_latency_ms?.[p];
      if (all !== undefined) rows.push({ t, series: `${p} all requests`, ms: all });
      if (ok !== undefined) rows.push({ t, series: `${p} successful only`, ms: ok });
      if (all !== ok) differs = true;
    }
  }
  if (!differs) return undefined;
  const domain = ['p50 all requests', 'p50 successful only', 'p99 all requests', 'p99 successful only'];
  return vl({
    ...base(),
    layer: [
      ...warmupLayers(ts),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: timeAxis(ts.duration_s),
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain, range: [PERCENTILE_COLORS.p50, PERCENTILE_COLORS.p50, PERCENTILE_COLORS.p99, PERCENTILE_COLORS.p99] },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            scale: {
              domain,
              range: [
                [1, 0],
                [4, 3],
                [1, 0],
                [4, 3],
              ],
            },
            legend: null,
          },
        },
      },
    ],
  });
}
