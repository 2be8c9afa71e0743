/**
 * Loads a scenario file: YAML with positions → zod schema → references resolved → Scenario.
 * Every problem a user can cause comes back as a positioned Diagnostic (InputError), never a crash.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { InputError, type Diagnostic } from './diagnostics.js';
import { formatDuration } from './units.js';
import type {
  CallModel,
  ExtAuthzProvider,
  ArrivalModel,
  FaultModel,
  NodeModel,
  RateSegment,
  Scenario,
  ServiceModel,
  WorkloadGateway,
  WorkloadModel,
} from './model.js';
import { scenarioSchema, type ScenarioDoc, type ServiceDoc, type WorkloadDoc } from './schema.js';
import { YamlSource, type PathSegment } from './yaml-source.js';
import { readInputFile, readInputText, resolveBeside } from './input-file.js';
import { excerpt } from './printable.js';
import { documentValue } from './yaml-guard.js';
import { issuesToDiagnostics, PARSE_OPTIONS, suggestion } from './zod-diagnostics.js';
import { embeddedOffsets, readIstioDocuments } from './istio/parse.js';
import { emptyIstioConfig, type IstioConfig, type Problems } from './istio/resources.js';
import { mergeManifestServices } from './istio/manifest-services.js';
import { loadProfile, withCompatibilityVersion } from './profile.js';
import { validateNetworking } from './istio/validate-networking.js';
import { resolveHpas } from './istio/hpa-targets.js';
import { resolveCanaries } from './istio/canary-targets.js';
import { lifecycleFrom } from './lifecycle.js';
import { resolveExternals } from './external.js';
import { egressGatewayModel, usesEgressGateway } from './egress-gateway.js';
import { stableRecord } from '../kernel/stable-shapes.js';

export interface Loaded {
  scenario: Scenario;
  warnings: Diagnostic[];
  source: YamlSource;
}

export interface LoadOptions {
  /** Let `istioFiles` name files outside the scenario's directory tree (--allow-outside-files). */
  allowOutsideFiles?: boolean;
}

/** Most `istioFiles` a scenario may list. */
export const MAX_ISTIO_FILES = 256;

export function readSource(file: string): YamlSource {
  return new YamlSource(file, readInputFile(file, 'scenario'));
}

/** Field names a strict object accepts at `path`, for "did you mean" hints. */
function knownKeysAt(path: readonly PathSegment[]): string[] {
  let schema: unknown = scenarioSchema;
  for (const seg of path) {
    schema = unwrap(schema);
    if (typeof seg === 'number') schema = (schema as { element?: unknown }).element;
    else schema = (schema as { shape?: Record<string, unknown> }).shape?.[seg];
    if (!schema) return [];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; type?: string; options?: unknown[] } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    if (s.def.innerType) s = s.def.innerType;
    else if (s.def.type === 'pipe' && s.def.in) s = s.def.in;
    else break;
  }
  return s;
}

export function parseScenario(file: string, options: LoadOptions = {}): Loaded {
  return parseScenarioSource(readSource(file), options);
}

/** The scenario without the istioctl-analyze pass (analysis/load.ts adds it). */
export function parseScenarioSource(src: YamlSource, options: LoadOptions = {}): Loaded {
  const syntax = src.syntaxErrors();
  if (syntax.length) throw new InputError(syntax);
  const contents = src.doc.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    throw new InputError([src.at(0, 'error', 'the scenario file is empty: expected apiVersion, kind, metadata and spec')]);
  }
  if (!isMap(contents)) {
    throw new InputError([
      src.at(
        contents.range?.[0] ?? 0,
        'error',
        `a scenario is a mapping (apiVersion, kind, metadata, spec), got ${isSeq(contents) ? 'a list' : 'a scalar'}`,
      ),
    ]);
  }
  const parsed = scenarioSchema.safeParse(documentValue(src), PARSE_OPTIONS);
  if (!parsed.success) throw new InputError(issuesToDiagnostics(parsed.error.issues, src, knownKeysAt));
  return resolve(parsed.data, src, options);
}

/** Where a resolving step reports a positioned error (its message is prefixed with the field path by the caller). */
type ReportError = (path: PathSegment[], message: string, key?: string) => void;

