/**
 * The imported scenario as commented YAML: every figure says where it came from, and what could
 * not be inferred is a `# TODO:` with a default. Istio, Gateway API and HPA resources go, as they
 * are, to a file beside the scenario named in `istioFiles`.
 */
import { stringify } from 'yaml';
import type { Manifests, ManifestService, ManifestWorkload } from './manifests.js';
import { fmtMs, type FittedForm } from './fit.js';
import { dnsLabel, serviceKey, type Traffic, type TrafficEdge } from './traffic.js';

export interface EmitOptions {
  name: string;
  /** `$schema` path for the first line, relative to the scenario. */
  schemaRef: string;
  /** File name of the Istio resources beside the scenario (when there are any). */
  istioFileName: string;
  inputs: string[];
  duration?: string;
}

export interface IstioDoc {
  /** `Kind namespace/name from FILE:LINE`. */
  label: string;
  /** The document, with its comment lines first. */
  text: string;
}

/** The Istio file: the documents joined, and the first line of each (1-based). */
export function istioFileText(docs: readonly IstioDoc[]): { text: string; startLines: number[] } {
  const startLines: number[] = [];
  let line = 1;
  const parts = docs.map((d, i) => {
    const piece = `${i ? '---\n' : ''}${d.text}`;
    startLines.push(line + (i ? 1 : 0));
    line += piece.split('\n').length - 1;
    return piece;
  });
  return { text: parts.join('') || '# (every resource was skipped)\n', startLines };
}

export interface Emitted {
  scenario: string;
  /** The Istio/Kubernetes resources to write beside it, one YAML document each (undefined: none). */
  istio?: IstioDoc[];
  todos: string[];
  summary: { services: number; edges: number; workloads: number; kept: number; unknown: string[] };
  /** A traffic name (service key or workload) → the scenario's service {name, namespace} or workload name. */
  names: Map<string, { name: string; namespace?: string }>;
}

/** A YAML flow scalar for a string: plain when safe, quoted otherwise. */
const str = (s: string): string =>
  /^[a-zA-Z0-9_./-]+$/.test(s) && !/^(true|false|null|yes|no|on|off|~|[-+]?[\d.]+(e[-+]?\d+)?)$/i.test(s) ? s : JSON.stringify(s);

/** A JSON value as YAML flow (one line). */
function flow(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${str(k)}: ${flow(x)}`)
    .join(', ')}}`;
}

/** A duration the scenario accepts (positive, no exponent). */
function dur(ms: number): string {
  const x = Math.max(ms, 0.001);
  if (x < 0.1) return `${Number((x * 1000).toPrecision(3))}us`;
  return `${Number(x.toPrecision(3))}ms`;
}

function formYaml(f: FittedForm): string {
  switch (f.distribution) {
    case 'constant':
      return `{distribution: constant, value: ${dur(f.valueMs)}}`;
    case 'exponential':
      return `{distribution: exponential, mean: ${dur(f.meanMs)}}`;
    case 'lognormal': {
      const median = dur(f.medianMs);
      // p99 ≥ median after rounding (the scenario requires it).
      const p99 = dur(Math.max(f.p99Ms, Number(median.replace(/[a-z]+$/, '')) * (median.endsWith('us') ? 0.001 : 1)));
      return `{distribution: lognormal, median: ${median}, p99: ${p99}}`;
    }
  }
}

const sig = (x: number, n = 4) => Number(x.toPrecision(n));

/** The label naming a workload's canonical service, as Istio derives it (pkg/model/labels: canonical name). */
const canonicalName = (l: Record<string, string>): string | undefined =>
  l['service.istio.io/canonical-name'] ?? l['app.kubernetes.io/name'] ?? l.app;
const canonicalRevision = (l: Record<string, string>): string =>
  l['service.istio.io/canonical-revision'] ?? l['app.kubernetes.io/version'] ?? l.version ?? 'v1';

const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'gke-managed-system', 'cert-manager']);

const selects = (sel: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);

interface Draft {
  key: string;
  name: string;
  namespace: string;
  svc?: ManifestService;
  workloads: ManifestWorkload[];
  aliases: Set<string>;
}

