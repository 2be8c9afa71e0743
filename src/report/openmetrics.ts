/**
 * metrics.om: the same series as metrics.prom over simulated time, in OpenMetrics 1.0 for
 * `promtool tsdb create-blocks-from openmetrics`. Timestamps are seconds since the Unix epoch,
 * anchored at `--epoch` (simulated t=0; never "now"). Families, then label sets, then time points
 * are never interleaved; histogram points are whole blocks (buckets, count, sum); `le` values are
 * OpenMetrics canonical numbers ("1.0", "1.8e+06"); no `_created` lines; the file ends `# EOF`.
 */
import type { MetricFamily } from '../telemetry/istio-metrics.js';
import { cumulativeBuckets, escapeHelp, formatLabels, formatValue, sortFamilies } from './prometheus.js';

/** The default `--epoch`: a fixed instant, so the same run gives the same bytes. */
export const DEFAULT_EPOCH = '2026-01-01T00:00:00Z';

/** Milliseconds since the Unix epoch of an ISO 8601 instant, or undefined when it is not one. */
export function parseEpoch(iso: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Go's `%g` (strconv 'g', shortest) with ".0" added when there is neither "." nor exponent. */
export function omCanonical(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0.0';
  const [mantissa, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** Seconds since the Unix epoch, millisecond resolution (Prometheus stores milliseconds). */
export function omTimestamp(epochMs: number, tUs: number): string {
  return String((epochMs + Math.round(tUs / 1000)) / 1000);
}

export function toOpenMetrics(families: MetricFamily[], epochMs: number): string {
  const out: string[] = [];
  for (const f of sortFamilies(families)) {
    out.push(`# TYPE ${f.name} ${f.type}`);
    if (f.unit) out.push(`# UNIT ${f.name} ${f.unit}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    const sample = f.type === 'counter' ? `${f.name}_total` : f.name;
    for (const s of f.series) {
      const plain = formatLabels(s.labels);
      for (const p of s.points) {
        const ts = omTimestamp(epochMs, p.tUs);
        if (f.type !== 'histogram') {
          out.push(`${sample}${plain} ${formatValue(p.value ?? 0)} ${ts}`);
          continue;
        }
        const h = p.hist;
        if (!h) continue;
        for (const [le, cum] of cumulativeBuckets(h, f.buckets ?? [], omCanonical)) {
          out.push(`${f.name}_bucket${formatLabels(s.labels, ['le', le])} ${formatValue(cum)} ${ts}`);
        }
        out.push(`${f.name}_count${plain} ${formatValue(h.count)} ${ts}`);
        out.push(`${f.name}_sum${plain} ${formatValue(h.sum)} ${ts}`);
      }
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}
