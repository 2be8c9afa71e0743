/**
 * Sidecar scoping (istio/api networking/v1alpha3/sidecar.proto): a Sidecar resource's egress hosts
 * decide which services a sidecar holds config for. Envoy's memory grows with the clusters and
 * endpoints it holds (Envoy stats_integration_test: ~40 KB per cluster), so an unscoped sidecar
 * grows with the mesh and a scoped one stays flat; istiod's per-proxy cost follows the config it
 * builds and pushes (AKS Istio add-on scale tests: 1.3–1.4 MB per proxy at 1 service, 2.0–2.1 MB
 * at 1000). Precedence: workloadSelector > namespace > root-namespace default.
 */
import { describe, expect, it } from 'vitest';
import { SidecarScopes, egressHostCovers } from '../../src/policy/sidecar-scope.js';
import type { ServiceModel } from '../../src/config/model.js';
import { perInstance, run, scenarioFromYaml } from '../dataplane/run-scenario.js';

/** `teams` namespaces of 3 services each (a → b → c), one client each; optionally the root-namespace default Sidecar. */
function mesh(teams: number, scoped: boolean): string {
  const services: string[] = [];
  const workload: string[] = [];
  for (let t = 0; t < teams; t++) {
    services.push(
      `    - {name: a, namespace: t${t}, replicas: 1, serviceTime: 1ms, calls: [{service: b}]}`,
      `    - {name: b, namespace: t${t}, replicas: 1, serviceTime: 1ms, calls: [{service: c}]}`,
      `    - {name: c, namespace: t${t}, replicas: 1, serviceTime: 1ms}`,
    );
    workload.push(`    - {name: u${t}, target: a.t${t}, from: {namespace: t${t}}, rate: 5}`);
  }
  const sidecar = `
  istio: |
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: default, namespace: istio-system}
    spec:
      egress: [{hosts: ["./*", "istio-system/*"]}]`;
  return `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: scoping}
spec:
  duration: 4s
  mesh: {mode: sidecar}
  cluster: {nodes: 2}
  services:
${services.join('\n')}
  workload:
${workload.join('\n')}${scoped ? sidecar : ''}
`;
}

const sidecarMiB = (teams: number, scoped: boolean) => perInstance(run(scenarioFromYaml(mesh(teams, scoped))), 'sidecar').memoryMiB;

describe('Sidecar scoping shrinks what each sidecar holds', () => {
  it('scoped sidecars’ memory stays flat as services are added; unscoped sidecars grow with the mesh', () => {
    const scoped = [5, 10, 20].map((n) => sidecarMiB(n, true));
    const unscoped = [5, 10, 20].map((n) => sidecarMiB(n, false));
    // Scoped: every sidecar holds its own namespace's 3 services whatever the mesh size (connections aside).
    expect(Math.abs(scoped[2]! - scoped[0]!)).toBeLessThan(0.05);
    // Unscoped: 45 more services (and endpoints) each ≈ 45 × (40 + 1.4) KB ≈ 1.8 MiB more per sidecar.
    expect(unscoped[2]! - unscoped[0]!).toBeGreaterThan(1.7);
    expect(unscoped[2]! - unscoped[0]!).toBeLessThan(1.9);
    expect(unscoped[1]!).toBeGreaterThan(unscoped[0]!);
  });

  it('istiod’s memory and push CPU fall with the config it builds per proxy; results.json names the saving', () => {
    const scoped = run(scenarioFromYaml(mesh(20, true)));
    const unscoped = run(scenarioFromYaml(mesh(20, false)));
    expect(scoped.resources.by_component.istiod!.memory_mib).toBeLessThan(unscoped.resources.by_component.istiod!.memory_mib);
    expect(scoped.resources.by_component.istiod!.cpu_cores).toBeLessThan(unscoped.resources.by_component.istiod!.cpu_cores);
    const sc = scoped.resources.sidecar_scoping!;
    expect(sc.services).toBe(60);
    expect(sc.services_held_mean).toBe(3);
    // The counterfactual is the unscoped run's own memory (same traffic, same connections).
    expect(sc.unscoped_memory_mib.sidecar).toBeCloseTo(unscoped.resources.by_component.sidecar!.memory_mib, 0);
    expect(sc.unscoped_memory_mib.istiod).toBeCloseTo(unscoped.resources.by_component.istiod!.memory_mib, 1);
    expect(unscoped.resources.sidecar_scoping).toBeUndefined();
    // Scoping changes config, not traffic: the same requests and latency.
    expect(scoped.requests.total).toBe(unscoped.requests.total);
    expect(scoped.latency_ms.p99).toBe(unscoped.latency_ms.p99);
  });
});

