/**
 * traces.json: the sampled traces as one OTLP/JSON ExportTraceServiceRequest — a resourceSpans
 * entry per service.name, hex trace and span ids, times as decimal strings of nanoseconds since
 * the Unix epoch (simulated t=0 is `--epoch`), enums as integers (kind 2 SERVER, 3 CLIENT; status
 * code 2 ERROR for a 5xx or a reset). Push it with
 * `curl -H 'Content-Type: application/json' --data-binary @traces.json http://HOST:4318/v1/traces`
 * or open it in Jaeger's UI ("JSON File").
 */
import type { SpanModel, TraceModel } from '../telemetry/traces.js';
import { MESHSIM_VERSION } from './results.js';

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { doubleValue: number };

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: AnyValue }[];
  status: { code: number; message?: string };
}

export interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: AnyValue }[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

const value = (v: string | number | boolean): AnyValue =>
  typeof v === 'boolean'
    ? { boolValue: v }
    : typeof v === 'number'
      ? Number.isInteger(v)
        ? { intValue: String(v) }
        : { doubleValue: v }
      : { stringValue: v };

/** Nanoseconds since the Unix epoch as a decimal string (exact: BigInt arithmetic). */
export function unixNano(epochMs: number, tUs: number): string {
  return (BigInt(Math.round(epochMs)) * 1_000_000n + BigInt(Math.round(tUs * 1000))).toString();
}

const isError = (status: number) => status === 0 || status >= 500;

function toOtlpSpan(s: SpanModel, epochMs: number): OtlpSpan {
  const span: OtlpSpan = {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    kind: s.kind === 'server' ? 2 : 3,
    startTimeUnixNano: unixNano(epochMs, s.startUs),
    endTimeUnixNano: unixNano(epochMs, s.endUs),
    attributes: s.attributes.map((a) => ({ key: a.key, value: value(a.value) })),
    status: isError(s.status)
      ? { code: 2, message: s.status === 0 ? 'connection reset (no HTTP response)' : `HTTP ${s.status}` }
      : { code: 0 },
  };
  return span;
}

/** One resource per (service.name, namespace), sorted by that pair: a name may repeat across namespaces. */
function byResource(traces: TraceModel[]): { name: string; namespace: string; spans: SpanModel[] }[] {
  const byService = new Map<string, { name: string; namespace: string; spans: SpanModel[] }>();
  for (const t of traces) {
    for (const s of t.spans) {
      const key = `${s.serviceName}\u0000${s.namespace}`;
      let entry = byService.get(key);
      if (!entry) byService.set(key, (entry = { name: s.serviceName, namespace: s.namespace, spans: [] }));
      entry.spans.push(s);
    }
  }
  return [...byService.keys()].sort().map((key) => byService.get(key) as { name: string; namespace: string; spans: SpanModel[] });
}

const resourceOf = (e: { name: string; namespace: string }) => ({
  attributes: [
    { key: 'service.name', value: { stringValue: e.name } },
    { key: 'k8s.namespace.name', value: { stringValue: e.namespace } },
    { key: 'telemetry.sdk.name', value: { stringValue: 'meshsim' } },
  ],
});

const SCOPE = { name: 'meshsim', version: MESHSIM_VERSION };

export function toOtlpTraces(traces: TraceModel[], epochMs: number): OtlpTraces {
  return {
    resourceSpans: byResource(traces).map((e) => ({
      resource: resourceOf(e),
      scopeSpans: [{ scope: SCOPE, spans: e.spans.map((s) => toOtlpSpan(s, epochMs)) }],
    })),
  };
}

/**
 * traces.json piece by piece: the same bytes as JSON.stringify(toOtlpTraces(…)) plus a newline,
 * converting and writing one span at a time instead of building the whole document.
 */
export function writeTracesJson(traces: TraceModel[], epochMs: number, write: (piece: string) => void): void {
  write('{"resourceSpans":[');
  byResource(traces).forEach((e, i) => {
    write(`${i ? ',' : ''}{"resource":${JSON.stringify(resourceOf(e))},"scopeSpans":[{"scope":${JSON.stringify(SCOPE)},"spans":[`);
    e.spans.forEach((s, j) => write(`${j ? ',' : ''}${JSON.stringify(toOtlpSpan(s, epochMs))}`));
    write(']}]}');
  });
  write(']}\n');
}

/** The file: one JSON document, stable key order, trailing newline. */
export function tracesJson(traces: TraceModel[], epochMs: number): string {
  const parts: string[] = [];
  writeTracesJson(traces, epochMs, (p) => parts.push(p));
  return parts.join('');
}
