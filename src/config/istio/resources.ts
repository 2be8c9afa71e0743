/**
 * Istio and Kubernetes resources read from multi-document YAML (inline `istio:` blocks,
 * `istioFiles`, `faults[].apply`, or files given to `validate`), each with its source position.
 */
import type { Diagnostic } from '../diagnostics.js';
import { emptyMeshResources, type MeshResources } from '../mesh-kinds.js';
import type { YamlSource } from '../yaml-source.js';
import type { CanaryModel } from './flagger-schema.js';
import type { HpaModel } from './hpa-schema.js';
import type { K8sDeployment, K8sService } from './kubernetes.js';
import type { DestinationRuleSpec, SidecarSpec, VirtualServiceSpec } from './networking-schemas.js';
import type { IstioGatewaySpec } from './gateway-schema.js';
import type { AuthorizationPolicySpecParsed, PeerAuthenticationSpecParsed } from './security-schemas.js';
import type { ServiceEntrySpec } from './egress-schemas.js';
import type { RequestAuthenticationSpec } from './authn-schemas.js';
import type { EnvoyFilterSpec } from './envoyfilter-schemas.js';

export interface IstioResource<S> {
  kind: string;
  name: string;
  namespace: string;
  spec: S;
  src: YamlSource;
  /** Creation order (position in the inputs): Istio lets the oldest resource win conflicts. */
  order: number;
}

export interface IstioConfig {
  virtualServices: IstioResource<VirtualServiceSpec>[];
  destinationRules: IstioResource<DestinationRuleSpec>[];
  /** Istio `Gateway`s (networking.istio.io): servers of the ingress gateway pods they select. */
  gateways: IstioResource<IstioGatewaySpec>[];
  peerAuthentications: IstioResource<PeerAuthenticationSpecParsed>[];
  authorizationPolicies: IstioResource<AuthorizationPolicySpecParsed>[];
  /** Sidecar resources: the config scope of each sidecar (egress hosts). */
  sidecars: IstioResource<SidecarSpec>[];
  /** ServiceEntries: hosts added to the mesh's service registry (external services). */
  serviceEntries: IstioResource<ServiceEntrySpec>[];
  /** RequestAuthentications: the JWT issuers each workload accepts. */
  requestAuthentications: IstioResource<RequestAuthenticationSpec>[];
  /** EnvoyFilters: only local rate limiting is modelled (policy/local-ratelimit.ts); other patches are warned about. */
  envoyFilters: IstioResource<EnvoyFilterSpec>[];
  k8sServices: K8sService[];
  deployments: K8sDeployment[];
  serviceAccounts: { name: string; namespace: string }[];
  /** Linkerd, Cilium, App Mesh and Gateway API resources (config/mesh-kinds.ts); each mode honours its own. */
  mesh: MeshResources;
  /** autoscaling/v2 HorizontalPodAutoscalers, defaults applied. */
  hpas: IstioResource<HpaModel>[];
  /** Flagger `flagger.app/v1beta1` Canaries, defaults applied. */
  canaries: IstioResource<CanaryModel>[];
}

export const emptyIstioConfig = (): IstioConfig => ({
  virtualServices: [],
  destinationRules: [],
  gateways: [],
  peerAuthentications: [],
  authorizationPolicies: [],
  sidecars: [],
  serviceEntries: [],
  requestAuthentications: [],
  envoyFilters: [],
  k8sServices: [],
  deployments: [],
  serviceAccounts: [],
  mesh: emptyMeshResources(),
  hpas: [],
  canaries: [],
});

export interface Problems {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}
