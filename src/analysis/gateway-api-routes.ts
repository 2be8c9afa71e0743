/**
 * Gateway API HTTPRoute status as Istio would report it, turned into warnings (istio/istio
 * pilot/pkg/config/kube/gateway/conversion.go referenceAllowed, buildDestination, convertHTTPRoute;
 * conditions.go): a parent Service that does not exist (Accepted=False, "parent service not
 * found"), a route Istio rejects whole (an unsupported filter, a backendRef without port:
 * Accepted=False), and backendRefs naming no Service (ResolvedRefs=False, BackendNotFound), whose
 * share of the traffic Istio answers with 500. Filters the simulation does not act on are named.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { Scenario } from '../config/model.js';
import { convertHttpRoute } from '../policy/gateway-api-conversion.js';
import { serviceParents } from '../policy/gamma.js';
import { CLUSTER_DOMAIN } from '../policy/hosts.js';

/** Modes whose data plane applies an HTTPRoute's filters (Istio's Envoys). */
const ISTIO_MODES = new Set(['sidecar', 'ambient']);

export function analyzeGatewayApiRoutes(scenario: Scenario, problems: { warnings: Diagnostic[] }): void {
  const hosts = new Set([
    ...scenario.services.map((s) => s.fqdn),
    ...scenario.externals.map((s) => s.fqdn),
    ...scenario.istio.k8sServices.map((k) => `${k.name}.${k.namespace}.${CLUSTER_DOMAIN}`),
  ]);
  const known = (fqdn: string) => hosts.has(fqdn);
  const ports = new Map([
    ...scenario.istio.k8sServices.map((k) => [`${k.name}.${k.namespace}.${CLUSTER_DOMAIN}`, k.port] as const),
    ...scenario.services.map((s) => [s.fqdn, s.port] as const),
  ]);
  for (const r of scenario.istio.mesh.httpRoutes) {
    if (r.family !== 'gateway-api') continue;
    const id = `HTTPRoute ${r.namespace}/${r.name}`;
    const warn = (path: (string | number)[], message: string) =>
      problems.warnings.push(r.src.diagnosticAt(path, 'warning', `${id}: ${message}`));
    const parents = serviceParents(r);
    for (const p of parents) {
      const port = ports.get(p.fqdn);
      if (!known(p.fqdn))
        warn(['spec', 'parentRefs', p.index], `parent service "${p.fqdn}" not found (Accepted=False): the route applies to no calls`);
      // A parentRef port limits the routes to that service port (conversion.go augmentPortMatch).
      else if (p.port !== undefined && port !== undefined && p.port !== port)
        warn(
          ['spec', 'parentRefs', p.index, 'port'],
          `port ${p.port} is not the port of ${p.fqdn} (${port}): the route applies to no calls`,
        );
    }
    const conv = convertHttpRoute(r, known);
    if (conv.rejected !== undefined) {
      warn(['spec', 'rules'], `Istio does not accept it (Accepted=False: ${conv.rejected}); it routes nothing`);
      continue;
    }
    for (const u of conv.unresolved)
      warn(
        ['spec', 'rules', u.rule],
        `backend ${u.host} not found (ResolvedRefs=False, BackendNotFound): Istio answers 500 to the requests sent to it`,
      );
    r.spec.rules.forEach((rule, i) => {
      const types = new Set([...(rule.filters ?? []), ...rule.backendRefs.flatMap((b) => b.filters ?? [])].map((f) => f.type));
      const meshRoute = parents.length > 0;
      for (const t of types) {
        // Istio's Envoys apply request-side filters; other meshes' planes here apply none.
        if (meshRoute && !ISTIO_MODES.has(scenario.mesh.mode))
          warn(['spec', 'rules', i], `${t} filters are not simulated in mode ${scenario.mesh.mode}; ignored`);
        else if (t === 'CORS') warn(['spec', 'rules', i], 'CORS filters are not simulated (no browser preflights); ignored');
      }
    });
  }
}