/**
 * Cross-field checks and reference resolution, with positions. Steps run in this order so the
 * diagnostics come out in the order of the file's sections.
 */
function resolve(doc: ScenarioDoc, src: YamlSource, options: LoadOptions): Loaded {
  const problems: Problems = { errors: [], warnings: [] };
  const err: ReportError = (path, message, key) => problems.errors.push(src.diagnosticAt(path, 'error', message, key));
  const spec = doc.spec;

  const { istio, applied } = readIstioInputs(spec, src, problems, err, options);
  const manifestKey = spec.istio !== undefined ? 'istio' : 'istioFiles';
  const merged = mergeManifestServices(spec.services, istio, (m, at) =>
    problems.warnings.push(
      at?.src ? at.src.diagnosticAt(['metadata'], 'warning', m, 'name') : src.diagnosticAt(['spec'], 'warning', m, manifestKey),
    ),
  );
  checkWarmup(spec, err);
  const nodes = resolveNodes(spec, err);
  checkServiceDuplicates(merged.services, err);
  const dir = serviceDirectory(merged.services);
  const externals = resolveExternals(spec.external, istio, err);
  const services = resolveServices(dir, merged.labels, externals, err);
  checkNodeReferences(nodes, merged.services, spec.workload, err);
  checkCallCycles(services, dir, err);
  const waypoints = resolveWaypoints(spec.mesh.waypoints, dir, err);
  const extensionProviders = resolveExtensionProviders(spec.mesh.extensionProviders, dir, problems, src);
  const workloads = resolveWorkloads(spec.workload, dir, err, istio);
  checkWorkloadNames(spec.workload, dir, err);
  const faults = resolveFaults(spec, applied, dir, [...services, ...externals], nodes, err);
  validateNetworking([istio, ...applied.filter((c): c is IstioConfig => c !== undefined)], problems);
  const hpas = resolveHpas(istio, services, problems);
  const canaries = resolveCanaries(istio, applied, services, problems);
  if (problems.errors.length) throw new InputError(problems.errors);
  const scenario = buildScenario(doc, src, {
    istio,
    nodes,
    services,
    externals,
    workloads,
    faults,
    waypoints,
    extensionProviders,
    hpas,
    canaries,
  });
  return { scenario, warnings: problems.warnings, source: src };
}

/**
 * Istio and Kubernetes YAML: inline (`spec.istio`), from files (`spec.istioFiles`), and in
 * config-change faults (`spec.faults[].apply`, one config per fault). Documents are numbered in
 * reading order across all three.
 */
function readIstioInputs(
  spec: ScenarioDoc['spec'],
  src: YamlSource,
  problems: Problems,
  err: ReportError,
  options: LoadOptions,
): { istio: IstioConfig; applied: (IstioConfig | undefined)[] } {
  const istio = emptyIstioConfig();
  let order = 0;
  if (spec.istio !== undefined) {
    const off = embeddedOffsets(src, ['spec', 'istio']);
    order = readIstioDocuments(YamlSource.all(src.file, spec.istio, off.lineOffset, off.colOffset), istio, problems, order);
  }
  for (const key of ['linkerd', 'cilium', 'appmesh'] as const) {
    const text = spec[key];
    if (text === undefined) continue;
    const off = embeddedOffsets(src, ['spec', key]);
    order = readIstioDocuments(YamlSource.all(src.file, text, off.lineOffset, off.colOffset), istio, problems, order);
  }
  // Files resolve relative to the scenario and stay inside its directory tree; regular files only.
  const seen = new Set<string>();
  spec.istioFiles.forEach((f, i) => {
    const at: PathSegment[] = ['spec', 'istioFiles', i];
    if (i === MAX_ISTIO_FILES) err(at, `spec.istioFiles: at most ${MAX_ISTIO_FILES} files`);
    if (i >= MAX_ISTIO_FILES) return;
    const where = resolveBeside(src.file, f, options.allowOutsideFiles === true);
    if ('error' in where) return err(at, `spec.istioFiles[${i}]: ${excerpt(f)} is ${where.error}`);
    if (seen.has(where.path)) return err(at, `spec.istioFiles[${i}]: ${excerpt(f)} is listed twice`);
    seen.add(where.path);
    const read = readInputText(where.path, 'Istio file');
    if (!read.ok) return err(at, `spec.istioFiles[${i}]: ${excerpt(f)}: ${read.problem.message}`);
    order = readIstioDocuments(YamlSource.all(where.path, read.text), istio, problems, order);
  });
  const applied = spec.faults.map((f, i) => {
    if (f.apply === undefined) return undefined;
    const cfg = emptyIstioConfig();
    const off = embeddedOffsets(src, ['spec', 'faults', i, 'apply']);
    order = readIstioDocuments(YamlSource.all(src.file, f.apply, off.lineOffset, off.colOffset), cfg, problems, order);
    return cfg;
  });
  return { istio, applied };
}

