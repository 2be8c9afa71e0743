/**
 * `meshsim import --traces FILE`: the call graph, calls per request, self times, sizes and arrival
 * rates from exported traces. Two formats:
 * - OTLP/JSON (opentelemetry-proto `ExportTraceServiceRequest` in its JSON mapping, as the Collector,
 *   Tempo and meshsim's own traces.json write it): `resourceSpans[].resource.attributes`
 *   (`service.name`), `scopeSpans[]` (`instrumentationLibrarySpans` before OTLP 0.15, `batches` as
 *   Grafana/Tempo wrap it) `.spans[]` with `parentSpanId`, `kind` (2 SERVER, 3 CLIENT, or the enum
 *   names) and nanosecond `startTimeUnixNano`/`endTimeUnixNano`;
 * - Jaeger's JSON (the query service's `/api/traces` answer and the UI's download): `data[].spans[]`
 *   with `references` (`CHILD_OF`), microsecond `startTime`/`duration`, `tags` (`span.kind`) and
 *   `processes[processID].serviceName`.
 * A request to service S is a SERVER span of S (or, without SERVER spans, the outermost span of S);
 * its caller is the nearest ancestor request of another service. Self time = the request's span
 * minus the calls it made, taken as sequential (meshsim's apps call one after another).
 */
import { InputError } from '../config/diagnostics.js';
import { readInputText } from '../config/input-file.js';
import { fitSamples, fmtMs } from './fit.js';
import { dnsLabel, median, quantileSorted, serviceKey, type Traffic, type TrafficEdge, type TrafficService } from './traffic.js';

