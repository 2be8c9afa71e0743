/** Colours, fonts and the Vega-Lite config every chart shares, so the report reads as one piece. */
import type { Config } from 'vega-lite';
import { MESH_COMPONENTS, MESH_MODES } from '../../modes/registry.js';

export const FONT = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';
export const MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace';

export const INK = '#111827';
export const MUTED = '#6b7280';
export const GRID = '#eef0f3';
export const LINE = '#d1d5db';

export const OK = '#16a34a';
export const WARN = '#d97706';
export const BAD = '#dc2626';

export const PERCENTILE_COLORS = {
  p50: '#2563eb',
  p90: '#7c3aed',
  p99: '#db2777',
  'p99.9': '#ea580c',
  max: '#9ca3af',
} as const;

/** Each mode's colour, from the mode registry. */
export const MODE_COLORS: Record<string, string> = Object.fromEntries(MESH_MODES.map((m) => [m.name, m.colour]));
const MODE_FALLBACK = ['#7c3aed', '#ca8a04', '#db2777', '#4b5563'];
export const modeColor = (mode: string, i: number): string => MODE_COLORS[mode] ?? MODE_FALLBACK[i % MODE_FALLBACK.length]!;

/** The apps, then every component of the mode registry. */
export const COMPONENT_COLORS: Record<string, string> = Object.fromEntries([
  ['app', '#64748b'],
  ...MESH_COMPONENTS.map((c) => [c.name, c.colour]),
]);
export const componentColor = (c: string): string => COMPONENT_COLORS[c] ?? '#a3a3a3';

/** Status codes: greens for 2xx, blue 3xx, ambers 4xx, reds 5xx, near-black for resets. */
export function codeColor(code: string, indexInClass: number): string {
  const n = Number(code);
  const pick = (list: string[]) => list[indexInClass % list.length]!;
  if (n === 0 || !(n >= 100)) return '#1f2937';
  if (n < 300) return pick(['#22c55e', '#15803d', '#86efac']);
  if (n < 400) return pick(['#3b82f6', '#93c5fd']);
  if (n < 500) return pick(['#f59e0b', '#b45309', '#fcd34d']);
  return pick(['#ef4444', '#991b1b', '#f87171', '#7f1d1d']);
}

/** A categorical palette for series without a meaning of their own (edges, flags, pods). */
export const CATEGORICAL = [
  '#2563eb',
  '#db2777',
  '#0d9488',
  '#ea580c',
  '#7c3aed',
  '#ca8a04',
  '#0891b2',
  '#65a30d',
  '#9333ea',
  '#e11d48',
  '#4b5563',
  '#0284c7',
];

export const VL_CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: { left: 4, right: 12, top: 6, bottom: 4 },
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    labelColor: '#4b5563',
    titleColor: '#374151',
    gridColor: GRID,
    domainColor: LINE,
    tickColor: LINE,
    titlePadding: 8,
    labelPadding: 4,
  },
  axisX: { grid: false, tickCount: 10 },
  axisY: { domain: false, ticks: false, tickCount: 5 },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    labelColor: '#374151',
    titleColor: '#374151',
    symbolSize: 90,
    labelLimit: 320,
    orient: 'top',
    direction: 'horizontal',
    titleOrient: 'left',
    columnPadding: 14,
  },
  title: { fontSize: 12, fontWeight: 600, color: INK, anchor: 'start', offset: 8 },
  line: { strokeWidth: 1.8, interpolate: 'linear' },
  bar: { discreteBandSize: 18 },
};
