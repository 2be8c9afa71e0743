/**
 * Configuration a mode cannot honour: each mesh reads only its own kinds, so a scenario may carry
 * Istio, Linkerd, Cilium and App Mesh YAML side by side and every mode says which parts it ignores,
 * naming its own equivalent (Linkerd: https://linkerd.io/2.18/reference/, Cilium:
 * https://docs.cilium.io/en/stable/network/servicemesh/, App Mesh CRDs: aws-app-mesh-controller-for-k8s).
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { IstioConfig, IstioResource } from '../config/istio/resources.js';
import type { VirtualServiceSpec } from '../config/istio/networking-schemas.js';
import { MESH_GATEWAY } from '../policy/match.js';
import { gatewaysOf } from '../policy/mesh-policy.js';
import { resourcesOfFamily, type MeshFamily, type MeshResource } from '../config/mesh-kinds.js';

/** Which mesh a mode is; Istio modes read Istio kinds, `none` reads nothing and says nothing. */
export type ModeFamily = 'istio' | 'linkerd' | 'cilium' | 'appmesh' | 'none';

type IstioKind = 'VirtualService' | 'DestinationRule' | 'PeerAuthentication' | 'AuthorizationPolicy' | 'Sidecar';

/** The running mesh's equivalent of each Istio kind. */
const EQUIVALENT: Record<Exclude<ModeFamily, 'istio' | 'none'>, Record<IstioKind, string>> = {
  linkerd: {
    VirtualService: 'HTTPRoute backendRefs/timeouts + retry.linkerd.io/* annotations',
    DestinationRule: 'the balancer.linkerd.io/failure-accrual annotation',
    PeerAuthentication: 'none needed: mTLS is always on between meshed pods',
    AuthorizationPolicy: 'Server + AuthorizationPolicy + MeshTLSAuthentication',
    Sidecar: 'none needed: linkerd2-proxy resolves destinations on demand',
  },
  cilium: {
    VirtualService: 'an HTTPRoute on the Service (GAMMA) or a CiliumEnvoyConfig',
    DestinationRule: 'Envoy outlier_detection in a CiliumEnvoyConfig',
    PeerAuthentication: 'spec.mesh.encryption (WireGuard/IPsec)',
    AuthorizationPolicy: 'a CiliumNetworkPolicy',
    Sidecar: 'none (no per-pod proxy)',
  },
  appmesh: {
    VirtualService: 'a VirtualRouter with routes',
    DestinationRule: 'VirtualNode listener outlierDetection/connectionPool',
    PeerAuthentication: 'VirtualNode listener tls',
    AuthorizationPolicy: 'none (App Mesh has no authorization)',
    Sidecar: 'VirtualNode backends',
  },
};

const FAMILY_NAME: Record<MeshFamily, string> = { 'gateway-api': 'Gateway API', linkerd: 'Linkerd', cilium: 'Cilium', appmesh: 'App Mesh' };
const MODE_NAME: Record<ModeFamily, string> = { istio: 'Istio', linkerd: 'linkerd', cilium: 'cilium', appmesh: 'appmesh', none: 'none' };

/** Mesh families each mode reads (Gateway API: Istio runs Gateways and GAMMA routes; Linkerd and Cilium implement GAMMA). */
const READS: Record<ModeFamily, MeshFamily[]> = {
  istio: ['gateway-api'],
  linkerd: ['linkerd', 'gateway-api'],
  cilium: ['cilium', 'gateway-api'],
  appmesh: ['appmesh'],
  none: [],
};

export function foreignConfigWarnings(config: IstioConfig, mode: ModeFamily, modeName: string): Diagnostic[] {
  if (mode === 'none') return [];
  const out: Diagnostic[] = [];
  if (mode !== 'istio') {
    const eq = EQUIVALENT[mode];
    const istio: IstioResource<unknown>[] = [
      ...config.virtualServices,
      ...config.destinationRules,
      ...config.peerAuthentications,
      ...config.authorizationPolicies,
      ...config.sidecars,
    ];
    // VirtualServices bound only to gateways are the ingress gateway's routes, which run in every mode.
    const meshOnly = istio.filter(
      (r) => r.kind !== 'VirtualService' || gatewaysOf(r as IstioResource<VirtualServiceSpec>).includes(MESH_GATEWAY),
    );
    for (const r of meshOnly.sort((a, b) => a.order - b.order))
      out.push(
        r.src.diagnosticAt(
          ['kind'],
          'warning',
          `${r.kind} ${r.namespace}/${r.name} is Istio config, ignored by mode ${modeName}; ${MODE_NAME[mode]} equivalent: ${eq[r.kind as IstioKind]}`,
        ),
      );
  }
  const families: MeshFamily[] = ['gateway-api', 'linkerd', 'cilium', 'appmesh'];
  const seen = new Set<MeshResource<unknown>>();
  for (const f of families) {
    if (READS[mode].includes(f)) continue;
    for (const r of resourcesOfFamily(config.mesh, f)) {
      if (seen.has(r)) continue;
      seen.add(r);
      out.push(
        r.src.diagnosticAt(
          ['kind'],
          'warning',
          `${r.kind} ${r.namespace}/${r.name}: mode ${modeName} ignores it (it is ${FAMILY_NAME[f]} configuration)`,
        ),
      );
    }
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}