describe('which Sidecar applies (sidecar.proto: workloadSelector > namespace > root namespace)', () => {
  const svc = (name: string, namespace: string): ServiceModel =>
    ({ name, namespace, fqdn: `${name}.${namespace}.svc.cluster.local` }) as ServiceModel;
  const sidecar = (name: string, namespace: string, order: number, hosts: string[], labels?: Record<string, string>) => ({
    kind: 'Sidecar',
    name,
    namespace,
    order,
    src: undefined as never,
    spec: { egress: [{ hosts }], ...(labels ? { workloadSelector: { labels } } : {}) },
  });
  const scopes = new SidecarScopes(
    [
      sidecar('root', 'istio-system', 0, ['./*']),
      sidecar('ns', 'shop', 1, ['./*', 'payments/pay.payments.svc.cluster.local']),
      sidecar('sel', 'shop', 2, ['*/*'], { app: 'admin' }),
    ],
    'istio-system',
  );

  it('a workloadSelector Sidecar beats the namespace one, which beats the root default', () => {
    expect(scopes.sidecarFor({ namespace: 'shop', labels: { app: 'admin' } })?.name).toBe('sel');
    expect(scopes.sidecarFor({ namespace: 'shop', labels: { app: 'web' } })?.name).toBe('ns');
    expect(scopes.sidecarFor({ namespace: 'other', labels: {} })?.name).toBe('root');
  });

  it('egress hosts: "." is the workload’s namespace (also for the root default), "*" any, "~" none, dnsName wildcards', () => {
    expect(scopes.visible({ namespace: 'other', labels: {} }, svc('x', 'other'))).toBe(true);
    expect(scopes.visible({ namespace: 'other', labels: {} }, svc('x', 'shop'))).toBe(false);
    expect(scopes.visible({ namespace: 'shop', labels: {} }, svc('pay', 'payments'))).toBe(true);
    expect(scopes.visible({ namespace: 'shop', labels: {} }, svc('ledger', 'payments'))).toBe(false);
    expect(scopes.visible({ namespace: 'shop', labels: { app: 'admin' } }, svc('ledger', 'payments'))).toBe(true);
    expect(egressHostCovers('~/*', 'shop', svc('a', 'shop'))).toBe(false);
    expect(egressHostCovers('payments/*.payments.svc.cluster.local', 'shop', svc('a', 'payments'))).toBe(true);
  });
});

describe('a Sidecar’s outboundTrafficPolicy overrides the mesh’s for the workloads it configures (sidecar.proto)', () => {
  const yaml = (sidecarMode: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: egress-per-sidecar}
spec:
  duration: 5s
  mesh: {mode: sidecar}
  cluster: {nodes: 1}
  services:
    - {name: locked, namespace: pci, replicas: 1, serviceTime: 1ms, calls: [{host: tracking.example.com, path: /e}]}
    - {name: open, namespace: web, replicas: 1, serviceTime: 1ms, calls: [{host: tracking.example.com, path: /e}]}
  external:
    - {host: tracking.example.com, serviceTime: 5ms}
  workload:
    - {name: a, target: locked.pci, from: {namespace: pci}, rate: 20}
    - {name: b, target: open.web, from: {namespace: web}, rate: 20}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: default, namespace: pci}
    spec:
      outboundTrafficPolicy: {mode: ${sidecarMode}}
`;
  it('REGISTRY_ONLY in one namespace blackholes its calls to unregistered hosts (502); the mesh default (ALLOW_ANY) lets the others pass', () => {
    const r = run(scenarioFromYaml(yaml('REGISTRY_ONLY')));
    const locked = r.edges.find((e) => e.source === 'locked')!;
    const open = r.edges.find((e) => e.source === 'open')!;
    expect(Object.keys(locked.by_code)).toEqual(['502']);
    expect(Object.keys(open.by_code)).toEqual(['200']);
    const allowed = run(scenarioFromYaml(yaml('ALLOW_ANY')));
    expect(Object.keys(allowed.edges.find((e) => e.source === 'locked')!.by_code)).toEqual(['200']);
  });
});