export function emitScenario(m: Manifests | undefined, t: Traffic | undefined, o: EmitOptions): Emitted {
  const todos: string[] = [...(t?.todos ?? [])];
  const lines: string[] = [];
  const out = (s: string) => lines.push(s);

  // Services from the manifests: each Service with the workloads it selects. A Service selecting
  // workloads another Service already owns (per-version Services such as reviews-v1) is skipped.
  const drafts: Draft[] = [];
  const owned = new Set<ManifestWorkload>();
  const services = [...(m?.services ?? [])].sort(
    (a, b) =>
      (m?.workloads.filter((w) => w.namespace === b.namespace && selects(b.selector, w.labels)).length ?? 0) -
        (m?.workloads.filter((w) => w.namespace === a.namespace && selects(a.selector, w.labels)).length ?? 0) ||
      (a.name < b.name ? -1 : 1),
  );
  const skippedServices: string[] = [];
  for (const s of services) {
    const ws = (m?.workloads ?? []).filter((w) => w.namespace === s.namespace && selects(s.selector, w.labels));
    if (ws.length === 0 || ws.every((w) => owned.has(w))) {
      skippedServices.push(
        `Service ${s.namespace}/${s.name} (${ws.length ? 'its pods belong to another Service' : 'selects no Deployment or StatefulSet'})`,
      );
      continue;
    }
    ws.forEach((w) => owned.add(w));
    const aliases = new Set([s.name, ...ws.map((w) => canonicalName(w.labels)).filter((x): x is string => !!x)]);
    // The platform's own Services (kube-dns, istiod, the ingress gateway …) are not the application
    // unless the traffic shows requests to them.
    const served = [...(t?.services.values() ?? [])].some((x) => x.namespace === s.namespace && aliases.has(x.name));
    if (SYSTEM_NAMESPACES.has(s.namespace) && !served) {
      skippedServices.push(`Service ${s.namespace}/${s.name} (a platform namespace; no requests to it in the traffic)`);
      continue;
    }
    drafts.push({ key: serviceKey(s.name, s.namespace), name: s.name, namespace: s.namespace, svc: s, workloads: ws, aliases });
  }
  for (const w of m?.workloads ?? []) if (!owned.has(w)) skippedServices.push(`${w.kind} ${w.namespace}/${w.name} (no Service selects it)`);

  // Services the traffic shows that no manifest has.
  const draftOf = (key: string): Draft | undefined => {
    const [name, ns = 'default'] = key.split('.') as [string, string?];
    return drafts.find((d) => d.key === key) ?? drafts.find((d) => d.namespace === ns && d.aliases.has(name));
  };
  const trafficKeys = new Set<string>([
    ...(t?.services.keys() ?? []),
    ...(t?.edges ?? []).filter((e) => e.callsPerRequest !== undefined).map((e) => e.source),
  ]);
  for (const k of [...trafficKeys].sort()) {
    if (draftOf(k)) continue;
    const [name, ns = 'default'] = k.split('.') as [string, string?];
    drafts.push({ key: k, name, namespace: ns, workloads: [], aliases: new Set([name]) });
  }
  drafts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const refOf = (key: string): string => {
    const d = draftOf(key);
    return d ? serviceKey(d.name, d.namespace) : key;
  };

  // Mesh mode from namespace labels (istio.io docs: "istio-injection=enabled", "istio.io/dataplane-mode=ambient").
  const nsLabels = m?.namespaces ?? new Map<string, { labels: Record<string, string>; origin: string }>();
  const used = new Set(drafts.map((d) => d.namespace));
  const nsOf = (ns: string) => nsLabels.get(ns);
  let mode = 'none';
  let modeOrigin = '';
  const ambientNs = [...used].filter((n) => nsOf(n)?.labels['istio.io/dataplane-mode'] === 'ambient');
  const sidecarNs = [...used].filter(
    (n) => nsOf(n)?.labels['istio-injection'] === 'enabled' || nsOf(n)?.labels['istio.io/rev'] !== undefined,
  );
  if (ambientNs.length) {
    mode = 'ambient';
    modeOrigin = `namespace ${ambientNs.join(', ')} labelled istio.io/dataplane-mode=ambient (${nsOf(ambientNs[0]!)!.origin})`;
  } else if (sidecarNs.length) {
    mode = 'sidecar';
    modeOrigin = `namespace ${sidecarNs.join(', ')} labelled istio-injection=enabled (${nsOf(sidecarNs[0]!)!.origin})`;
  } else if (t?.modeHint) {
    mode = t.modeHint.mode;
    modeOrigin = t.modeHint.origin;
  } else if ((m?.kept.length ?? 0) > 0) {
    mode = 'sidecar';
    modeOrigin = 'TODO: no Namespace with istio-injection or dataplane-mode labels; Istio resources present: sidecar assumed';
    todos.push('mesh mode: no Namespace labels in the manifests and nothing in the telemetry: sidecar assumed');
  } else {
    modeOrigin = 'TODO: no Namespace labels and no Istio resources: no mesh assumed';
    todos.push('mesh mode: no Namespace labels: mode none assumed');
  }
  const nsInMesh = (ns: string): boolean | undefined => {
    const n = nsOf(ns);
    if (!n) return undefined;
    return mode === 'ambient'
      ? n.labels['istio.io/dataplane-mode'] === 'ambient'
      : n.labels['istio-injection'] === 'enabled' || n.labels['istio.io/rev'] !== undefined;
  };
  // Waypoints: `istio.io/use-waypoint` on the Service or its namespace (istio.io ambient docs).
  const waypoints: { ref: string; origin: string }[] = [];
  if (mode === 'ambient')
    for (const d of drafts) {
      const on =
        d.svc?.labels['istio.io/use-waypoint'] !== undefined
          ? d.svc.origin
          : nsOf(d.namespace)?.labels['istio.io/use-waypoint'] !== undefined
            ? nsOf(d.namespace)!.origin
            : undefined;
      if (on && d.svc?.labels['istio.io/use-waypoint'] !== 'none') waypoints.push({ ref: serviceKey(d.name, d.namespace), origin: on });
    }

  // Header.
  out(`# yaml-language-server: $schema=${o.schemaRef}`);
  out(`# Imported by \`meshsim import\` from ${o.inputs.join(', ')}.`);
  out('# Each figure says where it came from; "TODO:" marks what could not be inferred (a default is set).');
  const skipped = (m?.unknown ?? []).filter((u) => u.kind !== 'Node');
  if (skipped.length)
    out(`# Skipped kinds meshsim does not model: ${[...new Set(skipped.map((u) => `${u.kind} ${u.namespace}/${u.name}`))].join(', ')}`);
  for (const s of skippedServices) out(`# Skipped: ${s}`);
  out('apiVersion: meshsim.dev/v1alpha1');
  out('kind: Scenario');
  out('metadata:');
  out(`  name: ${dnsLabel(o.name)}`);
  out(`  description: ${JSON.stringify(`Imported from ${o.inputs.join(', ')}`)}`);
  out('spec:');
  out(`  duration: ${o.duration ?? '60s'}  # simulated time (the observed window was ${t ? `${t.windowS.toFixed(1)} s` : 'not given'})`);
  out('  warmup: 5s  # statistics start after it');
  out('  mesh:');
  out(`    mode: ${mode}  # ${modeOrigin.startsWith('TODO') ? modeOrigin : `from ${modeOrigin}`}`);
  if (waypoints.length) {
    out('    waypoints:');
    for (const w of waypoints) out(`      - ${str(w.ref)}  # istio.io/use-waypoint (${w.origin})`);
  }
  const nodes = (m?.unknown ?? []).filter((u) => u.kind === 'Node');
  out('  cluster:');
  if (nodes.length) {
    out('    nodes:');
    for (const n of nodes) {
      const alloc = ((n.body.status as Record<string, unknown> | undefined)?.allocatable ?? {}) as Record<string, unknown>;
      const labels = ((n.body.metadata as Record<string, unknown>).labels ?? {}) as Record<string, string>;
      const zone = labels['topology.kubernetes.io/zone'];
      const fields = [`name: ${str(dnsLabel(n.name))}`];
      if (zone) fields.push(`zone: ${str(dnsLabel(zone))}`);
      if (alloc.cpu !== undefined) fields.push(`cpu: ${flow(alloc.cpu)}`);
      if (typeof alloc.memory === 'string') fields.push(`memory: ${str(alloc.memory)}`);
      out(`      - {${fields.join(', ')}}  # Node ${n.name}, status.allocatable (${n.origin})`);
    }
  } else {
    out('    nodes: 3  # TODO: no Node objects in the manifests (kubectl get nodes -o yaml): 3 nodes of 8 cores assumed');
    todos.push('cluster: no Node objects: 3 nodes assumed');
  }

  // Services.
  out('  services:');
  const versionName = (w: ManifestWorkload) => dnsLabel(canonicalRevision(w.labels));
  const hpaTargets = new Map<string, string>();
  for (const d of drafts) {
    const ts = t?.services.get(d.key) ?? [...(t?.services.values() ?? [])].find((s) => draftOf(s.key) === d);
    out(
      `    - name: ${d.name}${d.svc ? `  # Service ${d.svc.namespace}/${d.svc.name} (${d.svc.origin})` : '  # seen in the traffic only'}`,
    );
    if (d.namespace !== 'default') out(`      namespace: ${d.namespace}`);
    if (d.svc?.port !== undefined) out(`      port: ${d.svc.port}  # its first port`);
    const proto = d.svc ? protocolOf(d.svc) : undefined;
    if (proto) out(`      protocol: ${proto}  # port name "${d.svc?.portName ?? ''}" / appProtocol "${d.svc?.appProtocol ?? ''}"`);
    if (d.workloads.length) {
      out('      versions:');
      const byVersion = new Map<string, ManifestWorkload[]>();
      for (const w of d.workloads) {
        const v = versionName(w);
        byVersion.set(v, [...(byVersion.get(v) ?? []), w]);
        hpaTargets.set(`${w.namespace}/${w.name}`, `${d.name}-${v}`);
      }
      for (const [v, ws] of [...byVersion.entries()].sort()) {
        const n = ws.reduce((a, w) => a + w.replicas, 0);
        out(
          `        - {name: ${str(v)}, replicas: ${n}}  # ${ws.map((w) => `${w.kind} ${w.name} spec.replicas (${w.origin})`).join(', ')}`,
        );
      }
      const w = d.workloads[0]!;
      if (w.serviceAccount) out(`      serviceAccount: ${str(w.serviceAccount)}  # ${w.kind} ${w.name} serviceAccountName`);
      const res = resourcesOf(w.container);
      if (res) out(`      resources: ${flow(res)}  # container ${String(w.container?.name ?? '')} of ${w.kind} ${w.name}`);
      for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
        const p = w.container?.[probe];
        if (p && typeof p === 'object') out(`      ${probe}: ${flow(p)}  # ${w.kind} ${w.name}`);
      }
      if (w.terminationGracePeriodSeconds !== undefined)
        out(`      terminationGracePeriodSeconds: ${w.terminationGracePeriodSeconds}  # ${w.kind} ${w.name}`);
      const off = d.workloads.some(
        (x) => x.labels['sidecar.istio.io/inject'] === 'false' || x.annotations['sidecar.istio.io/inject'] === 'false',
      );
      const inMesh = off ? false : nsInMesh(d.namespace);
      if (mode !== 'none' && inMesh === false)
        out(
          `      inMesh: false  # ${off ? 'sidecar.istio.io/inject: "false" on its pods' : `namespace ${d.namespace} is not labelled for the mesh`}`,
        );
    } else if (d.svc) {
      out('      replicas: 1  # TODO: no Deployment selected by this Service');
      todos.push(`${d.key}: no Deployment: 1 replica assumed`);
    } else {
      const versions = ts?.versions ?? [];
      if (versions.length > 1) {
        out(`      versions:  # TODO: replicas not in the telemetry: 1 per version seen (${t?.source ?? ''})`);
        for (const v of versions) out(`        - {name: ${str(dnsLabel(v))}, replicas: 1}`);
      } else out('      replicas: 1  # TODO: no Deployment in the manifests: 1 replica assumed');
      todos.push(`${d.key}: not in the manifests: replicas assumed`);
    }
    if (ts?.selfTime) out(`      serviceTime: ${formYaml(ts.selfTime.form)}  # ${ts.selfTime.note}`);
    else {
      out(
        `      serviceTime: {distribution: exponential, mean: 10ms}  # TODO: no ${t ? 'requests observed' : 'traffic given'}: the default`,
      );
      todos.push(`${d.key}: service time not observed: exponential 10ms assumed`);
    }
    if (ts?.requestSize) out(`      requestSize: ${ts.requestSize.bytes}  # ${ts.requestSize.origin}`);
    if (ts?.responseSize) out(`      responseSize: ${ts.responseSize.bytes}  # ${ts.responseSize.origin}`);
    const calls = (t?.edges ?? []).filter((e) => e.callsPerRequest !== undefined && draftOf(e.source) === d);
    calls.sort((a, b) => a.order - b.order || (a.destination < b.destination ? -1 : 1));
    if (calls.length) {
      out('      calls:');
      for (const c of calls) for (const line of callLines(c, refOf(c.destination))) out(`        ${line}`);
    }
  }

  // Workloads.
  const names = new Map<string, { name: string; namespace?: string }>();
  for (const k of trafficKeys) {
    const d = draftOf(k);
    if (d) names.set(k, { name: d.name, namespace: d.namespace });
  }
  out('  workload:');
  const serviceNames = new Set(drafts.map((d) => d.name));
  const entries = t?.entries ?? [];
  const seen = new Set<string>();
  for (const e of entries) {
    let name = dnsLabel(e.workload);
    if (serviceNames.has(name) || seen.has(name)) name = dnsLabel(`${name}-clients`);
    for (let i = 2; seen.has(name) || serviceNames.has(name); i++) name = dnsLabel(`${e.workload}-${i}`);
    seen.add(name);
    names.set(e.workload, { name });
    out(`    - name: ${name}  # the client that sent ${e.target}'s end-user requests`);
    out(`      target: ${str(refOf(e.target))}`);
    if (e.namespace !== 'default') out(`      from: {namespace: ${e.namespace}}`);
    out(`      rate: ${sig(e.ratePerS)}  # requests/s: ${e.origin}`);
    const total = e.requests.reduce((a, r) => a + r.weight, 0);
    if (e.requests.length > 1 || e.requests[0]?.path !== '/' || e.requests[0]?.method !== 'GET') {
      out('      requests:');
      for (const r of e.requests)
        out(
          `        - {method: ${str(r.method)}, path: ${str(r.path)}, weight: ${r.weight}}  # ${((100 * r.weight) / total).toFixed(1)}% of sampled requests`,
        );
    }
  }
  if (entries.length === 0) {
    // The service a gateway-bound VirtualService routes to is where users come in; else one nobody calls.
    const gatewayHost = (m?.kept ?? [])
      .filter((k) => k.kind === 'VirtualService' && Array.isArray((k.body.spec as { gateways?: unknown } | undefined)?.gateways))
      .flatMap((k) =>
        ((k.body.spec as { http?: { route?: { destination?: { host?: string } }[] }[] }).http ?? []).flatMap((h) => h.route ?? []),
      )
      .map((r) => r.destination?.host?.split('.')[0])
      .find((h) => h !== undefined && drafts.some((d) => d.name === h));
    const target =
      drafts.find((d) => d.name === gatewayHost) ??
      drafts.find((d) => !(t?.edges ?? []).some((e) => e.callsPerRequest !== undefined && draftOf(e.destination) === d)) ??
      drafts[0];
    let name = 'clients';
    while (serviceNames.has(name)) name = `${name}-x`;
    out(`    - name: ${name}  # TODO: no traffic given (--traces or --metrics): 10 requests/s assumed`);
    out(`      target: ${str(target ? serviceKey(target.name, target.namespace) : 'unknown')}`);
    out('      rate: 10');
    todos.push('workload: no entry traffic observed: 10 requests/s to one service assumed');
  }

  // Istio resources, as they are (HPA targets renamed to meshsim's Deployments).
  let istio: IstioDoc[] | undefined;
  if (m?.kept.length) {
    out('  istioFiles:');
    out(`    - ${str(o.istioFileName)}  # ${m.kept.length} Istio / Gateway API / HPA resource(s), as in the manifests`);
    istio = m.kept.map((k) => {
      const body = structuredClone(k.body);
      let note = '';
      if (k.kind === 'HorizontalPodAutoscaler') {
        const ref = (body.spec as { scaleTargetRef?: { name?: string } } | undefined)?.scaleTargetRef;
        const target = ref?.name ? hpaTargets.get(`${k.namespace}/${ref.name}`) : undefined;
        if (ref && target && target !== ref.name) {
          note = `\n# scaleTargetRef ${ref.name} is meshsim's Deployment ${target}`;
          ref.name = target;
        }
      }
      const meta = body.metadata as Record<string, unknown> | undefined;
      // Server-side fields kubectl prints are not configuration.
      if (meta) for (const f of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink']) delete meta[f];
      delete body.status;
      const label = `${k.kind} ${k.namespace}/${k.name} from ${k.origin}`;
      return { label, text: `# ${label}${note}\n${stringify(body, { lineWidth: 0 })}` };
    });
  }
  const unknownKinds = [...new Set((m?.unknown ?? []).filter((u) => u.kind !== 'Node').map((u) => u.kind))].sort();
  return {
    scenario: `${lines.join('\n')}\n`,
    istio,
    todos: [...new Set(todos)],
    names,
    summary: {
      services: drafts.length,
      edges: (t?.edges ?? []).length,
      workloads: Math.max(1, entries.length),
      kept: m?.kept.length ?? 0,
      unknown: unknownKinds,
    },
  };
}

