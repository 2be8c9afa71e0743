/**
 * Warnings about the run actually made (its mode, its traffic, its load), printed by `run`,
 * `compare` and `explain` on stderr and shown in report.html (CONTRACT.md §5). `validate` checks
 * the file as written; these checks look at what happened in the mode that ran.
 *
 * One place for every run-time check: a check is a function of the finished simulation that
 * returns warnings. Add yours to RUN_WARNING_CHECKS (routing cycles, import caveats, …).
 */
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { diagnosticLine } from '../config/printable.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { DestinationRuleSpec } from '../config/istio/networking-schemas.js';
import { fqdnOf, hostMatches } from '../policy/hosts.js';
import { localityMatches } from '../policy/locality.js';
import { nodeLocality } from '../dataplane/locality-lb.js';
import type { SimulationState } from './simulate.js';
import { defaultEndpointPort, SidecarScopes } from '../policy/sidecar-scope.js';
import { ROOT_NAMESPACE } from '../policy/mesh-policy.js';
import { canaryModes } from './canary.js';

/** A run-time warning: positioned at the YAML node to blame when there is one. */
export interface RunWarning {
  message: string;
  at?: Diagnostic;
}

export type RunWarningCheck = (s: SimulationState) => RunWarning[];

/** `FILE:LINE:COL: warning: …` when positioned, `meshsim: warning: …` otherwise. */
export function formatRunWarning(w: RunWarning): string {
  return w.at ? formatDiagnostic({ ...w.at, message: w.message }) : diagnosticLine('meshsim: warning: ', w.message);
}

const positioned = (r: IstioResource<unknown>, path: (string | number)[], message: string): RunWarning => ({
  message,
  at: r.src.diagnosticAt(path, 'warning', message),
});

/**
 * Ambient without a waypoint: ztunnel applies no DestinationRule (semantics: istio.io ambient
 * docs, "L7 features need a waypoint"), so outlierDetection and connectionPool do nothing.
 */
export const ambientDestinationRules: RunWarningCheck = (s) => {
  if (s.mode !== 'ambient') return [];
  const out: RunWarning[] = [];
  for (const dr of s.scenario.istio.destinationRules) {
    const svcs = s.scenario.services.filter((svc) => hostMatches(fqdnOf(dr.spec.host, dr.namespace), svc.fqdn));
    const bare = svcs.filter((svc) => !s.scenario.mesh.waypoints.includes(svc.key));
    if (bare.length === 0) continue;
    const blocks = drBlocks(dr.spec).filter((b) => b !== 'loadBalancer');
    for (const b of blocks)
      out.push(
        positioned(
          dr,
          ['spec', 'trafficPolicy', b],
          `DestinationRule ${dr.namespace}/${dr.name}: ${b} has no effect in ambient mode for ${bare.map((x) => x.key).join(', ')} (no waypoint; ztunnel applies no DestinationRule). Add the service to spec.mesh.waypoints to enforce it.`,
        ),
      );
  }
  return out;
};

function drBlocks(spec: DestinationRuleSpec): ('outlierDetection' | 'connectionPool' | 'loadBalancer')[] {
  const tp = spec.trafficPolicy ?? {};
  return (['outlierDetection', 'connectionPool', 'loadBalancer'] as const).filter((k) => tp[k] !== undefined);
}

/** Share of a node's CPU work that ran stretched before a warning is worth it. */
const SATURATION_SHARE = 0.01;

/**
 * Nodes whose CPU demand exceeded their cores: every piece of work (apps and proxies) that started
 * then was stretched (world/cpu.ts). Says which node, from when and by how much.
 */
export const nodeSaturation: RunWarningCheck = (s) => {
  const out: RunWarning[] = [];
  for (const n of s.cluster.nodes) {
    const sat = n.cpu.saturation;
    if (sat.workUs === 0 || sat.workUs < SATURATION_SHARE * n.cpu.usedUs) continue;
    const share = (100 * sat.workUs) / n.cpu.usedUs;
    out.push({
      message: `node ${n.model.name}: CPU saturated from t=${(sat.firstUs / 1e6).toFixed(3)}s (${n.model.cpu} cores): ${share.toFixed(0)}% of its CPU work ran ×${(sat.stretchedUs / sat.workUs).toFixed(2)} slower on average, up to ×${sat.maxSlowdown.toFixed(2)}; lower services[].cpuShare (default 1) or add cores`,
    });
  }
  return out;
};