function checkWarmup(spec: ScenarioDoc['spec'], err: ReportError): void {
  if (spec.warmup >= spec.duration)
    err(['spec', 'warmup'], `spec.warmup: must be shorter than spec.duration (${formatDuration(spec.duration)})`);
}

/** `nodes: N` makes N identical nodes in one zone; a list names each node (names unique, cpu > 0). */
function resolveNodes(spec: ScenarioDoc['spec'], err: ReportError): NodeModel[] {
  const listed = spec.cluster.nodes;
  if (typeof listed === 'number') {
    return Array.from({ length: listed }, (_, i) => ({
      name: `node-${i}`,
      zone: 'zone-a',
      region: 'region-a',
      cpu: 8,
      memoryBytes: 32 * 1024 ** 3,
    }));
  }
  const seen = new Set<string>();
  listed.forEach((n, i) => {
    if (seen.has(n.name)) err(['spec', 'cluster', 'nodes', i, 'name'], `spec.cluster.nodes[${i}].name: duplicate node "${n.name}"`);
    if (n.cpu <= 0) err(['spec', 'cluster', 'nodes', i, 'cpu'], `spec.cluster.nodes[${i}].cpu: must be > 0`);
    seen.add(n.name);
  });
  return listed.map((n) => ({ name: n.name, zone: n.zone, region: n.region, cpu: n.cpu, memoryBytes: n.memory }));
}

/** One service per name and namespace; replicas or versions, not both; version names unique. */
function checkServiceDuplicates(serviceDocs: readonly ServiceDoc[], err: ReportError): void {
  const seenFqdn = new Set<string>();
  serviceDocs.forEach((s, i) => {
    const fqdn = `${s.name}.${s.namespace}`;
    if (seenFqdn.has(fqdn))
      err(['spec', 'services', i, 'name'], `spec.services[${i}].name: duplicate service "${s.name}" in namespace "${s.namespace}"`);
    seenFqdn.add(fqdn);
    if (s.replicas !== undefined && s.versions !== undefined)
      err(['spec', 'services', i], `spec.services[${i}]: give replicas or versions, not both`, 'versions');
    const vn = new Set<string>();
    s.versions?.forEach((v, j) => {
      if (vn.has(v.name))
        err(['spec', 'services', i, 'versions', j, 'name'], `spec.services[${i}].versions[${j}].name: duplicate version "${v.name}"`);
      vn.add(v.name);
    });
  });
}

/** The scenario's services by reference: their keys, DNS-style lookup and the "unknown service" message. */
interface ServiceDirectory {
  readonly docs: readonly ServiceDoc[];
  readonly names: readonly string[];
  /** A service's key: its name, or `name.namespace` when the name is used in several namespaces. */
  keyOf(s: ServiceDoc): string;
  /** Resolves `name`, `name.ns` or `name.ns.svc.cluster.local` as Kubernetes DNS does, from `fromNs`. */
  lookup(ref: string, fromNs: string): ServiceDoc | undefined;
  unknown(ref: string): string;
}

