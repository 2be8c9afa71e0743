/**
 * Egress gateway checks: config that sends mesh traffic to istio-egressgateway but will not get it
 * out (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/). Each is a
 * warning with what the run will show:
 * - a route to the egress gateway while no Gateway gives it a listener on the port (its Envoy has
 *   no listener without one: the sidecar's connections fail, 503 UF);
 * - TLS on one side only: a DestinationRule with ISTIO_MUTUAL for the gateway and a plain HTTP
 *   server, or an ISTIO_MUTUAL server and no such DestinationRule (gateway pods get no auto mTLS,
 *   istio/istio#25536): the connections fail;
 * - a host the egress Gateway serves, or a gateway route sends to, that no ServiceEntry declares:
 *   the gateway has no cluster for it (503 NC) and REGISTRY_ONLY sidecars block it (502);
 * - a route to a port of the gateway other than 80, the only one modelled.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Scenario } from '../config/model.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { VirtualServiceSpec } from '../config/istio/networking-schemas.js';
import { EGRESS_GATEWAY_PORT, meshServices, namesEgressGateway, selectsEgressGateway } from '../config/egress-gateway.js';
import { serviceEntryFor } from '../config/external.js';
import { TERMINATING_TLS_MODES } from '../config/istio/gateway-schema.js';
import { fqdnOf } from '../policy/hosts.js';
import { MESH_GATEWAY, sourceMatches } from '../policy/match.js';
import { boundTo, CURRENT_MESH_DEFAULTS, MeshPolicy } from '../policy/mesh-policy.js';

export function analyzeEgressGateway(scenario: Scenario, warnings: Diagnostic[]): void {
  const gwModel = scenario.egressGateway;
  if (!gwModel) return;
  const config = scenario.istio;
  const policy = new MeshPolicy(config, meshServices(scenario), CURRENT_MESH_DEFAULTS);
  const egressGateways = config.gateways.filter((g) => selectsEgressGateway(g.spec.selector));
  const servers = egressGateways.flatMap((g) => g.spec.servers.filter((s) => s.port.number === EGRESS_GATEWAY_PORT));
  const serverTls = (mtls: boolean) => servers.some((s) => (s.tls?.mode !== undefined && TERMINATING_TLS_MODES.has(s.tls.mode)) === mtls);
  const declared = (host: string) => serviceEntryFor(config, host.toLowerCase()) !== undefined;
  const builtFor = (vs: IstioResource<VirtualServiceSpec>, i: number, gateway: string) => {
    const m = vs.spec.http[i]?.match;
    return boundTo(vs, gateway) && (!m || m.length === 0 || m.some((b) => sourceMatches(b, vs.namespace, { gateway })));
  };

  for (const vs of config.virtualServices) {
    vs.spec.http.forEach((rule, i) => {
      (rule.route ?? []).forEach((d, j) => {
        const at = (message: string) =>
          warnings.push(
            vs.src.diagnosticAt(
              ['spec', 'http', i, 'route', j, 'destination'],
              'warning',
              `VirtualService ${vs.namespace}/${vs.name}: ${message}`,
            ),
          );
        const host = d.destination.host;
        if (!namesEgressGateway(host, vs.namespace)) {
          // A rule the egress gateway runs, to a host outside the registry: no cluster there.
          const onGateway = egressGateways.some((g) => builtFor(vs, i, `${g.namespace}/${g.name}`));
          if (onGateway && !declared(fqdnOf(host, vs.namespace)) && !host.endsWith('.svc.cluster.local'))
            at(`the egress gateway routes to "${host}", which no ServiceEntry declares: it has no cluster for it, requests get 503 NC`);
          return;
        }
        if (!builtFor(vs, i, MESH_GATEWAY)) return;
        const port = d.destination.port?.number ?? EGRESS_GATEWAY_PORT;
        if (port !== EGRESS_GATEWAY_PORT) {
          at(
            `only port ${EGRESS_GATEWAY_PORT} of ${gwModel.fqdn} is modelled (its plain HTTP / ISTIO_MUTUAL listener); port ${port} is treated as ${EGRESS_GATEWAY_PORT}`,
          );
        }
        if (egressGateways.length === 0) {
          at(
            `sends traffic to the egress gateway, but no Gateway selects it (selector istio: egressgateway): it has no listener, so the sidecars' connections fail (503 UF)`,
          );
          return;
        }
        if (servers.length === 0) {
          at(
            `sends traffic to the egress gateway, but no Gateway that selects it has a server on port ${EGRESS_GATEWAY_PORT}: connections fail (503 UF)`,
          );
          return;
        }
        const mode = policy.trafficPolicy(gwModel, d.destination.subset, vs.namespace, EGRESS_GATEWAY_PORT).tls?.mode;
        const mtls = mode === 'ISTIO_MUTUAL' || mode === 'MUTUAL';
        if (!serverTls(mtls))
          at(
            mtls
              ? `the DestinationRule for the egress gateway says ${mode}, but its Gateway server on port ${EGRESS_GATEWAY_PORT} does not terminate TLS: connections fail (503 UF)`
              : `sends plaintext to the egress gateway (no DestinationRule with tls ISTIO_MUTUAL for it; gateway pods get no auto mTLS), but its Gateway server on port ${EGRESS_GATEWAY_PORT} expects TLS: connections fail (503 UF)`,
          );
      });
    });
  }

  for (const g of egressGateways)
    g.spec.servers.forEach((s, i) =>
      s.hosts.forEach((h, k) => {
        const host = h.includes('/') ? h.slice(h.indexOf('/') + 1) : h;
        if (host.includes('*') || declared(host)) return;
        warnings.push(
          g.src.diagnosticAt(
            ['spec', 'servers', i, 'hosts', k],
            'warning',
            `Gateway ${g.namespace}/${g.name}: egress host "${host}" has no ServiceEntry: the gateway has no cluster for it (503 NC), and under REGISTRY_ONLY sidecars block calls to it (502)`,
          ),
        );
      }),
    );
}