/** Services no request reached (after warmup), and VirtualServices whose hosts got no traffic. */
export const unreachedConfig: RunWarningCheck = (s) => {
  const out: RunWarning[] = [];
  const idle = new Set(s.cluster.serviceList.filter((svc) => svc.stats.total === 0).map((svc) => svc.model));
  for (const x of s.cluster.externals) if (x.stats.total === 0) idle.add(x.model);
  for (const m of idle)
    out.push({
      message: `service ${m.key} received no traffic in mode ${s.mode}: nothing calls it, or every call to it failed before reaching its pods`,
    });
  for (const vs of s.scenario.istio.virtualServices) {
    const targets = [...s.scenario.services, ...s.scenario.externals].filter((svc) =>
      vs.spec.hosts.some((h) => hostMatches(fqdnOf(h, vs.namespace), svc.fqdn)),
    );
    if (targets.length > 0 && targets.every((t) => !idle.has(t))) continue;
    if (s.mode === 'ambient' && targets.length > 0 && targets.every((t) => !s.scenario.mesh.waypoints.includes(t.key))) continue; // analysis warns
    if (targets.length === 0 || targets.every((t) => idle.has(t)))
      out.push(
        positioned(
          vs,
          ['spec', 'hosts'],
          `VirtualService ${vs.namespace}/${vs.name}: no traffic reached ${targets.length ? targets.map((t) => t.key).join(', ') : 'its hosts (no service of the scenario matches them)'}`,
        ),
      );
  }
  return out;
};

/**
 * Locality settings that cannot take effect (istio/istio pilot/pkg/networking/core/loadbalancer/
 * loadbalancer.go): failover needs outlierDetection (nothing would ever become unhealthy), every
 * node in one zone leaves nothing to prefer or fail over to, and ztunnel without a waypoint
 * applies no DestinationRule.
 */
export const localitySettings: RunWarningCheck = (s) => {
  const out: RunWarning[] = [];
  const zones = new Set(s.scenario.nodes.map((n) => n.zone));
  for (const dr of s.scenario.istio.destinationRules) {
    const lb = dr.spec.trafficPolicy?.loadBalancer?.localityLbSetting;
    if (!lb || lb.enabled === false) continue;
    const path = ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting'];
    const id = `DestinationRule ${dr.namespace}/${dr.name}`;
    const pods = s.cluster.serviceList
      .filter((svc) => hostMatches(fqdnOf(dr.spec.host, dr.namespace), svc.model.fqdn))
      .flatMap((svc) => svc.pods);
    const podZones = [...new Set(pods.map((p) => `${p.node.model.region}/${p.node.model.zone}`))];
    if (zones.size < 2)
      out.push(
        positioned(
          dr,
          path,
          `${id}: localityLbSetting cannot take effect: every node is in zone ${[...zones].join(', ')} (give nodes zones in spec.cluster.nodes)`,
        ),
      );
    else if (podZones.length === 1)
      out.push(
        positioned(
          dr,
          path,
          `${id}: localityLbSetting cannot take effect: every pod of ${dr.spec.host} runs in ${podZones[0]}, so there is no other locality to prefer or fail over to`,
        ),
      );
    // distribute naming a locality where the service has no pod: that share has nowhere to go.
    for (const [i, d] of (lb.distribute ?? []).entries())
      for (const to of Object.keys(d.to))
        if (!pods.some((p) => localityMatches(nodeLocality(p.node), to)))
          out.push(
            positioned(
              dr,
              [...path, 'distribute', i, 'to', to],
              `${id}: distribute names ${to} but no pod of ${dr.spec.host} runs there; its weight goes to no endpoint`,
            ),
          );
    if ((lb.failover !== undefined || lb.failoverPriority !== undefined) && dr.spec.trafficPolicy?.outlierDetection === undefined)
      out.push(
        positioned(
          dr,
          path,
          `${id}: locality failover needs outlierDetection in the same traffic policy; without it Istio does not set failover priorities`,
        ),
      );
    if (s.mode === 'ambient') {
      const bare = s.scenario.services.filter(
        (svc) => hostMatches(fqdnOf(dr.spec.host, dr.namespace), svc.fqdn) && !s.scenario.mesh.waypoints.includes(svc.key),
      );
      if (bare.length)
        out.push(
          positioned(
            dr,
            path,
            `${id}: localityLbSetting has no effect in ambient mode for ${bare.map((b) => b.key).join(', ')} (no waypoint)`,
          ),
        );
    }
  }
  return out;
};

/** Every run-time check, in the order their warnings are printed. Other checks register here. */
/**
 * Sidecar resources: calls to services outside a sidecar's egress hosts left through the
 * PassthroughCluster (plaintext, no routing); in ambient mode there are no sidecars to scope.
 * https://istio.io/latest/docs/reference/config/networking/sidecar/
 */
export const sidecarScope: RunWarningCheck = (s) => {
  const sidecars = s.scenario.istio.sidecars;
  if (sidecars.length === 0) return [];
  if (s.mode === 'ambient')
    return sidecars.map((sc) => positioned(sc, ['kind'], `Sidecar ${sc.namespace}/${sc.name} has no effect in ambient mode (no sidecars)`));
  const n = (s.plane as { passthrough?: number }).passthrough ?? 0;
  if (n === 0) return [];
  return [
    {
      message: `${n} call(s) went to services outside their sidecar's Sidecar egress hosts: they left through the PassthroughCluster (plaintext, no VirtualService routing or retries); add the hosts to egress[].hosts`,
    },
  ];
};

