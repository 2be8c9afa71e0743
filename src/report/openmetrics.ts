/**
 * metrics.om: the same series as metrics.prom over simulated time, in OpenMetrics 1.0 for
 * `promtool tsdb create-blocks-from openmetrics`. Timestamps are seconds since the Unix epoch,
 * anchored at `--epoch` (simulated t=0; never "now"). Families, then label sets, then time points
 * are never interleaved; histogram points are whole blocks (buckets, count, sum); `le` values are
 * OpenMetrics canonical numbers ("1.0", "1.8e+06"); no `_created` lines; the file ends `# EOF`.
 */
import type { MetricFamily } from '../telemetry/istio-metrics.js';
import { escapeHelp, formatLabels, formatValue, sortFamilies } from './prometheus.js';

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

/** metrics.om as one string (tests, small runs); writeOpenMetrics streams the same bytes. */
export function toOpenMetrics(families: MetricFamily[], epochMs: number): string {
  const out: string[] = [];
  writeOpenMetrics(families, epochMs, (line) => out.push(line));
  return out.join('');
}

/**
 * metrics.om line by line (each with its newline) to `write`: a long run's file is hundreds of
 * megabytes, so the CLI streams it to disk instead of building one string.
 */
export function writeOpenMetrics(families: MetricFamily[], epochMs: number, write: (line: string) => void): void {
  for (const f of sortFamilies(families)) {
    write(`# TYPE ${f.name} ${f.type}\n`);
    if (f.unit) write(`# UNIT ${f.name} ${f.unit}\n`);
    write(`# HELP ${f.name} ${escapeHelp(f.help)}\n`);
    const sample = f.type === 'counter' ? `${f.name}_total` : f.name;
    for (const s of f.series) {
      const plain = formatLabels(s.labels);
      // The label part of every bucket line, built once per series rather than once per point.
      const bucketLabels = f.type === 'histogram' ? bucketLabelSets(s.labels, f.buckets ?? []) : [];
      for (const p of s.points) {
        const ts = omTimestamp(epochMs, p.tUs);
        if (f.type !== 'histogram') {
          write(`${sample}${plain} ${formatValue(p.value ?? 0)} ${ts}\n`);
          continue;
        }
        const h = p.hist;
        if (!h) continue;
        let cum = 0;
        for (let i = 0; i < bucketLabels.length; i++) {
          cum += h.counts[i] ?? 0;
          write(`${f.name}_bucket${bucketLabels[i]} ${formatValue(cum)} ${ts}\n`);
        }
        write(`${f.name}_count${plain} ${formatValue(h.count)} ${ts}\n`);
        write(`${f.name}_sum${plain} ${formatValue(h.sum)} ${ts}\n`);
      }
    }
  }
  write('# EOF\n');
}

/** `{labels…,le="…"}` for each bucket bound and then +Inf, in OpenMetrics canonical form. */
function bucketLabelSets(labels: MetricFamily['series'][number]['labels'], bounds: readonly number[]): string[] {
  return [...bounds.map(omCanonical), '+Inf'].map((le) => formatLabels(labels, ['le', le]));
}
