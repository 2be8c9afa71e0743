/**
 * External hosts and egress control: ServiceEntry (istio/api networking/v1alpha3/service_entry.proto)
 * and meshConfig.outboundTrafficPolicy (istio/api mesh/v1alpha1/config.proto). Under REGISTRY_ONLY a
 * sidecar answers HTTP calls to hosts outside the registry with the `block_all` route's direct 502,
 * and closes TLS connections to them (BlackHoleCluster); under ALLOW_ANY they pass through
 * PassthroughCluster with no retries and no DestinationRule (istio/istio
 * pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost; pilot/pkg/networking/util/util.go).
 * https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edge, repoPath, run, scenarioFromFile, scenarioFromYaml } from '../dataplane/run-scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import { outboundDecision } from '../../src/policy/egress.js';
import { runWarnings } from '../../src/sim/warnings.js';

type Variant = { policy?: string; istio?: string; protocol?: string; extra?: string };
const yaml = (o: Variant = {}) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: egress}
spec:
  seed: 3
  duration: 10s
  mesh: {mode: sidecar${o.policy ? `, outboundTrafficPolicy: {mode: ${o.policy}}` : ''}}
  services:
    - name: app
      concurrency: 64
      serviceTime: 1ms
      calls:
        - {host: api.example.com, onFailure: ignore}
        - {host: unknown.example.org, onFailure: ignore}
  external:
    - {host: api.example.com, serviceTime: 20ms${o.extra ?? ''}}
    - {host: unknown.example.org, serviceTime: 20ms${o.protocol ? `, protocol: ${o.protocol}` : ''}}
  workload: [{name: users, target: app, rate: 50}]
  istio: |
    apiVersion: networking.istio.io/v1
    kind: ServiceEntry
    metadata: {name: api}
    spec:
      hosts: [api.example.com]
      location: MESH_EXTERNAL
      resolution: DNS
      ports: [{number: 80, name: http, protocol: HTTP}]
${o.istio ?? ''}`;
const scenario = (o: Variant = {}) => scenarioFromYaml(yaml(o));

describe('outboundTrafficPolicy', () => {
  it('decides by registration and mode: registry, passthrough (ALLOW_ANY), blackhole (REGISTRY_ONLY)', () => {
    expect(outboundDecision(true, 'REGISTRY_ONLY')).toBe('registry');
    expect(outboundDecision(false, 'ALLOW_ANY')).toBe('passthrough');
    expect(outboundDecision(false, 'REGISTRY_ONLY')).toBe('blackhole');
  });

  it('REGISTRY_ONLY gives 502 to unknown hosts, with no response flag, and the ServiceEntry host still works', () => {
    const r = run(scenario({ policy: 'REGISTRY_ONLY' }));
    const blocked = edge(r, 'app', 'unknown.example.org');
    expect(blocked.by_code).toEqual({ '502': blocked.requests });
    expect(Object.values(blocked.by_flag).every((n) => n === 0)).toBe(true);
    const api = edge(r, 'app', 'api.example.com');
    expect(api.by_code).toEqual({ '200': api.requests });
    // The 502 is the caller's own sidecar answering: well under the 20 ms the host would take.
    expect(blocked.latency_ms.p99).toBeLessThan(1);
  });

  it('ALLOW_ANY (the default) lets the unknown host through PassthroughCluster', () => {
    const r = run(scenario());
    const through = edge(r, 'app', 'unknown.example.org');
    expect(through.by_code).toEqual({ '200': through.requests });
    expect(r.clusters.PassthroughCluster?.upstream_rq_total).toBe(through.requests);
    expect(r.clusters['outbound|80||api.example.com']?.upstream_rq_total).toBeGreaterThan(0);
  });

  it('a TLS (https) host outside the registry has its connection closed under REGISTRY_ONLY (status 0, UH)', () => {
    const r = run(scenario({ policy: 'REGISTRY_ONLY', protocol: 'https' }));
    const blocked = edge(r, 'app', 'unknown.example.org');
    expect(blocked.by_code).toEqual({ '0': blocked.requests });
    expect(blocked.by_flag.UH).toBe(blocked.requests);
  });

  it('metrics name the catch-all clusters as destination_service_name, as Istio does (istio/proxy extensions/common/context.cc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-'));
    for (const [policy, cluster, code] of [
      ['REGISTRY_ONLY', 'BlackHoleCluster', '502'],
      ['ALLOW_ANY', 'PassthroughCluster', '200'],
    ] as const) {
      const file = join(dir, `${policy}.yaml`);
      writeFileSync(file, yaml({ policy }));
      const out = join(dir, policy);
      const cli = spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'run', file, '--quiet', '--outputs', 'metrics', '--out', out], {
        encoding: 'utf8',
      });
      expect(cli.status).toBe(0);
      expect(readFileSync(join(out, 'metrics.prom'), 'utf8')).toMatch(
        new RegExp(
          `istio_requests_total\\{[^}]*destination_service="unknown.example.org",destination_service_name="${cluster}"[^}]*response_code="${code}"`,
        ),
      );
    }
  });

  it('a ServiceEntry applied during the run registers the host: the 502s stop once it propagates', () => {
    const s = scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: egress-apply}
spec:
  duration: 20s
  mesh: {mode: sidecar, outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
  services:
    - {name: app, serviceTime: 1ms, calls: [{host: api.example.com}]}
  external: [{host: api.example.com, serviceTime: 5ms}]
  workload: [{name: users, target: app, rate: 20}]
  faults:
    - at: 10s
      apply: |
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api}
        spec: {hosts: [api.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
`);
    const e = edge(run(s), 'app', 'api.example.com');
    expect(e.by_code['502']).toBeGreaterThan(150);
    expect(e.by_code['200']).toBeGreaterThan(150);
  });
});

describe('outboundTrafficPolicy and Sidecar scope', () => {
  it("under REGISTRY_ONLY a service outside the sidecar's Sidecar egress hosts is blackholed (502), not passed through", () => {
    const yamlFor = (mode: string) => `
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: scoped}
spec:
  duration: 5s
  mesh: {mode: sidecar, outboundTrafficPolicy: {mode: ${mode}}}
  services:
    - {name: web, namespace: shop, serviceTime: 1ms, calls: [{service: ledger.payments, onFailure: ignore}]}
    - {name: ledger, namespace: payments, serviceTime: 1ms}
  workload: [{name: users, target: web.shop, from: {namespace: shop}, rate: 20}]
  istio: |
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: default, namespace: istio-system}
    spec:
      egress: [{hosts: ["./*"]}]
`;
    const blocked = edge(run(scenarioFromYaml(yamlFor('REGISTRY_ONLY'))), 'web', 'ledger');
    expect(blocked.by_code).toEqual({ '502': blocked.requests });
    const through = edge(run(scenarioFromYaml(yamlFor('ALLOW_ANY'))), 'web', 'ledger');
    expect(through.by_code).toEqual({ '200': through.requests });
  });
});

describe('external hosts as destinations', () => {
  it('a DestinationRule and VirtualService apply to a ServiceEntry host: the route timeout cuts a slow provider (504 UT)', () => {
    const r = run(
      scenario({
        extra: ', failure: {rate: 0}',
        istio: `    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: api}
    spec:
      hosts: [api.example.com]
      http: [{timeout: 10ms, route: [{destination: {host: api.example.com}}]}]`,
      }),
    );
    const api = edge(r, 'app', 'api.example.com');
    // Service time is a constant 20 ms: every call exceeds the 10 ms route timeout.
    expect(api.by_code).toEqual({ '504': api.requests });
    expect(api.by_flag.UT).toBe(api.requests);
  });

  it('faults target an external host by name: a latency fault slows every call to it', () => {
    const s = scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: slow-provider}
spec:
  duration: 10s
  mesh: {mode: none}
  services:
    - {name: app, serviceTime: 1ms, concurrency: 64, calls: [{host: pay.example.com}]}
  external: [{host: pay.example.com, serviceTime: 10ms}]
  workload: [{name: users, target: app, rate: 20}]
  faults: [{at: 0s, target: {service: pay.example.com}, inject: {latency: 200ms}}]
`);
    const e = edge(run(s), 'app', 'pay.example.com');
    expect(e.latency_ms.p50).toBeGreaterThan(210);
    expect(e.latency_ms.p50).toBeLessThan(212);
  });

  it('a call to a host missing from spec.external is a positioned input error', () => {
    expect(() =>
      scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  duration: 1s
  services: [{name: app, calls: [{host: api.exmple.com}]}]
  external: [{host: api.example.com}]
  workload: [{name: users, target: app, rate: 1}]
`),
    ).toThrow(/calls\[0\]\.host: unknown external host "api.exmple.com" \(did you mean "api.example.com"\?\)/);
  });

  it('scenarios/egress-registry-only.yaml: blocked tracking calls get 502, the slow provider 504 UT, and ambient warns', () => {
    const s = scenarioFromFile('scenarios/egress-registry-only.yaml');
    const r = run(s);
    expect(edge(r, 'checkout', 'tracking.example.com').by_code).toEqual({ '502': edge(r, 'checkout', 'tracking.example.com').requests });
    expect(edge(r, 'checkout', 'api.stripe.com').by_flag.UT).toBeGreaterThan(1000);
    const amb = simulate(s, { mode: 'ambient' });
    expect(runWarnings(amb).map((w) => w.message)).toContainEqual(expect.stringMatching(/REGISTRY_ONLY is enforced by sidecars only/));
  });
});
