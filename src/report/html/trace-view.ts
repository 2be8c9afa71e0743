/**
 * The sampled-trace view: one end-user trace drawn as a waterfall of its spans, and, when some
 * service's app does not forward the trace headers, a trace that starts mid-request beside it.
 * Istio's proxies create the spans but cannot join them: "applications need to propagate the
 * appropriate HTTP headers so that when the proxies send span information, the spans can be
 * correlated correctly into a single trace" (https://istio.io/latest/docs/tasks/observability/distributed-tracing/overview/).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SpanModel, TraceModel } from '../../telemetry/traces.js';
import type { TraceSamples } from '../trace-samples.js';
import { FULL_WIDTH, vl } from './charts.js';
import { BAD, VL_CONFIG } from './theme.js';

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** `reviews.default.svc.cluster.local:9080/*` → `reviews`. */
const destinationOf = (span: SpanModel) => span.name.split('.')[0] ?? span.name;

function rows(trace: TraceModel, panel: string): object[] {
  const t0 = Math.min(...trace.spans.map((s) => s.startUs));
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const depth = (s: SpanModel): number => {
    let d = 0;
    for (let p = s.parentSpanId; p !== undefined && byId.has(p); p = byId.get(p)?.parentSpanId) d++;
    return d;
  };
  return trace.spans.map((s, i) => ({
    panel,
    order: i,
    // Non-breaking spaces indent the label by depth (Vega trims ordinary leading spaces).
    label: `${String(i + 1).padStart(2, '0')} ${'\u00a0\u00a0'.repeat(depth(s))}${s.kind === 'client' ? `${s.serviceName} → ${destinationOf(s)}` : `${s.serviceName} (server)`}`,
    kind: s.kind === 'client' ? 'client span (caller’s proxy)' : 'server span (callee’s proxy)',
    from: round((s.startUs - t0) / 1000),
    to: round((s.endUs - t0) / 1000),
    ms: round((s.endUs - s.startUs) / 1000),
    status: s.status,
    failed: s.status === 0 || s.status >= 500,
  }));
}

function panel(trace: TraceModel, title: string): object {
  const data = rows(trace, title);
  return {
    title: { text: title, anchor: 'start', fontSize: 12 },
    width: FULL_WIDTH - 260,
    height: Math.max(40, data.length * 16),
    data: { values: data },
    mark: { type: 'bar', cornerRadius: 2, height: 11 },
    encoding: {
      y: {
        field: 'label',
        type: 'ordinal',
        sort: { field: 'order' },
        title: null,
        axis: { labelLimit: 250, labelFontSize: 10, labelAlign: 'left', labelPadding: 255 },
      },
      x: { field: 'from', type: 'quantitative', title: 'ms since the trace began' },
      x2: { field: 'to' },
      color: {
        field: 'kind',
        type: 'nominal',
        title: null,
        scale: { domain: ['client span (caller’s proxy)', 'server span (callee’s proxy)'], range: ['#2563eb', '#93c5fd'] },
      },
      stroke: { condition: { test: 'datum.failed', value: BAD }, value: null },
      strokeWidth: { value: 2 },
      tooltip: [
        { field: 'label', title: 'span' },
        { field: 'ms', type: 'quantitative', title: 'duration (ms)' },
        { field: 'status', type: 'quantitative', title: 'HTTP status' },
      ],
    },
  };
}

/** The waterfall(s), or undefined when no trace was sampled. */
export function traceWaterfall(s: TraceSamples): TopLevelSpec | undefined {
  const panels: object[] = [];
  if (s.complete) panels.push(panel(s.complete, `An end-user trace: ${s.complete.spans.length} spans, one trace id from the edge down`));
  if (s.broken)
    panels.push(
      panel(
        s.broken,
        `A trace that starts mid-request: ${s.broken.brokenBy} did not forward the trace headers, so its calls begin new traces`,
      ),
    );
  if (panels.length === 0) return undefined;
  return vl({ config: VL_CONFIG, vconcat: panels, spacing: 28 });
}
