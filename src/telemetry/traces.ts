/**
 * Distributed traces of sampled requests, as the Istio proxies would report them.
 *
 * Sampling is deterministic: a trace is kept when hash(seed, id of the call that started it) falls
 * under the rate (Istio's default is 1%). A trace starts at an end-user request, and again at
 * every call made by a service whose app does not forward the trace headers
 * (`propagatesTraceHeaders: false`): its proxy sees a request without a trace context and starts
 * a new trace, with its own sampling decision, as happens in real clusters.
 *
 * Each call gives a CLIENT span (the caller's proxy, the whole call as the caller saw it) and, when
 * it reached a pod, a SERVER span (the destination's proxy) as its child; a call made while
 * serving another is a child of that call's SERVER span.
 */
import type { NetworkModel } from '../config/model.js';
import type { AppCall } from '../world/call.js';
import type { CallRecord, RunObserver } from './observer.js';
import { appName, destinationServiceOf, identityOf, serverWindowUs, upstreamPortOf } from './istio-metrics.js';

export const DEFAULT_TRACE_SAMPLE_RATE = 0.01;
/** Traces kept at most (the first ones sampled), so traces.json stays loadable. */
export const DEFAULT_MAX_TRACES = 2000;

export interface SpanModel {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: 'client' | 'server';
  /** service.name of the span's resource: the caller's app (client) or the called service (server). */
  serviceName: string;
  namespace: string;
  name: string;
  startUs: number;
  endUs: number;
  status: number;
  flags: string;
  callId: number;
  /** x-request-id, shared by every span of an end-user request while apps forward it. */
  requestId: string;
  attributes: { key: string; value: string | number | boolean }[];
}

export interface TraceModel {
  traceId: string;
  rootCallId: number;
  /**
   * Set when the trace starts mid-request: the service whose app did not forward the trace
   * headers, so its proxy saw a call without a trace context and began a new trace.
   */
  brokenBy?: string;
  spans: SpanModel[];
}

// ---- deterministic ids ----

