/**
 * Istio's egress gateway: the `istio-egressgateway` Deployment and Service in istio-system
 * (istio/istio manifests/charts/gateways/istio-egress: labels `app: istio-egressgateway`,
 * `istio: egressgateway`, service account `istio-egressgateway-service-account`, Service port 80
 * → 8080 and 443 → 8443). It is part of the scenario when the Istio config uses it: a Gateway
 * selecting `istio: egressgateway`, or a VirtualService or DestinationRule naming its host, as in
 * https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/. Its pods run
 * Envoy only (no app): a request reaching one is routed by the Gateways that select it.
 */
import type { IstioConfig } from './istio/resources.js';
import type { Scenario, ServiceModel } from './model.js';

export const EGRESS_GATEWAY_NAME = 'istio-egressgateway';
export const EGRESS_GATEWAY_NAMESPACE = 'istio-system';
export const EGRESS_GATEWAY_FQDN = `${EGRESS_GATEWAY_NAME}.${EGRESS_GATEWAY_NAMESPACE}.svc.cluster.local`;
export const EGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = { app: EGRESS_GATEWAY_NAME, istio: 'egressgateway' };
export const EGRESS_GATEWAY_SERVICE_ACCOUNT = 'istio-egressgateway-service-account';
/** The Service port the documented routes use (80 → the gateway's 8080 listener). */
export const EGRESS_GATEWAY_PORT = 80;

/** Whether a host written in `namespace` names the egress gateway's Service (short, `name.ns` or FQDN). */
export function namesEgressGateway(host: string, namespace: string): boolean {
  const h = host.toLowerCase();
  return (
    h === EGRESS_GATEWAY_FQDN ||
    h === `${EGRESS_GATEWAY_NAME}.${EGRESS_GATEWAY_NAMESPACE}` ||
    h === `${EGRESS_GATEWAY_NAME}.${EGRESS_GATEWAY_NAMESPACE}.svc` ||
    (h === EGRESS_GATEWAY_NAME && namespace === EGRESS_GATEWAY_NAMESPACE)
  );
}

/** Whether a workload selector picks the egress gateway's pods. */
export const selectsEgressGateway = (selector: Readonly<Record<string, string>>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => EGRESS_GATEWAY_LABELS[k] === v);

/** Whether the config (at t=0 or applied later) uses the egress gateway. */
export function usesEgressGateway(configs: readonly IstioConfig[]): boolean {
  return configs.some(
    (c) =>
      c.gateways.some((g) => selectsEgressGateway(g.spec.selector)) ||
      c.destinationRules.some((dr) => namesEgressGateway(dr.spec.host, dr.namespace)) ||
      c.virtualServices.some((vs) =>
        vs.spec.http.some((r) => (r.route ?? []).some((d) => namesEgressGateway(d.destination.host, vs.namespace))),
      ),
  );
}

/** The egress gateway as a service of the mesh: `replicas` Envoy pods and no application. */
export function egressGatewayModel(replicas: number): ServiceModel {
  return {
    key: EGRESS_GATEWAY_NAME,
    name: EGRESS_GATEWAY_NAME,
    namespace: EGRESS_GATEWAY_NAMESPACE,
    fqdn: EGRESS_GATEWAY_FQDN,
    serviceAccount: EGRESS_GATEWAY_SERVICE_ACCOUNT,
    port: EGRESS_GATEWAY_PORT,
    protocol: 'http',
    // Istio gateways carry no version label: Istio reports their version as unknown.
    versions: [
      {
        name: 'unknown',
        replicas,
        labels: { ...EGRESS_GATEWAY_LABELS },
        serviceTime: { kind: 'constant', value: 0 },
        failure: { rate: 0, status: 503 },
      },
    ],
    concurrency: 1e9,
    cpuShare: 0,
    calls: [],
    requestSize: 0,
    responseSize: 0,
    resources: { requestCpu: 0, requestMemoryBytes: 0 },
    inMesh: true,
    propagatesTraceHeaders: true,
    propagateHeaders: [],
    envoyOnly: true,
  };
}

/** Every host the mesh's proxies can route to: the services, the external hosts and the egress gateway. */
export const meshServices = (s: Pick<Scenario, 'services' | 'externals' | 'egressGateway'>): ServiceModel[] => [
  ...s.services,
  ...s.externals,
  ...(s.egressGateway ? [s.egressGateway] : []),
];