function serviceDirectory(docs: readonly ServiceDoc[]): ServiceDirectory {
  const nameCount = new Map<string, number>();
  for (const s of docs) nameCount.set(s.name, (nameCount.get(s.name) ?? 0) + 1);
  const names = docs.map((s) => s.name);
  return {
    docs,
    names,
    keyOf: (s) => ((nameCount.get(s.name) ?? 0) > 1 ? `${s.name}.${s.namespace}` : s.name),
    lookup: (ref, fromNs) => {
      const parts = ref.replace(/\.svc\.cluster\.local$/, '').split('.');
      if (parts.length === 1) {
        return (
          docs.find((s) => s.name === parts[0] && s.namespace === fromNs) ??
          (nameCount.get(parts[0]!) === 1 ? docs.find((s) => s.name === parts[0]) : undefined)
        );
      }
      if (parts.length === 2) return docs.find((s) => s.name === parts[0] && s.namespace === parts[1]);
      return undefined;
    },
    unknown: (ref) =>
      `unknown service "${ref}"${suggestion(ref, names)}${names.length ? `; services are: ${names.join(', ')}` : '; no services are defined'}`,
  };
}

/** Service models: versions (with their pod labels from manifests), calls resolved to service keys. */
function resolveServices(
  dir: ServiceDirectory,
  labels: ReadonlyMap<string, ReadonlyMap<string, Record<string, string>>>,
  externals: readonly ServiceModel[],
  err: ReportError,
): ServiceModel[] {
  return dir.docs.map((s, i) => {
    // The request path reads the service model (a pod's version, the service's resources and
    // calls): see stableRecord. A scenario with one service makes each of these once per run.
    const versions = (s.versions ?? [{ name: 'v1', replicas: s.replicas ?? 1 }]).map((v) =>
      stableRecord({
        name: v.name,
        replicas: v.replicas,
        labels: labels.get(`${s.name}.${s.namespace}`)?.get(v.name) ?? { app: s.name, version: v.name },
        serviceTime: ('serviceTime' in v && v.serviceTime) || s.serviceTime,
        failure: ('failure' in v && v.failure) || s.failure,
      }),
    );
    const calls = s.calls.map((c, j) => {
      if (c.host !== undefined)
        return externalCall(c, c.host, s, externals, (m) =>
          err(['spec', 'services', i, 'calls', j, 'host'], `spec.services[${i}].calls[${j}].host: ${m}`),
        );
      const ref = c.service as string;
      const target = dir.lookup(ref, s.namespace);
      if (!target) err(['spec', 'services', i, 'calls', j, 'service'], `spec.services[${i}].calls[${j}].service: ${dir.unknown(ref)}`);
      return callModel(c, target ? dir.keyOf(target) : ref, target, s);
    });
    return stableRecord<ServiceModel>({
      key: dir.keyOf(s),
      name: s.name,
      namespace: s.namespace,
      fqdn: `${s.name}.${s.namespace}.svc.cluster.local`,
      serviceAccount: s.serviceAccount ?? s.name,
      port: s.port,
      protocol: s.protocol,
      versions,
      concurrency: s.concurrency,
      cpuShare: s.cpuShare,
      calls,
      requestSize: s.requestSize,
      responseSize: s.responseSize,
      resources: stableRecord({
        requestCpu: s.resources.requests.cpu,
        requestMemoryBytes: s.resources.requests.memory,
        limitCpu: s.resources.limits.cpu,
        limitMemoryBytes: s.resources.limits.memory,
      }),
      inMesh: s.inMesh,
      propagatesTraceHeaders: s.propagatesTraceHeaders,
      node: s.node,
      propagateHeaders: s.propagateHeaders.map((h) => h.toLowerCase()),
      lifecycle: lifecycleFrom({ ...s, startupUs: s.startupTime }),
    });
  });
}

/** A call to an external host (`calls[].host`): it must be an entry of spec.external. */
function externalCall(
  c: ServiceDoc['calls'][number],
  host: string,
  s: ServiceDoc,
  externals: readonly ServiceModel[],
  err: (m: string) => void,
): CallModel {
  const target = externals.find((e) => e.key === host);
  if (!target) {
    const hosts = externals.map((e) => e.key);
    err(
      `unknown external host "${host}"${suggestion(host, hosts)}; declare it in spec.external (how it answers)${hosts.length ? `; external hosts are: ${hosts.join(', ')}` : ''}`,
    );
  }
  return callModel(c, host, target, s);
}

