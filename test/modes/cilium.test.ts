/**
 * Mode `cilium` end to end: per-connection balancing, CiliumNetworkPolicy L7 denial answered 403
 * and L3/L4 denial dropped (the caller times out) (https://docs.cilium.io/en/stable/security/policy/layer7/),
 * WireGuard only between nodes (https://docs.cilium.io/en/stable/security/network/encryption-wireguard/),
 * no sidecars.
 */
import { describe, expect, it } from 'vitest';
import { run, scenarioFromYaml } from '../dataplane/run-scenario.js';

const base = (policy: string, extra = '') => `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: cil}
spec:
  seed: 5
  duration: 20s
  mesh: {mode: cilium${extra}}
  cluster: {nodes: 2}
  services:
    - name: web
      replicas: 2
      serviceTime: {distribution: constant, value: 1ms}
      calls: [{service: api, method: GET, path: /items, timeout: 2s}]
    - name: api
      replicas: 2
      serviceTime: {distribution: constant, value: 2ms}
  workload:
    - name: users
      target: web
      rate: 50
${policy}`;

describe('mode cilium', () => {
  it('runs no sidecars: the agent and Envoy DaemonSets, one per node', () => {
    const r = run(scenarioFromYaml(base('')));
    expect(Object.keys(r.resources.by_component).sort()).toEqual(['app', 'cilium-agent', 'cilium-envoy']);
    expect(r.resources.by_component['cilium-agent']?.instances).toBe(2);
    expect(r.requests.failed).toBe(0);
  });

  it('L7 rule: requests the rule does not allow get 403 from the node Envoy', () => {
    const r = run(
      scenarioFromYaml(
        base(`  cilium: |
    apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata: {name: api-l7}
    spec:
      endpointSelector: {matchLabels: {app: api}}
      ingress:
      - fromEndpoints: [{matchLabels: {app: web}}]
        toPorts:
        - ports: [{port: "8080", protocol: TCP}]
          rules: {http: [{method: POST, path: /items}]}
`),
      ),
    );
    const e = r.edges.find((x) => x.destination === 'api');
    expect(e?.by_code['403']).toBe(e?.requests);
    expect(r.resources.by_component['cilium-envoy']?.cpu_cores).toBeGreaterThan(0);
  });

  it('L4 rule: a peer no rule allows is dropped; the caller gives up on its own timeout (status 0)', () => {
    const r = run(
      scenarioFromYaml(
        base(`  cilium: |
    apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata: {name: api-l4}
    spec:
      endpointSelector: {matchLabels: {app: api}}
      ingress:
      - fromEndpoints: [{matchLabels: {app: nobody}}]
`),
      ),
    );
    const e = r.edges.find((x) => x.destination === 'api');
    expect(e?.by_code['0']).toBe(e?.requests);
    expect(e?.latency_ms.p50).toBeGreaterThanOrEqual(2000);
  });

  it('WireGuard costs kernel CPU only for cross-node traffic', () => {
    const pinned = (enc: string) =>
      run(
        scenarioFromYaml(
          base('', `, encryption: ${enc}`)
            .replace(
              '      replicas: 2\n      serviceTime: {distribution: constant, value: 1ms}',
              '      replicas: 2\n      node: node-0\n      serviceTime: {distribution: constant, value: 1ms}',
            )
            .replace(
              '      replicas: 2\n      serviceTime: {distribution: constant, value: 2ms}',
              '      replicas: 2\n      node: node-0\n      serviceTime: {distribution: constant, value: 2ms}',
            )
            .replace('      rate: 50', '      rate: 50\n      from: {node: node-0}'),
        ),
      ).resources.by_component['cilium-agent']?.cpu_cores;
    // Everything on one node: WireGuard on or off costs the same.
    expect(pinned('wireguard')).toBe(pinned('disabled'));
    const spread = (enc: string) =>
      run(scenarioFromYaml(base('', `, encryption: ${enc}`))).resources.by_component['cilium-agent']?.cpu_cores ?? 0;
    expect(spread('wireguard')).toBeGreaterThan(spread('disabled'));
  });

  it('ignores Istio configuration, naming the Cilium equivalent', async () => {
    const { meshMode } = await import('../../src/modes/registry.js');
    const s = scenarioFromYaml(
      base(`  istio: |
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata: {name: deny-all}
    spec: {}
`),
    );
    const w = meshMode('cilium').configWarnings?.(s) ?? [];
    expect(w.map((d) => d.message)).toEqual([
      expect.stringContaining(
        'AuthorizationPolicy default/deny-all is Istio config, ignored by mode cilium; cilium equivalent: a CiliumNetworkPolicy',
      ),
    ]);
  });
});
