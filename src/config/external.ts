/**
 * External hosts (`spec.external`): hosts outside the cluster that services call with
 * `calls[].host`. Each becomes a service model whose `external` is set, keyed by its host; its
 * endpoints come from the ServiceEntry declaring the host (istio/api
 * networking/v1alpha3/service_entry.proto): the listed `endpoints` for STATIC and DNS resolution,
 * else one (the host itself: NONE forwards to the address the app dialled, DNS without endpoints
 * resolves the host name).
 */
import type { IstioConfig, IstioResource } from './istio/resources.js';
import type { ServiceEntrySpec } from './istio/egress-schemas.js';
import type { ScenarioDoc } from './schema.js';
import type { ServiceModel } from './model.js';
import type { PathSegment } from './yaml-source.js';
import { stableRecord } from '../kernel/stable-shapes.js';

type ExternalDoc = ScenarioDoc['spec']['external'][number];

/** Whether a ServiceEntry host (possibly `*.suffix`) covers `host` (hosts are case-insensitive DNS names). */
export function serviceEntryHostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  return p === host;
}

/** The oldest ServiceEntry declaring `host`, if any (Istio lets the oldest resource win conflicts). */
export function serviceEntryFor(config: IstioConfig, host: string): IstioResource<ServiceEntrySpec> | undefined {
  return [...config.serviceEntries]
    .sort((a, b) => a.order - b.order)
    .find((se) => se.spec.hosts.some((h) => serviceEntryHostMatches(h, host)));
}

export function resolveExternals(
  docs: readonly ExternalDoc[],
  istio: IstioConfig,
  err: (path: PathSegment[], message: string) => void,
): ServiceModel[] {
  const seen = new Set<string>();
  return docs.map((d, i) => {
    if (seen.has(d.host)) err(['spec', 'external', i, 'host'], `spec.external[${i}].host: duplicate external host "${d.host}"`);
    seen.add(d.host);
    const se = serviceEntryFor(istio, d.host);
    const staticEndpoints = se && se.spec.resolution !== 'NONE' ? (se.spec.endpoints?.length ?? 0) : 0;
    const port = d.port ?? se?.spec.ports?.[0]?.number ?? (d.protocol === 'https' ? 443 : 80);
    // As load.ts makes a service's models (the request path reads them: see stableRecord).
    return stableRecord<ServiceModel>({
      key: d.host,
      name: d.host,
      namespace: se?.namespace ?? 'default',
      fqdn: d.host,
      serviceAccount: 'external',
      port,
      protocol: 'http',
      versions: [
        stableRecord({
          name: 'v1',
          replicas: Math.max(1, staticEndpoints),
          labels: {},
          serviceTime: d.serviceTime,
          failure: d.failure,
        }),
      ],
      concurrency: d.concurrency,
      // Outside the cluster: no node's CPU serves it.
      cpuShare: 0,
      calls: [],
      requestSize: d.requestSize,
      responseSize: d.responseSize,
      resources: stableRecord({ requestCpu: 0, requestMemoryBytes: 0 }),
      inMesh: false,
      propagatesTraceHeaders: false,
      propagateHeaders: [],
      external: {
        protocol: d.protocol,
        serviceEntry: se ? `${se.namespace}/${se.name}` : undefined,
        location: se?.spec.location ?? 'MESH_EXTERNAL',
        resolution: se?.spec.resolution ?? 'NONE',
      },
    });
  });
}
