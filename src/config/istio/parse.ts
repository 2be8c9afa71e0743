/**
 * Reads Istio / Kubernetes YAML documents into an IstioConfig, validating each kind it models
 * with Istio's field names. Kinds it does not model yet are warnings, never silently dropped.
 */
import { isMap, isScalar } from 'yaml';
import type * as z from 'zod';
import type { YamlSource, PathSegment } from '../yaml-source.js';
import { yamlStructureErrors } from '../yaml-guard.js';
import { issuesToDiagnostics, PARSE_OPTIONS } from '../zod-diagnostics.js';
import { hpaModel, hpaSpecSchema } from './hpa-schema.js';
import { readCanary } from './flagger-read.js';
import { canarySpecSchema } from './flagger-schema.js';
import { crdFor } from './crd-validate.js';
import { k8sDeploymentSchema, k8sServiceSchema } from './kubernetes.js';
import { destinationRuleSpec, sidecarSpec, virtualServiceSpec } from './networking-schemas.js';
import { istioGatewaySpec } from './gateway-schema.js';
import { authorizationPolicySpec, peerAuthenticationSpec } from './security-schemas.js';
import { serviceEntrySpec } from './egress-schemas.js';
import { requestAuthenticationSpec } from './authn-schemas.js';
import { envoyFilterSpec } from './envoyfilter-schemas.js';
import type { IstioConfig, Problems } from './resources.js';
import { isMeshKind, readMeshResource, readServiceAnnotations } from '../mesh-kinds.js';
import { checkIstioKind } from './istio-kinds.js';

const NETWORKING = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
const SECURITY = ['security.istio.io/v1', 'security.istio.io/v1beta1'];

/** Kinds read elsewhere are listed so their apiVersion is checked here. */
const MODELLED: Record<string, string[]> = {
  VirtualService: NETWORKING,
  DestinationRule: NETWORKING,
  Sidecar: NETWORKING,
  ServiceEntry: NETWORKING,
  Gateway: NETWORKING,
  PeerAuthentication: SECURITY,
  AuthorizationPolicy: SECURITY,
  RequestAuthentication: SECURITY,
  EnvoyFilter: ['networking.istio.io/v1alpha3'],
  Service: ['v1'],
  Deployment: ['apps/v1'],
  ServiceAccount: ['v1'],
  HorizontalPodAutoscaler: ['autoscaling/v2'],
  Canary: ['flagger.app/v1beta1'],
};