export interface Span {
  traceId: string;
  id: string;
  parent?: string;
  service: string;
  namespace: string;
  kind: 'server' | 'client' | 'other';
  startUs: number;
  endUs: number;
  attrs: Map<string, string | number | boolean>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function anyValue(v: unknown): string | number | boolean | undefined {
  const o = obj(v);
  if ('stringValue' in o) return String(o.stringValue);
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('boolValue' in o) return Boolean(o.boolValue);
  return undefined;
}

function attrMap(list: unknown): Map<string, string | number | boolean> {
  const m = new Map<string, string | number | boolean>();
  for (const a of arr(list)) {
    const o = obj(a);
    const v = anyValue(o.value);
    if (typeof o.key === 'string' && v !== undefined) m.set(o.key, v);
  }
  return m;
}

/** Nanoseconds (a decimal string or a number) to microseconds. */
const nanosToUs = (v: unknown): number =>
  typeof v === 'string' ? Number(BigInt(v) / 1000n) + Number(BigInt(v) % 1000n) / 1000 : Number(v) / 1000;

/**
 * A span's service as a scenario service: Istio's proxies name it `<canonical service>.<namespace>`
 * (istio/istio pilot/pkg/networking/core/tracing.go: serviceCluster), SDKs use plain names; either
 * is made a DNS-1035 label.
 */
function serviceOf(raw: string, ns: string | number | boolean | undefined): { service: string; namespace: string } {
  let name = raw;
  let namespace = ns === undefined ? undefined : String(ns);
  const dot = raw.indexOf('.');
  if (dot > 0) {
    name = raw.slice(0, dot);
    namespace ??= raw.slice(dot + 1).split('.')[0];
  }
  const label = dnsLabel(name);
  return { service: /^[a-z]/.test(label) ? label : `s-${label}`.slice(0, 63), namespace: dnsLabel(namespace ?? 'default') };
}

const OTLP_KIND: Record<string, Span['kind']> = { '2': 'server', '3': 'client', SPAN_KIND_SERVER: 'server', SPAN_KIND_CLIENT: 'client' };

function fromOtlp(doc: Json): Span[] {
  const spans: Span[] = [];
  for (const rs of [...arr(doc.resourceSpans), ...arr(doc.batches)]) {
    const r = obj(rs);
    const res = attrMap(obj(r.resource).attributes);
    const { service, namespace } = serviceOf(
      String(res.get('service.name') ?? 'unknown'),
      res.get('k8s.namespace.name') ?? res.get('service.namespace'),
    );
    for (const ss of [...arr(r.scopeSpans), ...arr(r.instrumentationLibrarySpans)]) {
      for (const s of arr(obj(ss).spans)) {
        const o = obj(s);
        const parent = typeof o.parentSpanId === 'string' && o.parentSpanId !== '' ? o.parentSpanId : undefined;
        spans.push({
          traceId: String(o.traceId),
          id: String(o.spanId),
          parent,
          service,
          namespace,
          kind: OTLP_KIND[String(o.kind)] ?? 'other',
          startUs: nanosToUs(o.startTimeUnixNano),
          endUs: nanosToUs(o.endTimeUnixNano),
          attrs: attrMap(o.attributes),
        });
      }
    }
  }
  return spans;
}

function fromJaeger(doc: Json): Span[] {
  const spans: Span[] = [];
  for (const t of arr(doc.data)) {
    const trace = obj(t);
    const processes = obj(trace.processes);
    for (const s of arr(trace.spans)) {
      const o = obj(s);
      const proc = obj(processes[String(o.processID)]);
      const ptags = new Map(arr(proc.tags).map((x) => [String(obj(x).key), obj(x).value as string | number | boolean]));
      const tags = new Map(arr(o.tags).map((x) => [String(obj(x).key), obj(x).value as string | number | boolean]));
      const ref = arr(o.references)
        .map(obj)
        .find((x) => x.refType === 'CHILD_OF' || x.refType === 'FOLLOWS_FROM');
      const kind = tags.get('span.kind');
      const { service, namespace } = serviceOf(
        String(proc.serviceName ?? 'unknown'),
        ptags.get('k8s.namespace.name') ?? tags.get('istio.namespace'),
      );
      spans.push({
        traceId: String(o.traceID),
        id: String(o.spanID),
        parent: ref ? String(ref.spanID) : undefined,
        service,
        namespace,
        kind: kind === 'server' ? 'server' : kind === 'client' ? 'client' : 'other',
        startUs: Number(o.startTime),
        endUs: Number(o.startTime) + Number(o.duration),
        attrs: tags,
      });
    }
  }
  return spans;
}

/** Reads a trace export; anything that is not OTLP/JSON or Jaeger JSON is one InputError line. */
export function readTraces(file: string): { spans: Span[]; format: string; sdk?: string } {
  const read = readInputText(file, 'traces');
  if (!read.ok) throw new InputError([read.problem]);
  const bad = (message: string) => new InputError([{ file, line: 1, col: 1, severity: 'error', message }]);
  let doc: Json;
  try {
    doc = obj(JSON.parse(read.text));
  } catch (e) {
    throw bad(
      `not a trace export: not JSON (${(e as Error).message.split('\n')[0]}); expected OTLP/JSON ({"resourceSpans": …}) or Jaeger JSON ({"data": [{"spans": …}]})`,
    );
  }
  if (Array.isArray(doc.resourceSpans) || Array.isArray(doc.batches)) {
    const spans = fromOtlp(doc);
    const sdk = arr(doc.resourceSpans ?? doc.batches)
      .map((r) => attrMap(obj(obj(r).resource).attributes).get('telemetry.sdk.name'))
      .find((x) => x !== undefined);
    if (spans.length === 0) throw bad('the OTLP/JSON file has no spans');
    return { spans, format: 'OTLP/JSON', sdk: sdk === undefined ? undefined : String(sdk) };
  }
  if (Array.isArray(doc.data) && arr(doc.data).every((t) => Array.isArray(obj(t).spans))) {
    const spans = fromJaeger(doc);
    if (spans.length === 0) throw bad('the Jaeger JSON file has no spans');
    return { spans, format: 'Jaeger JSON', sdk: undefined };
  }
  throw bad('not a trace export: expected OTLP/JSON ({"resourceSpans": …}) or Jaeger JSON ({"data": [{"spans": …}]})');
}

/** A request: a span standing for service S serving one request. */
interface Req {
  span: Span;
  key: string;
  version?: string;
  /** Calls it made: the requests of other services it was the nearest caller of. */
  calls: { req: Req; latencyUs: number; startUs: number; client?: Span }[];
  callerName?: string;
}

const versionOf = (s: Span): string | undefined => {
  const v = s.attrs.get('istio.canonical_revision') ?? s.attrs.get('service.version');
  return v === undefined || v === 'latest' ? undefined : String(v);
};

function pathOf(s: Span): { method?: string; path?: string } {
  const method = s.attrs.get('http.method') ?? s.attrs.get('http.request.method');
  const url = s.attrs.get('http.url') ?? s.attrs.get('url.full') ?? s.attrs.get('http.target') ?? s.attrs.get('url.path');
  let path: string | undefined;
  if (typeof url === 'string') {
    const m = /^[a-z]+:\/\/[^/]+(\/[^#]*)?/i.exec(url);
    path = m ? (m[1] ?? '/') : url.startsWith('/') ? url : undefined;
  }
  return { method: method === undefined ? undefined : String(method), path };
}

const numAttr = (s: Span, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = s.attrs.get(k);
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
};

/** The service a CLIENT span called, from OpenTelemetry's and Istio's attributes. */
function peerOf(c: Span, namespaces: ReadonlySet<string>): { service: string; namespace?: string } | undefined {
  const named = c.attrs.get('peer.service') ?? c.attrs.get('server.address') ?? c.attrs.get('net.peer.name') ?? c.attrs.get('db.system');
  let host = named === undefined ? undefined : String(named);
  if (host === undefined) {
    const url = c.attrs.get('http.url') ?? c.attrs.get('url.full');
    const m = typeof url === 'string' ? /^[a-z]+:\/\/([^/:?#]+)/i.exec(url) : null;
    host = m?.[1];
  }
  if (!host || /^[\d.]+$/.test(host) || host.includes(':')) return undefined;
  // `name.namespace[.svc.cluster.local]` as Kubernetes DNS names a Service.
  const [name, ns] = host.split('.');
  const label = dnsLabel(name ?? '');
  if (!/^[a-z]/.test(label)) return undefined;
  // A dotted host outside the namespaces the traces show (example.com) is not a cluster service.
  if (ns !== undefined && ns !== 'svc' && !namespaces.has(ns)) return undefined;
  return { service: label, namespace: ns && ns !== 'svc' ? ns : undefined };
}

export interface TraceImportOptions {
  /** Share of requests the traces sampled (for rates); meshsim's own traces.json samples 1%. */
  sampling?: number;
}

/** The traffic a set of spans shows. */
export function trafficFromSpans(
  file: string,
  read: { spans: Span[]; format: string; sdk?: string },
  opts: TraceImportOptions = {},
): Traffic {
  const todos: string[] = [];
  const fits: string[] = [];
  const meshsimExport = read.sdk === 'meshsim';
  const sampling = opts.sampling ?? (meshsimExport ? 0.01 : 1);
  const samplingOrigin =
    opts.sampling !== undefined
      ? `--sampling ${opts.sampling}`
      : meshsimExport
        ? "meshsim's traces.json samples 1% of requests"
        : 'assumed: every request traced';
  if (opts.sampling === undefined && !meshsimExport)
    todos.push(`trace sampling unknown: rates assume every request was traced (give --sampling FRACTION)`);

  const byTrace = new Map<string, Map<string, Span>>();
  for (const s of read.spans) {
    let t = byTrace.get(s.traceId);
    if (!t) byTrace.set(s.traceId, (t = new Map()));
    t.set(s.id, s);
  }
  const hasServer = read.spans.some((s) => s.kind === 'server');
  const instrumented = new Set(read.spans.filter((s) => s.kind === 'server').map((s) => s.service));
  const namespaces = new Set(['default', ...read.spans.map((s) => s.namespace)]);
  const reqs: Req[] = [];
  const roots: { req: Req; workload: string; client?: Span }[] = [];
  const uninstrumented = new Set<string>();
  for (const spans of [...byTrace.keys()].sort().map((k) => byTrace.get(k)!)) {
    const reqOf = new Map<string, Req>();
    const usedClients = new Set<string>();
    const isRequest = (s: Span): boolean => {
      if (hasServer) return s.kind === 'server';
      // No SERVER spans (some SDKs): a service's outermost span in the chain stands for its request.
      const p = s.parent ? spans.get(s.parent) : undefined;
      return !p || p.service !== s.service;
    };
    for (const s of spans.values()) {
      if (!isRequest(s)) continue;
      const r: Req = { span: s, key: serviceKey(s.service, s.namespace), version: versionOf(s), calls: [] };
      reqOf.set(s.id, r);
      reqs.push(r);
    }
    for (const r of reqOf.values()) {
      // Walk up: the first client span of another service is the call; the first request above it is the caller.
      let client: Span | undefined;
      let p = r.span.parent ? spans.get(r.span.parent) : undefined;
      let caller: Req | undefined;
      for (let guard = 0; p && guard < 10_000; guard++) {
        const pr = reqOf.get(p.id);
        if (pr && pr.span.service !== r.span.service) {
          caller = pr;
          break;
        }
        if (!client && p.kind === 'client' && p.service !== r.span.service) client = p;
        p = p.parent ? spans.get(p.parent) : undefined;
      }
      const latencyUs = client ? client.endUs - client.startUs : r.span.endUs - r.span.startUs;
      if (caller) caller.calls.push({ req: r, latencyUs, startUs: client?.startUs ?? r.span.startUs, client });
      else roots.push({ req: r, workload: client ? client.service : `${r.span.service}-clients`, client });
      if (client) usedClients.add(client.id);
    }
    // CLIENT spans to services that never write spans of their own (a database, a cache, an
    // uninstrumented app): the call is all there is; the callee's time is the call's duration.
    if (hasServer)
      for (const c of spans.values()) {
        if (c.kind !== 'client' || usedClients.has(c.id)) continue;
        const dest = peerOf(c, namespaces);
        if (!dest || instrumented.has(dest.service) || dest.service === c.service) continue;
        const status = Number(c.attrs.get('http.status_code') ?? c.attrs.get('http.response.status_code') ?? 200);
        if (status === 0 || status >= 500) continue;
        let p: Span | undefined = c;
        let caller: Req | undefined;
        for (let guard = 0; p && !caller && guard < 10_000; guard++) {
          caller = reqOf.get(p.id);
          p = p.parent ? spans.get(p.parent) : undefined;
        }
        if (!caller) continue;
        const span: Span = { ...c, service: dest.service, namespace: dest.namespace ?? c.namespace, kind: 'server', attrs: new Map() };
        const r: Req = { span, key: serviceKey(span.service, span.namespace), calls: [] };
        reqs.push(r);
        caller.calls.push({ req: r, latencyUs: c.endUs - c.startUs, startUs: c.startUs, client: c });
        uninstrumented.add(r.key);
      }
  }
  for (const k of [...uninstrumented].sort())
    todos.push(`${k} writes no spans: its service time is the whole call as its callers saw it (network and proxies included)`);
  if (reqs.length === 0)
    throw new InputError([{ file, line: 1, col: 1, severity: 'error', message: 'the traces have no requests (no SERVER spans)' }]);

  // The observed window: the root requests' starts (their gaps estimate the arrival rate).
  const rootStarts = roots.map((r) => r.req.span.startUs).sort((a, b) => a - b);
  const spanS = rootStarts.length > 1 ? (rootStarts[rootStarts.length - 1]! - rootStarts[0]!) / 1e6 : 1;
  // n arrivals over the span between the first and last: (n − 1) gaps.
  const perS = (n: number) => (rootStarts.length > 1 ? (n * (rootStarts.length - 1)) / rootStarts.length / spanS / sampling : n / sampling);
  const windowS = spanS;

  // Services: requests, versions, self times, sizes.
  const services = new Map<string, TrafficService>();
  const self = new Map<string, number[]>();
  const sizes = new Map<string, { req: number[]; resp: number[] }>();
  for (const r of reqs) {
    let svc = services.get(r.key);
    if (!svc) services.set(r.key, (svc = { key: r.key, name: r.span.service, namespace: r.span.namespace, ratePerS: 0, versions: [] }));
    svc.ratePerS += 1;
    if (r.version && !svc.versions.includes(r.version)) svc.versions.push(r.version);
    const calls = r.calls.reduce((a, c) => a + c.latencyUs, 0);
    let list = self.get(r.key);
    if (!list) self.set(r.key, (list = []));
    list.push(Math.max(0, r.span.endUs - r.span.startUs - calls) / 1000);
    let sz = sizes.get(r.key);
    if (!sz) sizes.set(r.key, (sz = { req: [], resp: [] }));
    const q = numAttr(r.span, 'request_size', 'http.request_content_length', 'http.request.body.size');
    const a = numAttr(r.span, 'response_size', 'http.response_content_length', 'http.response.body.size');
    if (q !== undefined) sz.req.push(q);
    if (a !== undefined) sz.resp.push(a);
  }
  for (const svc of services.values()) {
    const count = svc.ratePerS;
    svc.ratePerS = perS(count);
    svc.versions.sort();
    const samples = self.get(svc.key) ?? [];
    svc.selfTime = fitSamples(samples);
    fits.push(`${svc.key}: ${svc.selfTime.note}`);
    const sz = sizes.get(svc.key);
    const src = `median over ${count} sampled requests in ${file}`;
    if (sz?.req.length) svc.requestSize = { bytes: Math.round(median(sz.req)), origin: src };
    if (sz?.resp.length) svc.responseSize = { bytes: Math.round(median(sz.resp)), origin: src };
  }

  // Edges between services: calls per request of the caller, order, latency.
  const edgeAcc = new Map<
    string,
    {
      source: string;
      dest: string;
      n: number;
      lat: number[];
      offs: number[];
      byVersion: Map<string, number>;
      methods: string[];
      paths: string[];
    }
  >();
  const reqsByVersion = new Map<string, Map<string, number>>();
  for (const r of reqs) {
    const v = r.version ?? '';
    let m = reqsByVersion.get(r.key);
    if (!m) reqsByVersion.set(r.key, (m = new Map()));
    m.set(v, (m.get(v) ?? 0) + 1);
    for (const c of r.calls) {
      const k = `${r.key}\u0000${c.req.key}`;
      let e = edgeAcc.get(k);
      if (!e)
        edgeAcc.set(k, (e = { source: r.key, dest: c.req.key, n: 0, lat: [], offs: [], byVersion: new Map(), methods: [], paths: [] }));
      e.n++;
      e.lat.push(c.latencyUs / 1000);
      e.offs.push(c.startUs - r.span.startUs);
      e.byVersion.set(v, (e.byVersion.get(v) ?? 0) + 1);
      const mp = pathOf(c.client ?? c.req.span);
      if (mp.method) e.methods.push(mp.method);
      if (mp.path) e.paths.push(mp.path);
    }
  }
  const mode = (xs: string[]): string | undefined => {
    const counts = new Map<string, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  };
  const edges: TrafficEdge[] = [];
  for (const e of [...edgeAcc.values()].sort((a, b) => (a.source + a.dest < b.source + b.dest ? -1 : 1))) {
    const parents = reqsByVersion.get(e.source) ?? new Map<string, number>();
    const total = [...parents.values()].reduce((a, b) => a + b, 0);
    // Versions of the caller that never made this call (Bookinfo's reviews v1 never calls ratings).
    const calling = [...parents.keys()].filter((v) => (e.byVersion.get(v) ?? 0) > 0);
    const restrict = calling.length < parents.size && calling.every((v) => v !== '') ? calling.sort() : undefined;
    const base = restrict ? restrict.reduce((a, v) => a + (parents.get(v) ?? 0), 0) : total;
    const lat = [...e.lat].sort((a, b) => a - b);
    edges.push({
      source: e.source,
      destination: e.dest,
      ratePerS: perS(e.n),
      callsPerRequest: e.n / Math.max(1, base),
      sourceVersions: restrict,
      order: median(e.offs),
      p50Ms: quantileSorted(lat, 0.5),
      p99Ms: quantileSorted(lat, 0.99),
      method: mode(e.methods),
      path: mode(e.paths),
      origin: `${e.n} calls in ${base} sampled ${e.source} requests${restrict ? ` of versions ${restrict.join(', ')}` : ''} (${file})`,
    });
  }

  // Entry points: root requests per (workload, target).
  const entryAcc = new Map<
    string,
    { workload: string; namespace: string; target: string; n: number; lat: number[]; reqs: Map<string, number> }
  >();
  for (const r of roots) {
    const workload = dnsLabel(r.workload);
    const k = `${workload}\u0000${r.req.key}`;
    let e = entryAcc.get(k);
    if (!e)
      entryAcc.set(
        k,
        (e = { workload, namespace: r.client?.namespace ?? r.req.span.namespace, target: r.req.key, n: 0, lat: [], reqs: new Map() }),
      );
    e.n++;
    e.lat.push(((r.client ?? r.req.span).endUs - (r.client ?? r.req.span).startUs) / 1000);
    const mp = pathOf(r.client ?? r.req.span);
    const rk = `${mp.method ?? 'GET'} ${mp.path ?? '/'}`;
    e.reqs.set(rk, (e.reqs.get(rk) ?? 0) + 1);
  }
  const entries = [...entryAcc.values()].map((e) => {
    const lat = [...e.lat].sort((a, b) => a - b);
    edges.push({
      source: e.workload,
      destination: e.target,
      ratePerS: perS(e.n),
      order: 0,
      p50Ms: quantileSorted(lat, 0.5),
      p99Ms: quantileSorted(lat, 0.99),
      origin: `${e.n} root requests`,
    });
    const top = [...e.reqs.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20);
    return {
      workload: e.workload,
      namespace: e.namespace,
      target: e.target,
      ratePerS: perS(e.n),
      requests: top.map(([k, n]) => ({ method: k.split(' ')[0]!, path: k.slice(k.indexOf(' ') + 1), weight: n })),
      origin: `${e.n} sampled root requests over ${windowS.toFixed(1)} s between the first and last (${samplingOrigin}), ${file}`,
    };
  });
  const proxied = read.spans.some((s) => s.attrs.get('component') === 'proxy' || s.attrs.has('istio.mesh_id'));
  for (const e of edges)
    if (e.callsPerRequest !== undefined && Math.abs(e.callsPerRequest - Math.round(e.callsPerRequest)) > 0.05)
      todos.push(
        `${e.source} calls ${e.destination} ${e.callsPerRequest.toFixed(2)} times per request; a scenario's calls are made on every request: rounded to ${Math.max(1, Math.round(e.callsPerRequest))}`,
      );
  for (const r of reqs) {
    const c = [...r.calls].sort((a, b) => a.startUs - b.startUs);
    if (c.some((x, i) => i > 0 && x.startUs < c[i - 1]!.startUs + c[i - 1]!.latencyUs - 1)) {
      todos.push(`${r.key} makes calls in parallel in some traces; a scenario's calls are sequential (self time clamped at 0)`);
      break;
    }
  }
  return {
    kind: 'traces',
    source: file,
    services,
    edges,
    entries,
    modeHint: proxied ? { mode: 'sidecar', origin: `spans written by Istio proxies in ${file}` } : undefined,
    todos: [...new Set(todos)],
    fits,
    windowS,
  };
}

export { fmtMs };
