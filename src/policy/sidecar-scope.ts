/**
 * Sidecar scoping: which `Sidecar` resource configures a workload's proxy, and which services that
 * proxy holds configuration (clusters, endpoints, routes) for. istio/api networking/v1alpha3/sidecar.proto:
 * a Sidecar with a `workloadSelector` in the workload's namespace wins over the namespace's Sidecar
 * without one, which wins over the mesh-wide default (a Sidecar without selector in the root
 * namespace); the oldest wins a tie. `egress[].hosts` entries are `namespace/dnsName`: namespace
 * `*` is any, `.` the workload's own (for the root default too: istio/istio
 * pilot/pkg/model/sidecar.go ConvertToSidecarScope resolves it against the proxy's config
 * namespace), `~` none; dnsName `*` or `*.suffix` are wildcards. Without any Sidecar a proxy holds
 * every service of the mesh.
 */
import type { ConnectionPoolSettings, SidecarSpec } from '../config/istio/networking-schemas.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { ServiceModel } from '../config/model.js';
import { fqdnOf, hostMatches } from './hosts.js';

export interface ScopedWorkload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

const selects = (selector: Record<string, string>, labels: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export class SidecarScopes {
  private readonly byOrder: IstioResource<SidecarSpec>[];

  constructor(
    sidecars: readonly IstioResource<SidecarSpec>[],
    private readonly rootNamespace: string,
  ) {
    this.byOrder = [...sidecars].sort((a, b) => a.order - b.order);
  }

  get any(): boolean {
    return this.byOrder.length > 0;
  }

  /** The Sidecar resource that configures this workload's proxy, if any. */
  sidecarFor(w: ScopedWorkload): IstioResource<SidecarSpec> | undefined {
    const inNs = this.byOrder.filter((s) => s.namespace === w.namespace);
    return (
      inNs.find((s) => s.spec.workloadSelector !== undefined && selects(s.spec.workloadSelector.labels, w.labels)) ??
      inNs.find((s) => s.spec.workloadSelector === undefined) ??
      this.byOrder.find((s) => s.namespace === this.rootNamespace && s.spec.workloadSelector === undefined)
    );
  }

  /** Whether the workload's proxy holds config for `svc` (always true without a Sidecar; no egress = everything). */
  visible(w: ScopedWorkload, svc: ServiceModel): boolean {
    const sc = this.sidecarFor(w);
    if (!sc?.spec.egress?.length) return true;
    return sc.spec.egress.some((e) => e.hosts.some((h) => egressHostCovers(h, w.namespace, svc)));
  }

  /**
   * How the workload's sidecar receives traffic for `port` (the pod port: services here have one
   * port, the app's). Without Sidecar ingress listeners Istio builds one inbound chain per service
   * port (`auto`). With them, only the listed ports get a chain, cluster `inbound|PORT||` forwarding
   * to `defaultEndpoint`; traffic to any other port falls to the virtual inbound listener's
   * passthrough chains and InboundPassthroughCluster (istio/istio
   * pilot/pkg/networking/core/listener_inbound.go buildInboundChainConfigs, with
   * PILOT_ENABLE_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE off by default; sidecar.proto `ingress`:
   * "If specified, inbound ports are configured if and only if the workload instance is associated
   * with a service", https://istio.io/latest/docs/reference/config/networking/sidecar/).
   */
  inboundListener(w: ScopedWorkload, port: number): InboundListener {
    const sc = this.sidecarFor(w);
    if (!sc?.spec.ingress?.length) return { kind: 'auto', sidecar: sc };
    const index = sc.spec.ingress.findIndex((i) => i.port?.number === port);
    if (index < 0) return { kind: 'passthrough', sidecar: sc };
    return { kind: 'listener', sidecar: sc, index, ingress: sc.spec.ingress[index]! };
  }

  /**
   * The Sidecar's connection pool for the inbound cluster of `port`: the ingress listener's own
   * `connectionPool`, else `inboundConnectionPool` (Istio ≥ 1.21; pilot/pkg/model/sidecar.go
   * SidecarScope.InboundConnectionPoolForPort). Undefined: the DestinationRule's applies.
   */
  inboundConnectionPool(w: ScopedWorkload, port: number): ConnectionPoolSettings | undefined {
    const sc = this.sidecarFor(w);
    if (!sc) return undefined;
    return sc.spec.ingress?.find((i) => i.port?.number === port && i.connectionPool)?.connectionPool ?? sc.spec.inboundConnectionPool;
  }

  /** Every service of `services` the workload's proxy holds config for. */
  visibleServices<S extends { model: ServiceModel }>(w: ScopedWorkload, services: readonly S[]): S[] {
    if (!this.sidecarFor(w)?.spec.egress?.length) return [...services];
    return services.filter((s) => this.visible(w, s.model));
  }
}

type SidecarIngress = NonNullable<SidecarSpec['ingress']>[number];

/** A workload's inbound listener for one port (SidecarScopes.inboundListener). */
export type InboundListener =
  | { kind: 'auto'; sidecar?: IstioResource<SidecarSpec> }
  | { kind: 'listener'; sidecar: IstioResource<SidecarSpec>; index: number; ingress: SidecarIngress }
  | { kind: 'passthrough'; sidecar: IstioResource<SidecarSpec> };

/** The port of an ingress listener's `defaultEndpoint` (`127.0.0.1:8080`, `0.0.0.0:8080`, `[::1]:8080`); undefined for a Unix socket or none. */
export function defaultEndpointPort(endpoint: string | undefined): number | undefined {
  if (!endpoint || endpoint.startsWith('unix://')) return undefined;
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  return Number.isInteger(port) ? port : undefined;
}

/** `ns/dnsName` of a Sidecar egress listener against a service, for a workload in `workloadNs`. */
export function egressHostCovers(host: string, workloadNs: string, svc: ServiceModel): boolean {
  const slash = host.indexOf('/');
  const ns = slash < 0 ? '*' : host.slice(0, slash);
  const dns = slash < 0 ? host : host.slice(slash + 1);
  if (ns === '~') return false;
  if (ns !== '*' && (ns === '.' ? workloadNs : ns) !== svc.namespace) return false;
  if (dns === '*') return true;
  return hostMatches(fqdnOf(dns, svc.namespace), svc.fqdn);
}
