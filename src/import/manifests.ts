/**
 * `meshsim import --manifests`: what a cluster's own YAML says, as `kubectl get … -o yaml` prints it
 * (multi-document files, `kind: List` and `*List` wrappers, directories of them). Workloads
 * (Deployments, StatefulSets) and the Services selecting them become scenario services; namespace
 * labels give the mesh mode; Istio, Gateway API and HPA resources are kept as they are for the
 * engines; every other kind is listed and skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document, type Node as YamlNode } from 'yaml';
import { InputError, type Diagnostic } from '../config/diagnostics.js';
import { readInputText } from '../config/input-file.js';

/** One manifest object with where it came from (`file:line`). */
export interface ManifestObject {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  /** The object as parsed (plain JSON). */
  body: Record<string, unknown>;
  origin: string;
}

export interface ManifestWorkload {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  namespace: string;
  replicas: number;
  /** Pod template labels. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  container?: Record<string, unknown>;
  serviceAccount?: string;
  terminationGracePeriodSeconds?: number;
  origin: string;
}

export interface ManifestService {
  name: string;
  namespace: string;
  port?: number;
  portName?: string;
  appProtocol?: string;
  selector: Record<string, string>;
  labels: Record<string, string>;
  origin: string;
}

export interface Manifests {
  /** Files read, in order. */
  files: string[];
  workloads: ManifestWorkload[];
  services: ManifestService[];
  namespaces: Map<string, { labels: Record<string, string>; origin: string }>;
  /** Istio, Gateway API and HPA resources, kept as-is for the engines. */
  kept: ManifestObject[];
  /** Kinds read but not needed (ServiceAccounts …): counted, not copied. */
  ignored: ManifestObject[];
  /** Kinds meshsim does not know: listed and skipped. */
  unknown: ManifestObject[];
}

/** API groups whose every kind goes to the engines unchanged. */
const KEPT_GROUPS = [
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
  'gateway.networking.k8s.io',
  'gateway.networking.x-k8s.io',
];
/** Kinds read for nothing the scenario needs (a Service's identity comes from its workload). */
const IGNORED_KINDS = new Set(['ServiceAccount', 'ConfigMap', 'Secret', 'Endpoints', 'EndpointSlice', 'ReplicaSet', 'Pod']);

const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/** YAML/JSON files under a directory, sorted (so the import is the same on any machine). */
function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((n) => {
      const p = join(path, n);
      if (statSync(p).isDirectory()) return filesUnder(p);
      return /\.(ya?ml|json)$/i.test(n) ? [p] : [];
    });
}

const problem = (file: string, line: number, col: number, message: string): Diagnostic => ({ file, line, col, severity: 'error', message });

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Reads every manifest under `paths`; a file that is not YAML, or a document that is not an object with kind, is an InputError. */
export function readManifests(paths: string[]): Manifests {
  const m: Manifests = { files: [], workloads: [], services: [], namespaces: new Map(), kept: [], ignored: [], unknown: [] };
  const errors: Diagnostic[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = filesUnder(p);
    } catch {
      throw new InputError([problem(p, 1, 1, 'cannot read manifests: no such file or directory')]);
    }
    if (files.length === 0) errors.push(problem(p, 1, 1, 'no .yaml, .yml or .json files in this directory'));
    for (const file of files) {
      m.files.push(file);
      readFile(file, m, errors);
    }
  }
  if (errors.length) throw new InputError(errors.slice(0, 1));
  return m;
}

function readFile(file: string, m: Manifests, errors: Diagnostic[]): void {
  const read = readInputText(file, 'manifest');
  if (!read.ok) {
    errors.push(read.problem);
    return;
  }
  const lc = new LineCounter();
  const docs = parseAllDocuments(read.text, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number) => lc.linePos(offset);
  const list = Array.isArray(docs) ? (docs as Document.Parsed[]) : [];
  if (!Array.isArray(docs) || list.some((d) => d.errors.length)) {
    const err = list.flatMap((d) => d.errors)[0];
    const pos = at(err?.pos[0] ?? 0);
    errors.push(problem(file, pos.line, pos.col, `not YAML: ${(err?.message ?? 'cannot parse').split('\n')[0]}`));
    return;
  }
  for (const doc of list) {
    if (doc.contents === null || doc.toJS() === null) continue;
    const pos = at((doc.contents as YamlNode).range?.[0] ?? 0);
    const origin = `${file}:${pos.line}`;
    if (!isMap(doc.contents)) {
      errors.push(problem(file, pos.line, pos.col, 'not a Kubernetes manifest: expected an object with apiVersion and kind'));
      continue;
    }
    const body = doc.toJS() as Record<string, unknown>;
    addObject(body, file, origin, pos, m, errors, { doc, at });
  }
}

