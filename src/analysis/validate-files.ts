/**
 * `meshsim validate` on plain Istio / Kubernetes YAML files (not scenarios): every file is read,
 * the set is checked together (a VirtualService in one file may use subsets from another), and the
 * Kubernetes Services and Deployments among them define the services, as istioctl analyze does.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import { YamlSource } from '../config/yaml-source.js';
import { analyzeIstio } from './analyze.js';
import { validateNetworking } from '../config/istio/validate-networking.js';
import { mergeManifestServices } from '../config/istio/manifest-services.js';
import { readIstioDocuments } from '../config/istio/parse.js';
import { emptyIstioConfig } from '../config/istio/resources.js';

export function validateIstioFiles(files: { file: string; text: string }[]): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const problems = { errors: [] as Diagnostic[], warnings: [] as Diagnostic[] };
  const config = emptyIstioConfig();
  let order = 0;
  for (const f of files) order = readIstioDocuments(YamlSource.all(f.file, f.text), config, problems, order);
  const first = files[0]?.file ?? 'meshsim';
  const at = { file: first, line: 1, col: 1 };
  const { services, labels } = mergeManifestServices([], config, (m) => problems.warnings.push({ ...at, severity: 'warning', message: m }));
  const analyzed = services.map((s) => ({
    key: s.name,
    fqdn: `${s.name}.${s.namespace}.svc.cluster.local`,
    versions: (s.versions ?? [{ name: 'v1', replicas: s.replicas ?? 1 }]).map((v) => ({
      replicas: v.replicas,
      labels: labels.get(`${s.name}.${s.namespace}`)?.get(v.name) ?? { app: s.name, version: v.name },
    })),
  }));
  validateNetworking([config], problems);
  analyzeIstio({ config, changes: [], services: analyzed, mode: 'sidecar', waypoints: [] }, problems);
  return problems;
}

/** Whether a file is a meshsim scenario (its first document says kind: Scenario). */
export function isScenarioText(text: string): boolean {
  return /^kind:\s*Scenario\s*$/m.test(text) && /^apiVersion:\s*meshsim\.dev\//m.test(text);
}