/**
 * A call's model, to a service of the cluster or to an external host: one shape for both, as the
 * request path reads a service's calls (see stableRecord). Sizes not given on the call come from
 * the callee, then from the caller.
 */
function callModel(
  c: ServiceDoc['calls'][number],
  service: string,
  target: { requestSize?: number; responseSize?: number } | undefined,
  s: ServiceDoc,
): CallModel {
  return stableRecord({
    service,
    method: c.method,
    path: c.path,
    headers: c.headers,
    onFailure: c.onFailure,
    versions: c.versions,
    timeoutUs: c.timeout,
    retries: c.retries,
    requestSize: c.requestSize ?? target?.requestSize ?? s.requestSize,
    responseSize: c.responseSize ?? target?.responseSize ?? s.responseSize,
  });
}

/** Services and workloads pinned to a node must name one that exists. */
function checkNodeReferences(
  nodes: readonly NodeModel[],
  serviceDocs: readonly ServiceDoc[],
  workloads: readonly WorkloadDoc[],
  err: ReportError,
): void {
  const nodeNames = nodes.map((n) => n.name);
  const checkNode = (name: string | undefined, path: PathSegment[]) => {
    if (name !== undefined && !nodeNames.includes(name))
      err(
        path,
        `${path
          .slice(1)
          .map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p))
          .join('')}: unknown node "${name}" (nodes: ${nodeNames.join(', ')})`,
      );
  };
  serviceDocs.forEach((s, i) => checkNode(s.node, ['spec', 'services', i, 'node']));
  workloads.forEach((w, i) => checkNode(w.from.node, ['spec', 'workload', i, 'from', 'node']));
}

/** A call graph with a cycle would recurse forever. */
function checkCallCycles(services: readonly ServiceModel[], dir: ServiceDirectory, err: ReportError): void {
  const byKey = new Map(services.map((s) => [s.key, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, trail: string[]): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      const i = dir.docs.findIndex((s) => dir.keyOf(s) === key);
      err(
        ['spec', 'services', i, 'calls'],
        `spec.services[${i}].calls: calls form a cycle (${[...trail.slice(trail.indexOf(key)), key].join(' → ')}); a request would never finish`,
      );
      return;
    }
    state.set(key, 'visiting');
    for (const c of byKey.get(key)?.calls ?? []) if (byKey.has(c.service)) visit(c.service, [...trail, key]);
    state.set(key, 'done');
  };
  for (const s of services) visit(s.key, []);
}

/** Waypoint services, resolved from namespace `default`. */
function resolveWaypoints(refs: readonly string[], dir: ServiceDirectory, err: ReportError): string[] {
  return refs.map((w, i) => {
    const t = dir.lookup(w, 'default');
    if (!t) err(['spec', 'mesh', 'waypoints', i], `spec.mesh.waypoints[${i}]: ${dir.unknown(w)}`);
    return t ? dir.keyOf(t) : w;
  });
}

/** Istio's ext_authz default timeout (istio/api mesh/v1alpha1/config.proto: "Default is 600s"). */
const EXT_AUTHZ_DEFAULT_TIMEOUT_US = 600e6;

/**
 * meshConfig.extensionProviders with their services resolved. A provider whose service is not in
 * the scenario is kept without one: istiod cannot build it, so CUSTOM policies naming it turn into
 * DENY (pilot/pkg/security/authz/builder/extauthz.go, builder.go getBadCustomDenyRules); warned.
 */