export function readIstioDocuments(sources: readonly YamlSource[], config: IstioConfig, problems: Problems, startOrder = 0): number {
  let order = startOrder;
  for (const src of sources) {
    const syntax = src.syntaxErrors();
    if (syntax.length) {
      problems.errors.push(...syntax);
      continue;
    }
    const contents = src.doc.contents;
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) continue;
    if (!isMap(contents)) {
      problems.errors.push(src.diagnosticAt([], 'error', 'expected a Kubernetes resource (a mapping with apiVersion, kind, metadata)'));
      continue;
    }
    const structure = yamlStructureErrors(src);
    if (structure.length) {
      problems.errors.push(...structure);
      continue;
    }
    const raw = src.doc.toJS({ maxAliasCount: -1 }) as Record<string, unknown>;
    const kind = typeof raw.kind === 'string' ? raw.kind : undefined;
    const apiVersion = typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined;
    const meta = (raw.metadata ?? {}) as Record<string, unknown>;
    const name = typeof meta.name === 'string' ? meta.name : undefined;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    if (!kind || !apiVersion) {
      problems.errors.push(src.diagnosticAt([], 'error', `a resource needs apiVersion and kind`, kind ? 'apiVersion' : 'kind'));
      continue;
    }
    if (isMeshKind(apiVersion, kind)) {
      if (!name) problems.errors.push(src.diagnosticAt(['metadata'], 'error', 'metadata.name: required field is missing'));
      else readMeshResource({ raw, apiVersion, kind, name, namespace, src, order: order++ }, config.mesh, problems);
      continue;
    }
    // Every kind of Istio's API groups is checked against Istio's CRD first, modelled or not.
    const istio = checkIstioKind({ raw, apiVersion, kind, name, src });
    if (istio.errors.length) {
      problems.errors.push(...istio.errors);
      continue;
    }
    const versions = MODELLED[kind];
    if (!versions || !versions.includes(apiVersion)) {
      problems.warnings.push(
        src.diagnosticAt(['kind'], 'warning', `${kind} (${apiVersion}) is not modelled by the simulator; it is ignored`),
      );
      continue;
    }
    if (!name) {
      problems.errors.push(src.diagnosticAt(['metadata'], 'error', 'metadata.name: required field is missing'));
      continue;
    }
    const spec = <S extends z.ZodType>(schema: S): z.output<S> | undefined => {
      let input = raw.spec ?? {};
      let parsed = schema.safeParse(input, PARSE_OPTIONS);
      // The document already passed Istio's CRD: a field the simulator's schema does not know is a
      // real Istio field it does not model (e.g. a newer istio/api field) — warn and drop it.
      // Only Istio's kinds passed a CRD: an unknown field of any other kind (an HPA, a Kubernetes
      // object) is a mistake, and stays an error.
      const checkedByCrd = crdFor(apiVersion, kind)?.schema !== undefined;
      const unknown = parsed.success || !checkedByCrd ? [] : parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
      if (!parsed.success && unknown.length > 0 && unknown.length === parsed.error.issues.length) {
        input = structuredClone(input);
        for (const issue of unknown) {
          const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
          const holder = path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], input) as Record<string, unknown>;
          for (const key of issue.keys) {
            delete holder[key];
            problems.warnings.push(
              src.diagnosticAt(
                ['spec', ...path],
                'warning',
                `${kind} ${name}: spec.${[...path, key].join('.')} is not modelled by the simulator; it is ignored`,
                key,
              ),
            );
          }
        }
        parsed = schema.safeParse(input, PARSE_OPTIONS);
      }
      if (parsed.success) return parsed.data;
      problems.errors.push(
        ...issuesToDiagnostics(parsed.error.issues, src, () => [], ['spec']).map((d) => ({
          ...d,
          message: `${kind} ${name}: ${d.message}`,
        })),
      );
      return undefined;
    };
    const at = { name, namespace, src, order: order++ };
    switch (kind) {
      case 'VirtualService': {
        const s = spec(virtualServiceSpec);
        if (s) config.virtualServices.push({ kind, ...at, spec: s });
        break;
      }
      case 'Gateway': {
        const s = spec(istioGatewaySpec);
        if (s) config.gateways.push({ kind, ...at, spec: s });
        break;
      }
      case 'DestinationRule': {
        const s = spec(destinationRuleSpec);
        if (s) config.destinationRules.push({ kind, ...at, spec: s });
        break;
      }
      case 'Sidecar': {
        const s = spec(sidecarSpec);
        if (s) config.sidecars.push({ kind, ...at, spec: s });
        break;
      }
      case 'ServiceEntry': {
        const s = spec(serviceEntrySpec);
        if (s) config.serviceEntries.push({ kind, ...at, spec: s });
        break;
      }
      case 'EnvoyFilter': {
        const s = spec(envoyFilterSpec);
        if (s) config.envoyFilters.push({ kind, ...at, spec: s });
        break;
      }
      case 'RequestAuthentication': {
        const s = spec(requestAuthenticationSpec);
        if (s) config.requestAuthentications.push({ kind, ...at, spec: s });
        break;
      }
      case 'PeerAuthentication': {
        const s = spec(peerAuthenticationSpec);
        if (s) config.peerAuthentications.push({ kind, ...at, spec: s });
        break;
      }
      case 'AuthorizationPolicy': {
        const s = spec(authorizationPolicySpec);
        if (s) config.authorizationPolicies.push({ kind, ...at, spec: s });
        break;
      }
      case 'Service': {
        const parsed = k8sServiceSchema.safeParse(raw);
        if (!parsed.success) {
          problems.errors.push(...issuesToDiagnostics(parsed.error.issues, src, () => []));
          break;
        }
        readServiceAnnotations({ raw, apiVersion, kind, name, namespace, src, order: at.order }, config.mesh, problems);
        const port = parsed.data.spec?.ports?.[0]?.port ?? 80;
        config.k8sServices.push({ name, namespace, port, selector: parsed.data.spec?.selector ?? {}, src });
        break;
      }
      case 'Deployment': {
        const parsed = k8sDeploymentSchema.safeParse(raw);
        if (!parsed.success) {
          problems.errors.push(...issuesToDiagnostics(parsed.error.issues, src, () => []));
          break;
        }
        const d = parsed.data.spec;
        // The app container: the first one that is not an injected istio-proxy.
        const container = d?.template?.spec?.containers?.find((c) => c.name !== 'istio-proxy');
        config.deployments.push({
          name,
          namespace,
          replicas: d?.replicas ?? 1,
          labels: d?.template?.metadata?.labels ?? d?.selector?.matchLabels ?? {},
          serviceAccount: d?.template?.spec?.serviceAccountName,
          requests: container?.resources?.requests,
          limits: container?.resources?.limits,
          lifecycle: {
            readinessProbe: container?.readinessProbe,
            livenessProbe: container?.livenessProbe,
            lifecycle: container?.lifecycle,
            terminationGracePeriodSeconds: d?.template?.spec?.terminationGracePeriodSeconds,
            strategy: d?.strategy,
            minReadySeconds: d?.minReadySeconds,
          },
        });
        break;
      }
      case 'ServiceAccount':
        config.serviceAccounts.push({ name, namespace });
        break;
      case 'HorizontalPodAutoscaler': {
        const s = spec(hpaSpecSchema);
        if (s) config.hpas.push({ kind, ...at, spec: hpaModel(name, namespace, s) });
        break;
      }
      case 'Canary': {
        const s = spec(canarySpecSchema);
        if (s) config.canaries.push({ kind, ...at, spec: readCanary(name, namespace, s, src, problems) });
        break;
      }
    }
  }
  return order;
}

/** Where an embedded YAML string (an inline block scalar) starts in its file, for position mapping. */
export function embeddedOffsets(host: YamlSource, path: readonly PathSegment[]): { lineOffset: number; colOffset: number } {
  const node = host.nodeAt(path);
  const start = node?.range?.[0] ?? 0;
  const { line } = host.lineCounter.linePos(start);
  const text = host.text;
  const isBlock = text[start] === '|' || text[start] === '>';
  if (!isBlock) {
    const pos = host.lineCounter.linePos(start);
    return { lineOffset: pos.line - 1 + host.lineOffset, colOffset: pos.col + host.colOffset };
  }
  // Block scalar: content starts on the next line, indented; the indentation is stripped from the value.
  // Scan forward from the indicator only (splitting the whole file per block made 5,000 inline
  // blocks in a 2 MB file take a minute).
  let indent = 0;
  let at = text.indexOf('\n', start);
  while (at !== -1 && at < text.length) {
    const end = text.indexOf('\n', at + 1);
    const l = text.slice(at + 1, end === -1 ? text.length : end);
    if (l.trim() !== '') {
      indent = l.length - l.trimStart().length;
      break;
    }
    at = end;
  }
  return { lineOffset: line + host.lineOffset, colOffset: indent + host.colOffset };
}
