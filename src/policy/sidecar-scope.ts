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
import type { SidecarSpec } from '../config/istio/networking-schemas.js';
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

  /** Every service of `services` the workload's proxy holds config for. */
  visibleServices<S extends { model: ServiceModel }>(w: ScopedWorkload, services: readonly S[]): S[] {
    if (!this.sidecarFor(w)?.spec.egress?.length) return [...services];
    return services.filter((s) => this.visible(w, s.model));
  }
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