function resolveExtensionProviders(
  docs: ScenarioDoc['spec']['mesh']['extensionProviders'],
  dir: ServiceDirectory,
  problems: Problems,
  src: YamlSource,
): ExtAuthzProvider[] {
  return docs.map((p, i) => {
    const kind = p.envoyExtAuthzHttp ? 'http' : 'grpc';
    const c = (p.envoyExtAuthzHttp ?? p.envoyExtAuthzGrpc) as NonNullable<typeof p.envoyExtAuthzGrpc>;
    const path: PathSegment[] = [
      'spec',
      'mesh',
      'extensionProviders',
      i,
      kind === 'http' ? 'envoyExtAuthzHttp' : 'envoyExtAuthzGrpc',
      'service',
    ];
    const ns = c.service.split('.')[1] ?? 'default';
    const target = dir.lookup(c.service, ns);
    if (!target)
      problems.warnings.push(
        src.diagnosticAt(
          path,
          'warning',
          `extension provider "${p.name}": ${dir.unknown(c.service)}; istiod cannot build it, so CUSTOM policies naming it deny the requests they match`,
        ),
      );
    return {
      name: p.name,
      kind,
      service: target ? dir.keyOf(target) : undefined,
      port: c.port,
      timeoutUs: c.timeout ?? EXT_AUTHZ_DEFAULT_TIMEOUT_US,
      failOpen: c.failOpen,
      statusOnError: c.statusOnError ?? 403,
      pathPrefix: p.envoyExtAuthzHttp?.pathPrefix ?? '',
    };
  });
}

/**
 * The gateway a workload names (`name` or `namespace/name`): an Istio Gateway or a Gateway API
 * Gateway, in the workload's namespace first, else the only one with that name; or why not.
 */
function findGateway(istio: IstioConfig, ref: string, namespace: string): Omit<WorkloadGateway, 'host'> | string {
  const slash = ref.indexOf('/');
  const ns = slash < 0 ? undefined : ref.slice(0, slash);
  const name = slash < 0 ? ref : ref.slice(slash + 1);
  const all = [
    ...istio.gateways.map((g) => ({ kind: 'istio' as const, name: g.name, namespace: g.namespace })),
    ...istio.mesh.gateways.map((g) => ({ kind: 'gateway-api' as const, name: g.name, namespace: g.namespace })),
  ].filter((g) => g.name === name && (ns === undefined || g.namespace === ns));
  const found = all.find((g) => g.namespace === (ns ?? namespace)) ?? (all.length === 1 ? all[0] : undefined);
  if (found) return found;
  if (all.length > 1)
    return `gateway "${ref}" exists in several namespaces (${all.map((g) => g.namespace).join(', ')}); write namespace/name`;
  return `no Gateway "${ref}" in the Istio / Gateway API resources (an Istio networking.istio.io Gateway or a gateway.networking.k8s.io Gateway)`;
}

/** Workload models: target resolved from the caller's namespace, arrivals, request mix with sizes. */
function resolveWorkloads(docs: readonly WorkloadDoc[], dir: ServiceDirectory, err: ReportError, istio: IstioConfig): WorkloadModel[] {
  return docs.map((w, i) => {
    const target = w.target === undefined ? undefined : dir.lookup(w.target, w.from.namespace);
    if (w.target !== undefined && !target) err(['spec', 'workload', i, 'target'], `spec.workload[${i}].target: ${dir.unknown(w.target)}`);
    const gateway = w.gateway === undefined ? undefined : findGateway(istio, w.gateway, w.from.namespace);
    if (w.gateway !== undefined && typeof gateway === 'string')
      err(['spec', 'workload', i, 'gateway'], `spec.workload[${i}].gateway: ${gateway}`);
    const gw = typeof gateway === 'object' ? { ...gateway, host: w.host } : undefined;
    return {
      name: w.name,
      target: target ? dir.keyOf(target) : (w.target ?? ''),
      ...(gw ? { gateway: gw } : {}),
      // A client that enters through an ingress gateway is outside the cluster: it has no proxy of its own.
      from: {
        namespace: w.from.namespace,
        serviceAccount: w.from.serviceAccount ?? w.name,
        inMesh: w.gateway === undefined && w.from.inMesh,
        node: w.from.node,
      },
      arrivals: arrivalsOf(w, (p, m) => err(['spec', 'workload', i, ...p], `spec.workload[${i}].${m}`)),
      ...(w.client === 'fortio' ? { client: w.client } : {}),
      requests: w.requests.map((r) => ({
        method: r.method,
        path: r.path,
        headers: r.headers,
        ...(r.jwt ? { jwt: r.jwt } : {}),
        weight: r.weight,
        requestSize: w.requestSize ?? target?.requestSize ?? 256,
        responseSize: w.responseSize ?? target?.responseSize ?? 1024,
      })),
    };
  });
}