/** A 32-bit mix of (seed, id, salt): murmur3's finaliser over FNV-style accumulation. */
export function hash32(seed: number, id: number, salt: number): number {
  let h = 0x811c9dc5 ^ salt;
  for (const x of [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, id >>> 0, Math.floor(id / 2 ** 32) >>> 0, salt >>> 0]) {
    h = Math.imul(h ^ x, 0x01000193) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** `words` 32-bit words of hex, never all zero (OTLP forbids zero ids). */
function hexId(seed: number, id: number, salt: number, words: number): string {
  let out = '';
  for (let i = 0; i < words; i++) out += hex8(hash32(seed, id, salt * 16 + i));
  return /^0+$/.test(out) ? `${out.slice(0, -1)}1` : out;
}

/** Whether the trace started by call `rootCallId` is sampled at `rate`. */
export function sampled(seed: number, rootCallId: number, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return hash32(seed, rootCallId, 1) / 2 ** 32 < rate;
}

/** The call that started the trace `call` belongs to (kept on the call: a map of every call made a full GC's worth of garbage). */
export function traceRoot(call: AppCall): AppCall {
  return call.traceRoot ?? call;
}

/** The end-user request a call is part of (x-request-id travels as far as the trace context). */
export const traceIdOf = (seed: number, root: AppCall): string => hexId(seed, root.id, 2, 4);
export const spanIdOf = (seed: number, callId: number, kind: 'client' | 'server'): string =>
  hexId(seed, callId, kind === 'client' ? 3 : 4, 2);

export function requestIdOf(seed: number, root: AppCall): string {
  const h = hexId(seed, root.id, 5, 4);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface TraceOptions {
  seed: number;
  network: NetworkModel;
  sampleRate?: number;
  maxTraces?: number;
  /**
   * Requests whose end-user request started before this instant (the warm-up) are not traced, as
   * the counters and results.json leave them out, so traces, access log and metrics agree.
   */
  fromUs?: number;
}

interface Kept {
  root: AppCall;
  records: CallRecord[];
}

export class TraceObserver implements RunObserver {
  readonly sampleRate: number;
  readonly maxTraces: number;
  private readonly kept = new Map<number, Kept>();
  private readonly decided = new Map<number, boolean>();
  /** Sampled traces beyond maxTraces, left out of the output. */
  dropped = 0;

  constructor(private readonly opts: TraceOptions) {
    this.sampleRate = opts.sampleRate ?? DEFAULT_TRACE_SAMPLE_RATE;
    this.maxTraces = opts.maxTraces ?? DEFAULT_MAX_TRACES;
  }

  onCall(r: CallRecord): void {
    if (r.call.rootStartUs < (this.opts.fromUs ?? 0)) return;
    const root = traceRoot(r.call);
    let keep = this.decided.get(root.id);
    if (keep === undefined) {
      keep = this.kept.has(root.id) || (sampled(this.opts.seed, root.id, this.sampleRate) && this.kept.size < this.maxTraces);
      this.decided.set(root.id, keep);
      if (keep && !this.kept.has(root.id)) this.kept.set(root.id, { root, records: [] });
    }
    if (keep) (this.kept.get(root.id) as Kept).records.push(r);
    if (r.call === root) {
      if (!keep && sampled(this.opts.seed, root.id, this.sampleRate)) this.dropped++;
      // The root is the last call of its trace to finish (barring crashes and timeouts), so its
      // decision goes then to keep memory flat; a late straggler decides again, identically.
      this.decided.delete(root.id);
    }
  }

  /** Every call of the sampled traces with its x-request-id, in start order (for the access log). */
  sampledCalls(): { record: CallRecord; requestId: string }[] {
    const out: { record: CallRecord; requestId: string }[] = [];
    for (const k of this.kept.values()) {
      const requestId = requestIdOf(this.opts.seed, k.root);
      for (const record of k.records) out.push({ record, requestId });
    }
    return out.sort((a, b) => a.record.call.startUs - b.record.call.startUs || a.record.call.id - b.record.call.id);
  }

  /** Sampled traces whose first call finished within the run, in order of that call's start. */
  traces(): TraceModel[] {
    const out: TraceModel[] = [];
    const seed = this.opts.seed;
    for (const k of [...this.kept.values()].sort((a, b) => a.root.startUs - b.root.startUs || a.root.id - b.root.id)) {
      if (!k.records.some((r) => r.call === k.root)) continue;
      const traceId = traceIdOf(seed, k.root);
      const requestId = requestIdOf(seed, k.root);
      const spans: SpanModel[] = [];
      for (const r of k.records) {
        const call = r.call;
        const svc = call.service.model;
        // The cluster the call went to (a gateway's, when a route sent it there) and who served it.
        const upstream = destinationServiceOf(call, r.pod);
        const src = identityOf(call.caller);
        const clientId = spanIdOf(seed, call.id, 'client');
        const parentSpanId = call === k.root || call.parent === undefined ? undefined : spanIdOf(seed, call.parent.id, 'server');
        const name = `${svc.fqdn}:${svc.port}/*`;
        const common = [
          { key: 'http.method', value: call.req.method },
          { key: 'http.url', value: `http://${svc.fqdn}:${svc.port}${call.req.path}` },
          { key: 'http.protocol', value: svc.protocol === 'http' ? 'HTTP/1.1' : 'HTTP/2' },
          { key: 'http.status_code', value: r.status },
          { key: 'response_flags', value: r.flags === '' ? '-' : r.flags },
          { key: 'request_size', value: call.req.requestSize },
          { key: 'response_size', value: r.status === 0 ? 0 : call.req.responseSize },
          { key: 'guid:x-request-id', value: requestId },
          { key: 'component', value: 'proxy' },
          { key: 'istio.mesh_id', value: 'cluster.local' },
        ];
        spans.push({
          traceId,
          spanId: clientId,
          parentSpanId,
          kind: 'client',
          serviceName: appName(call.caller),
          namespace: call.caller.namespace,
          name,
          startUs: call.startUs,
          endUs: r.endUs,
          status: r.status,
          flags: r.flags,
          callId: call.id,
          requestId,
          attributes: [
            ...common,
            { key: 'upstream_cluster', value: `outbound|${upstreamPortOf(call, upstream)}||${upstream.fqdn}` },
            { key: 'upstream_cluster.name', value: `outbound|${upstreamPortOf(call, upstream)}||${upstream.fqdn}` },
            ...(r.pod ? [{ key: 'peer.pod', value: r.pod.name }] : []),
            { key: 'k8s.pod.name', value: call.caller.name },
            { key: 'istio.canonical_service', value: src.app },
            { key: 'istio.canonical_revision', value: src.version === 'unknown' ? 'latest' : src.version },
            { key: 'istio.namespace', value: call.caller.namespace },
            { key: 'mtls', value: r.mtls },
          ],
        });
        if (r.pod) {
          const dst = identityOf(r.pod);
          const w = serverWindowUs(r, this.opts.network);
          spans.push({
            traceId,
            spanId: spanIdOf(seed, call.id, 'server'),
            parentSpanId: clientId,
            kind: 'server',
            serviceName: upstream.name,
            namespace: upstream.namespace,
            name,
            startUs: w.startUs,
            endUs: w.endUs,
            status: r.status,
            flags: '',
            callId: call.id,
            requestId,
            attributes: [
              ...common.map((a) => (a.key === 'response_flags' ? { key: a.key, value: '-' } : a)),
              { key: 'upstream_cluster', value: `inbound|${svc.port}||` },
              { key: 'upstream_cluster.name', value: `inbound|${svc.port}||` },
              { key: 'downstream_cluster', value: '-' },
              { key: 'k8s.pod.name', value: r.pod.name },
              { key: 'istio.canonical_service', value: dst.app },
              { key: 'istio.canonical_revision', value: dst.version },
              { key: 'istio.namespace', value: r.pod.namespace },
              { key: 'mtls', value: r.mtls },
            ],
          });
        }
      }
      spans.sort((a, b) => a.startUs - b.startUs || (a.kind === b.kind ? 0 : a.kind === 'client' ? -1 : 1) || a.callId - b.callId);
      const brokenBy = k.root.parent?.service.model.name;
      out.push({ traceId, rootCallId: k.root.id, spans, ...(brokenBy === undefined ? {} : { brokenBy }) });
    }
    return out;
  }
}