function callLines(c: TrafficEdge, ref: string): string[] {
  const n = Math.max(1, Math.round(c.callsPerRequest ?? 1));
  const fields = [`service: ${str(ref)}`];
  if (c.method && c.method !== 'GET') fields.push(`method: ${str(c.method)}`);
  if (c.path && c.path !== '/') fields.push(`path: ${str(c.path)}`);
  if (c.sourceVersions) fields.push(`versions: ${flow(c.sourceVersions.map(dnsLabel))}`);
  const per = (c.callsPerRequest ?? 1).toFixed(2);
  const lat = c.p50Ms !== undefined ? `; call p50 ${fmtMs(c.p50Ms)}, p99 ${fmtMs(c.p99Ms ?? NaN)}` : '';
  const line = `- {${fields.join(', ')}}`;
  const todo = Math.abs((c.callsPerRequest ?? 1) - n) > 0.05 ? 'TODO: not a whole number of calls per request, rounded; ' : '';
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? `${line}  # ${todo}${per} calls per request: ${c.origin}${lat}` : `${line}  # call ${i + 1} of ${n}`,
  );
}

function protocolOf(s: ManifestService): 'http2' | 'grpc' | undefined {
  // Istio's protocol selection: appProtocol, else the port name's prefix (istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/).
  const p = (s.appProtocol ?? s.portName ?? '').toLowerCase();
  if (p === 'grpc' || p.startsWith('grpc-')) return 'grpc';
  if (p === 'http2' || p.startsWith('http2-') || p === 'h2c' || p === 'kubernetes.io/h2c') return 'http2';
  return undefined;
}

function resourcesOf(c: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> | undefined {
  const r = c?.resources as Record<string, Record<string, unknown> | undefined> | undefined;
  if (!r) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const part of ['requests', 'limits'] as const) {
    const src = r[part];
    if (!src) continue;
    const kept: Record<string, unknown> = {};
    for (const k of ['cpu', 'memory']) if (src[k] !== undefined) kept[k] = src[k];
    if (Object.keys(kept).length) out[part] = kept;
  }
  return Object.keys(out).length ? out : undefined;
}