/**
 * Sidecar ingress listeners that do not cover a service's port (its pods' traffic then takes the
 * virtual inbound listener's passthrough chains and InboundPassthroughCluster: no inbound pool;
 * istio/istio pilot/pkg/networking/core/listener_inbound.go buildInboundChainConfigs), or that
 * forward to a port the app does not listen on (every request fails: 503 UF from the server sidecar).
 * https://istio.io/latest/docs/reference/config/networking/sidecar/
 */
export const sidecarIngress: RunWarningCheck = (s) => {
  if (s.mode !== 'sidecar' || !s.scenario.istio.sidecars.some((sc) => sc.spec.ingress?.length)) return [];
  const scopes = new SidecarScopes(s.scenario.istio.sidecars, ROOT_NAMESPACE);
  const out = new Map<string, RunWarning>();
  for (const svc of s.scenario.services) {
    if (!svc.inMesh) continue;
    for (const v of svc.versions) {
      const l = scopes.inboundListener({ namespace: svc.namespace, labels: v.labels }, svc.port);
      const id = l.sidecar ? `Sidecar ${l.sidecar.namespace}/${l.sidecar.name}` : '';
      if (l.kind === 'passthrough') {
        const msg = `${id} has ingress listeners but none for port ${svc.port} of ${svc.key}: its pods' inbound traffic takes InboundPassthroughCluster (no inbound listener settings or connection pool; Istio reports destination_service InboundPassthroughClusterIpv4, not modelled)`;
        out.set(msg, positioned(l.sidecar, ['spec', 'ingress'], msg));
      } else if (l.kind === 'listener') {
        const port = defaultEndpointPort(l.ingress.defaultEndpoint);
        if (port === undefined || port === svc.port) continue;
        const msg = `${id}: ingress listener ${svc.port} forwards to ${l.ingress.defaultEndpoint}, but ${svc.key}'s app listens on ${svc.port}: connections are refused and every request gets 503 UF from the server sidecar`;
        out.set(msg, positioned(l.sidecar, ['spec', 'ingress', l.index, 'defaultEndpoint'], msg));
      }
    }
  }
  return [...out.values()];
};

/**
 * meshConfig.outboundTrafficPolicy is a sidecar setting (the catch-all listener and routes,
 * istio/istio pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost): ztunnel has no such
 * catch-all and forwards calls to hosts outside the registry; modes without Envoy sidecars ignore it.
 */
export const outboundPolicyScope: RunWarningCheck = (s) => {
  if (s.scenario.mesh.outboundTrafficPolicy !== 'REGISTRY_ONLY' || s.mode === 'sidecar') return [];
  const unregistered = s.scenario.externals.filter((x) => x.external?.serviceEntry === undefined).map((x) => x.key);
  if (unregistered.length === 0) return [];
  return [
    {
      message: `outboundTrafficPolicy REGISTRY_ONLY is enforced by sidecars only; mode ${s.mode} lets calls to hosts no ServiceEntry declares (${unregistered.join(', ')}) through`,
    },
  ];
};

/** Flagger's Istio provider reads sidecar-reported metrics and routes at the client sidecar: elsewhere the Canary does nothing. */
export const canaryOutsideSidecars: RunWarningCheck = (s) =>
  canaryModes.includes(s.mode)
    ? []
    : s.scenario.istio.canaries.map((c) =>
        positioned(
          c,
          ['kind'],
          `Canary ${c.namespace}/${c.name}: Flagger's Istio provider needs sidecars (their reporter="destination" metrics and VirtualService routing); in mode ${s.mode} it is not run`,
        ),
      );

/**
 * The egress gateway is where sidecar routes send external calls (VirtualServices bound to
 * `mesh`); ztunnel and the other meshes' proxies do not run them, so the calls go straight out.
 */
export const egressGatewayScope: RunWarningCheck = (s) =>
  s.scenario.egressGateway && s.mode !== 'sidecar'
    ? [
        {
          message: `istio-egressgateway is reached through sidecar routes (VirtualServices bound to mesh); in mode ${s.mode} the calls to external hosts go straight out, not through it`,
        },
      ]
    : [];

export const RUN_WARNING_CHECKS: RunWarningCheck[] = [
  ambientDestinationRules,
  nodeSaturation,
  unreachedConfig,
  localitySettings,
  sidecarScope,
  sidecarIngress,
  outboundPolicyScope,
  canaryOutsideSidecars,
  egressGatewayScope,
];

export function runWarnings(s: SimulationState): RunWarning[] {
  return RUN_WARNING_CHECKS.flatMap((check) => check(s));
}
