/**
 * What the sweep and capacity pages share with the run and comparison reports: the chart theme,
 * the full page width, mode colours from the mode registry (sidecar is the same colour on every
 * page), and axes that are quantitative when the swept values are numbers.
 */
import { FULL_WIDTH } from '../report/html/charts.js';
import { CATEGORICAL, MODE_COLORS, modeColor, VL_CONFIG } from '../report/html/theme.js';

export { FULL_WIDTH, VL_CONFIG };

/** Two charts side by side fill the page. */
export const HALF_WIDTH = Math.floor((FULL_WIDTH - 40) / 2);

/** A colour scale for series: mode colours when every series is a mode, the shared palette otherwise. */
export function seriesScale(series: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(series)];
  const allModes = domain.every((s) => s in MODE_COLORS);
  return { domain, range: domain.map((s, i) => (allModes ? modeColor(s, i) : CATEGORICAL[i % CATEGORICAL.length]!)) };
}

/** Whether every swept value is a number (then the axis is a number line, not categories). */
export const allNumeric = (values: readonly unknown[]): boolean =>
  values.length > 0 &&
  values.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))));
