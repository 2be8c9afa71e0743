/**
 * `cilium`: Cilium as a service mesh: the eBPF kube-proxy replacement (per-connection balancing),
 * no sidecars, CiliumNetworkPolicy enforcement, WireGuard/IPsec between nodes, and the per-node
 * Envoy (cilium-envoy DaemonSet) for L7 rules. The cilium-agent DaemonSet carries the kernel
 * datapath's CPU (invisible to container metrics) and its own memory. Implementation: modes/cilium/.
 */
import { loadProfile } from '../config/profile.js';
import { CiliumPlane } from './cilium/plane.js';
import { foreignConfigWarnings } from './foreign-config.js';
import type { MeshModeDef } from './mode.js';

const ciliumProfile = (p: ReturnType<typeof loadProfile>) => (p.cilium ? p : loadProfile('cilium'));

export const ciliumMode: MeshModeDef = {
  name: 'cilium',
  title: 'Cilium (eBPF, per-node Envoy for L7)',
  colour: '#ca8a04',
  components: [
    {
      name: 'cilium-agent',
      colour: '#ca8a04',
      footprint: ({ profile, plane, cluster, nowUs }) => {
        const a = (ciliumProfile(profile).cilium as NonNullable<typeof profile.cilium>).agent;
        const nodes = cluster.nodes.length;
        const endpoints = cluster.serviceList.reduce((n, svc) => n + svc.pods.length, 0) + cluster.clients.length;
        const kernelUs = plane instanceof CiliumPlane ? plane.kernelCpuUs() : 0;
        return {
          instances: nodes,
          cores: a.baseCpuCores * nodes + kernelUs / nowUs,
          bytes: a.baseMemoryMB * 1e6 * nodes + endpoints * a.memPerEndpointKB * 1e3,
        };
      },
    },
    {
      name: 'cilium-envoy',
      colour: '#a16207',
      proxyMemoryBytes: (p, s) => p.costs.baseMemoryMB * 1e6 + p.connections.mean(s.nowUs) * p.costs.memPerConnectionKB * 1e3,
    },
  ],
  clientReporter: 'source',
  metricReporter: 'hubble',
  // Cilium gives workloads no mesh certificates (mutual authentication, beta, is not simulated).
  workloadCertificates: false,
  createPlane: (deps, cluster, scenario) => {
    const cp = ciliumProfile(deps.profile).cilium as NonNullable<typeof deps.profile.cilium>;
    const enc = scenario.mesh.encryption;
    const policies = scenario.istio.mesh.ciliumNetworkPolicies.map((r) => ({
      name: r.name,
      ...(r.kind === 'CiliumNetworkPolicy' ? { namespace: r.namespace } : {}),
      rules: r.spec,
    }));
    const plane = new CiliumPlane(
      deps,
      {
        datapath: cp.datapath,
        envoy: cp.envoy,
        encryption: enc,
        ...(enc !== 'disabled' ? { wire: enc === 'wireguard' ? cp.wireguard : cp.ipsec } : {}),
      },
      policies,
      cluster.nodes,
    );
    return Object.assign(plane, { proxies: [...plane.envoys.values()], envoyClusters: () => [] });
  },
  configWarnings: (scenario) => {
    const out = foreignConfigWarnings(scenario.istio, 'cilium', 'cilium');
    for (const r of scenario.istio.mesh.ciliumEnvoyConfigs)
      out.push(
        r.src.diagnosticAt(
          ['kind'],
          'warning',
          `${r.kind} ${r.namespace}/${r.name}: recognised, but its raw Envoy resources are not simulated; the services it names keep eBPF connection balancing`,
        ),
      );
    for (const r of scenario.istio.mesh.httpRoutes.filter((h) => h.family === 'gateway-api'))
      out.push(
        r.src.diagnosticAt(
          ['kind'],
          'warning',
          `${r.kind} ${r.namespace}/${r.name}: Cilium's GAMMA support (per-request routing in the node Envoy) is not simulated; traffic keeps eBPF connection balancing`,
        ),
      );
    return out;
  },
};
