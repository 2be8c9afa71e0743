/**
 * Ingress gateway checks, in istioctl analyze's words where it has them (istio/istio
 * pkg/config/analysis/analyzers/virtualservice/gateways.go and gateway/gateway.go: IST0101
 * "Referenced gateway not found", "Referenced selector not found"), and the workloads that enter
 * through a gateway: the gateway must have an HTTP(S) listener for the workload's host. A gateway
 * workload's `target` becomes the service its first request is routed to (for estimates and reports).
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Scenario } from '../config/model.js';
import type { YamlSource } from '../config/yaml-source.js';
import { TERMINATING_TLS_MODES } from '../config/istio/gateway-schema.js';
import { MESH_GATEWAY } from '../policy/match.js';
import { CURRENT_MESH_DEFAULTS, gatewaysOf, MeshPolicy } from '../policy/mesh-policy.js';
import { ingressGateway, pickListener } from '../policy/gateway-routes.js';
import { meshServices } from '../config/egress-gateway.js';
import { analyzeGatewayApiRoutes } from './gateway-api-routes.js';

export function analyzeGateways(scenario: Scenario, source: YamlSource, problems: { errors: Diagnostic[]; warnings: Diagnostic[] }): void {
  const config = scenario.istio;
  const policy = new MeshPolicy(config, meshServices(scenario), CURRENT_MESH_DEFAULTS);
  const known = new Set(config.gateways.map((g) => `${g.namespace}/${g.name}`));
  for (const vs of config.virtualServices) {
    for (const [i, g] of gatewaysOf(vs).entries()) {
      if (g === MESH_GATEWAY || known.has(g)) continue;
      problems.warnings.push(
        vs.src.diagnosticAt(
          ['spec', 'gateways', i],
          'warning',
          `VirtualService ${vs.namespace}/${vs.name}: Referenced gateway not found: "${g}" (IST0101); its routes reach no proxy`,
        ),
      );
    }
  }
  for (const g of config.gateways) {
    const gw = ingressGateway(policy, { kind: 'istio', name: g.name, namespace: g.namespace });
    if (gw?.noDeployment)
      problems.warnings.push(
        g.src.diagnosticAt(
          ['spec', 'selector'],
          'warning',
          `Gateway ${g.namespace}/${g.name}: Referenced selector not found (IST0101): ${gw.noDeployment}`,
        ),
      );
    g.spec.servers.forEach((s, i) => {
      const mode = s.tls?.mode;
      if (mode !== undefined && !TERMINATING_TLS_MODES.has(mode))
        problems.warnings.push(
          g.src.diagnosticAt(
            ['spec', 'servers', i, 'tls', 'mode'],
            'warning',
            `Gateway ${g.namespace}/${g.name}: tls mode ${mode} (no TLS termination, SNI routing) is not simulated; HTTP workloads cannot use this server`,
          ),
        );
    });
  }
  for (const g of config.mesh.gateways) {
    const gw = ingressGateway(policy, { kind: 'gateway-api', name: g.name, namespace: g.namespace });
    if (gw?.noDeployment)
      problems.warnings.push(
        g.src.diagnosticAt(
          ['spec', 'gatewayClassName'],
          'warning',
          `Gateway ${g.namespace}/${g.name}: ${gw.noDeployment}; no gateway is deployed for it`,
        ),
      );
  }
  analyzeGatewayApiRoutes(scenario, problems);
  scenario.workloads.forEach((w, i) => {
    if (!w.gateway) return;
    const gw = ingressGateway(policy, w.gateway);
    if (!gw) return;
    const listener = pickListener(gw, w.gateway.host);
    const at = ['spec', 'workload', i, w.gateway.host === undefined ? 'gateway' : 'host'];
    if (!listener) {
      problems.errors.push(
        source.diagnosticAt(
          at,
          'error',
          `spec.workload[${i}]: gateway ${gw.id} has no HTTP or HTTPS listener${w.gateway.host === undefined ? '' : ` for host "${w.gateway.host}"`}`,
        ),
      );
      return;
    }
    if (gw.noDeployment)
      problems.warnings.push(
        source.diagnosticAt(
          at,
          'warning',
          `spec.workload[${i}]: gateway ${gw.id} has no Envoy behind it (${gw.noDeployment}): every connection is refused`,
        ),
      );
    const host = w.gateway.host ?? gw.defaultHost(listener);
    const first = w.requests[0];
    const result = first && gw.route(listener, host, first);
    const dest = result?.kind === 'route' ? result.route.destinations.find((d) => d.service !== undefined) : undefined;
    if (dest?.service) w.target = dest.service;
    else
      problems.warnings.push(
        source.diagnosticAt(
          at,
          'warning',
          `spec.workload[${i}]: gateway ${gw.id} routes ${first?.method ?? 'GET'} ${first?.path ?? '/'}${host ? ` (host ${host})` : ''} to no service of the scenario`,
        ),
      );
  });
}