/** Workload names are unique and differ from service names (both name callers in the results). */
function checkWorkloadNames(docs: readonly WorkloadDoc[], dir: ServiceDirectory, err: ReportError): void {
  const wlNames = new Set<string>();
  docs.forEach((w, i) => {
    if (wlNames.has(w.name)) err(['spec', 'workload', i, 'name'], `spec.workload[${i}].name: duplicate workload "${w.name}"`);
    if (dir.names.includes(w.name))
      err(['spec', 'workload', i, 'name'], `spec.workload[${i}].name: "${w.name}" is also a service name; give the workload its own name`);
    wlNames.add(w.name);
  });
}

type FaultDoc = ScenarioDoc['spec']['faults'][number];

/** Fault models: target resolved and checked against its versions and pods, injection, label, when a config change takes effect. */
function resolveFaults(
  spec: ScenarioDoc['spec'],
  applied: readonly (IstioConfig | undefined)[],
  dir: ServiceDirectory,
  services: readonly ServiceModel[],
  nodes: readonly NodeModel[],
  err: ReportError,
): FaultModel[] {
  const byKey = new Map(services.map((s) => [s.key, s]));
  return spec.faults.map((f, i) => {
    const at = (p: PathSegment[], m: string) => err(['spec', 'faults', i, ...p], `spec.faults[${i}].${m}`);
    const node = f.target?.node;
    if (node !== undefined && !nodes.some((n) => n.name === node))
      at(['target', 'node'], `target.node: unknown node "${node}" (nodes: ${nodes.map((n) => n.name).join(', ')})`);
    const target = resolveFaultTarget(f, dir, byKey, at);
    const apply = applied[i];
    const effectiveUs = apply ? f.at + spec.mesh.configPropagation : undefined;
    // The injection's own part of the label comes from its fault kind (analysis/load.ts).
    const label = `${f.inject ? '' : 'config change'}${faultTargetText(target)}${node !== undefined ? ` on node ${node}` : ''}`;
    return { atUs: f.at, untilUs: f.until, effectiveUs, target, node, injectDoc: f.inject, apply, label };
  });
}

function resolveFaultTarget(
  f: FaultDoc,
  dir: ServiceDirectory,
  byKey: ReadonlyMap<string, ServiceModel>,
  at: (p: PathSegment[], m: string) => void,
): FaultModel['target'] {
  if (f.target?.service === undefined) return undefined;
  const external = byKey.get(f.target.service);
  if (external?.external) return { service: external.key, version: f.target.version, pod: f.target.pod };
  const svc = dir.lookup(f.target.service, 'default');
  if (!svc) {
    at(['target', 'service'], `target.service: ${dir.unknown(f.target.service)}`);
    return undefined;
  }
  const model = byKey.get(dir.keyOf(svc)) as ServiceModel;
  const versions = model.versions.filter((v) => f.target?.version === undefined || v.name === f.target.version);
  if (versions.length === 0)
    at(
      ['target', 'version'],
      `target.version: service "${svc.name}" has no version "${String(f.target.version)}" (versions: ${model.versions.map((v) => v.name).join(', ')})`,
    );
  const pods = versions.reduce((n, v) => n + v.replicas, 0);
  if (typeof f.target.pod === 'number' && versions.length > 0 && f.target.pod >= pods) {
    at(['target', 'pod'], `target.pod: index ${f.target.pod} is out of range: the target has ${pods} pod(s)`);
  }
  return { service: model.key, version: f.target.version, pod: f.target.pod };
}

/** Whom a fault acts on, as reports show it: ` on payment/v1 pod 0`. */
export function faultTargetText(target: FaultModel['target']): string {
  return target
    ? ` on ${target.service}${target.version ? `/${target.version}` : ''}${target.pod === 'all' ? '' : ` pod ${target.pod}`}`
    : '';
}