function addObject(
  body: Record<string, unknown>,
  file: string,
  origin: string,
  pos: { line: number; col: number },
  m: Manifests,
  errors: Diagnostic[],
  src?: { doc: Document.Parsed; at: (offset: number) => { line: number; col: number } },
): void {
  const kind = typeof body.kind === 'string' ? body.kind : '';
  const apiVersion = typeof body.apiVersion === 'string' ? body.apiVersion : '';
  if (!kind || !apiVersion) {
    errors.push(problem(file, pos.line, pos.col, 'not a Kubernetes manifest: expected an object with apiVersion and kind'));
    return;
  }
  // `kubectl get … -o yaml` of several objects prints a List (kind: List, or DeploymentList …).
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(body.items))) {
    const items = Array.isArray(body.items) ? (body.items as unknown[]) : [];
    const seq = src && isMap(src.doc.contents) ? src.doc.contents.get('items', true) : undefined;
    items.forEach((item, i) => {
      const node = isSeq(seq) ? (seq.items[i] as YamlNode | undefined) : undefined;
      const itemPos = node?.range && src ? src.at(node.range[0]) : pos;
      const itemBody = obj(item);
      // Items of a typed list (DeploymentList) may leave out their own kind.
      if (!itemBody.kind && kind !== 'List') itemBody.kind = kind.slice(0, -4);
      if (!itemBody.apiVersion && kind !== 'List') itemBody.apiVersion = apiVersion;
      addObject(itemBody, file, `${origin.replace(/:\d+$/, '')}:${itemPos.line}`, itemPos, m, errors);
    });
    return;
  }
  const meta = obj(body.metadata);
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  const o: ManifestObject = { kind, apiVersion, name, namespace, body, origin };
  const spec = obj(body.spec);
  if ((kind === 'Deployment' || kind === 'StatefulSet') && group(apiVersion) === 'apps') {
    const template = obj(spec.template);
    const podSpec = obj(template.spec);
    const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as unknown[]).map(obj) : [];
    m.workloads.push({
      kind,
      name,
      namespace,
      // apps/v1 defaults replicas to 1 (k8s.io/api apps/v1 DeploymentSpec.Replicas).
      replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
      labels: strMap(obj(template.metadata).labels),
      annotations: strMap(obj(template.metadata).annotations),
      container: containers.find((c) => c.name !== 'istio-proxy'),
      serviceAccount: typeof podSpec.serviceAccountName === 'string' ? podSpec.serviceAccountName : undefined,
      terminationGracePeriodSeconds:
        typeof podSpec.terminationGracePeriodSeconds === 'number' ? podSpec.terminationGracePeriodSeconds : undefined,
      origin,
    });
  } else if (kind === 'Service' && apiVersion === 'v1') {
    const ports = Array.isArray(spec.ports) ? (spec.ports as unknown[]).map(obj) : [];
    const first = ports[0] ?? {};
    m.services.push({
      name,
      namespace,
      port: typeof first.port === 'number' ? first.port : undefined,
      portName: typeof first.name === 'string' ? first.name : undefined,
      appProtocol: typeof first.appProtocol === 'string' ? first.appProtocol : undefined,
      selector: strMap(spec.selector),
      labels: strMap(meta.labels),
      origin,
    });
  } else if (kind === 'Namespace' && apiVersion === 'v1') {
    m.namespaces.set(name, { labels: strMap(meta.labels), origin });
  } else if (KEPT_GROUPS.includes(group(apiVersion)) || (kind === 'HorizontalPodAutoscaler' && group(apiVersion) === 'autoscaling')) {
    m.kept.push(o);
  } else if (IGNORED_KINDS.has(kind)) {
    m.ignored.push(o);
  } else {
    m.unknown.push(o);
  }
}