/** The resolved Scenario: the document's settings in model units, with the resolved parts. */
function buildScenario(
  doc: ScenarioDoc,
  src: YamlSource,
  parts: Pick<Scenario, 'istio' | 'nodes' | 'services' | 'externals' | 'workloads' | 'faults' | 'hpas' | 'canaries'> & {
    waypoints: string[];
    extensionProviders: ExtAuthzProvider[];
  },
): Scenario {
  const spec = doc.spec;
  // The request path reads the scenario (its network, in every hop): see stableRecord.
  return stableRecord<Scenario>({
    file: src.file,
    name: doc.metadata.name,
    description: doc.metadata.description.trim(),
    seed: spec.seed,
    durationUs: spec.duration,
    warmupUs: spec.warmup,
    mesh: {
      mode: spec.mesh.mode,
      profile: spec.mesh.profile,
      compatibilityVersion: spec.mesh.compatibilityVersion,
      extensionProviders: parts.extensionProviders,
      waypoints: parts.waypoints,
      outboundTrafficPolicy: spec.mesh.outboundTrafficPolicy.mode,
      gatewayReplicas: spec.mesh.gatewayReplicas,
      egressGatewayReplicas: spec.mesh.egressGatewayReplicas,
      configPropagationUs: spec.mesh.configPropagation,
      encryption: spec.mesh.encryption,
    },
    costProfile: withCompatibilityVersion(
      loadProfile(spec.mesh.profile, src, ['spec', 'mesh', 'profile']),
      spec.mesh.compatibilityVersion,
      src,
      ['spec', 'mesh', 'compatibilityVersion'],
    ),
    istio: parts.istio,
    nodes: parts.nodes,
    network: {
      sameNodeUs: spec.cluster.network.sameNode,
      sameZoneUs: spec.cluster.network.sameZone,
      crossZoneUs: spec.cluster.network.crossZone,
    },
    services: parts.services,
    externals: parts.externals,
    ...(usesEgressGateway([parts.istio, ...parts.faults.flatMap((f) => (f.apply ? [f.apply] : []))])
      ? { egressGateway: egressGatewayModel(spec.mesh.egressGatewayReplicas) }
      : {}),
    workloads: parts.workloads,
    faults: parts.faults,
    cost: spec.cost,
    hpas: parts.hpas,
    canaries: parts.canaries,
    placement: spec.cluster.placement ?? (spec.cluster.autoscale ? 'requests' : 'hash'),
    autoscale: spec.cluster.autoscale && {
      min: spec.cluster.autoscale.min,
      max: spec.cluster.autoscale.max,
      provisioningDelayUs: spec.cluster.autoscale.provisioningDelay,
    },
    slo: spec.slo && {
      p50Us: spec.slo.p50,
      p90Us: spec.slo.p90,
      p99Us: spec.slo.p99,
      p999Us: spec.slo.p999,
      successRate: spec.slo.successRate,
    },
  });
}

function arrivalsOf(w: WorkloadDoc, err: (path: PathSegment[], msg: string) => void): ArrivalModel {
  if (w.users) return { kind: 'closed', users: w.users.count, thinkTime: w.users.thinkTime };
  let segments: RateSegment[];
  if (w.ramp) {
    segments = [{ startUs: 0, endUs: w.ramp.over, fromRate: w.ramp.from, toRate: w.ramp.to }];
  } else if (w.steps) {
    const steps = w.steps;
    steps.forEach((s, i) => {
      if (i > 0 && s.at <= (steps[i - 1] as { at: number }).at)
        err(['steps', i, 'at'], `steps[${i}].at: steps must be in increasing time order`);
    });
    segments = steps.map((s, i) => ({ startUs: s.at, endUs: steps[i + 1]?.at ?? Infinity, fromRate: s.rate, toRate: s.rate }));
    if ((steps[0] as { at: number }).at > 0)
      segments.unshift({ startUs: 0, endUs: (steps[0] as { at: number }).at, fromRate: 0, toRate: 0 });
  } else {
    segments = [{ startUs: 0, endUs: Infinity, fromRate: w.rate ?? 0, toRate: w.rate ?? 0 }];
  }
  const maxRate = Math.max(...segments.map((s) => Math.max(s.fromRate, s.toRate)));
  return { kind: 'open', process: w.arrival, segments, maxRate };
}
