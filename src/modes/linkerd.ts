/**
 * `linkerd`: Linkerd 2.x, a linkerd2-proxy sidecar in every in-mesh pod and workload client
 * (always-on mTLS, HTTP/2 between proxies, peak-EWMA per request, retries, timeouts, failure
 * accrual and authorization from Linkerd's own resources), and the Linkerd control plane
 * (destination, identity, proxy-injector). Implementation: modes/linkerd/.
 */
import type { PodRt } from '../world/entities.js';
import { loadProfile } from '../config/profile.js';
import { LinkerdClientPolicy } from '../policy/linkerd/client-policy.js';
import { foreignConfigWarnings } from './foreign-config.js';
import { LinkerdPlane } from './linkerd/plane.js';
import type { MeshModeDef } from './mode.js';

/** The scenario's profile if it has Linkerd figures, else the default `linkerd` profile. */
const linkerdProfile = (p: ReturnType<typeof loadProfile>) => (p.linkerd ? p : loadProfile('linkerd'));

export const linkerdMode: MeshModeDef = {
  name: 'linkerd',
  title: 'Linkerd (linkerd2-proxy sidecars)',
  colour: '#14b8a6',
  components: [
    {
      name: 'linkerd-proxy',
      colour: '#14b8a6',
      // A proxy holds what discovery tells it about the services it talks to: model every endpoint of the mesh.
      proxyMemoryBytes: (p, s) => {
        const c = p.costs;
        const endpoints = s.cluster.serviceList.reduce((n, svc) => n + svc.pods.length, 0);
        return c.baseMemoryMB * 1e6 + endpoints * c.memPerEndpointKB * 1e3 + p.connections.mean(s.nowUs) * c.memPerConnectionKB * 1e3;
      },
    },
    {
      name: 'linkerd-control-plane',
      colour: '#0f766e',
      footprint: ({ profile, plane }) => {
        const cp = (linkerdProfile(profile).linkerd as NonNullable<typeof profile.linkerd>).controlPlane;
        const n = plane.proxies.length;
        return { instances: 1, cores: cp.baseCpuCores + cp.cpuPerProxyCores * n, bytes: (cp.baseMemoryMB + cp.memPerProxyMB * n) * 1e6 };
      },
    },
  ],
  clientReporter: 'source',
  metricReporter: 'linkerd',
  workloadCertificates: true,
  createPlane: (deps, cluster, scenario) => {
    const profile = linkerdProfile(deps.profile);
    const lp = profile.linkerd as NonNullable<typeof profile.linkerd>;
    const mesh = scenario.istio.mesh;
    const plane = new LinkerdPlane(
      deps,
      {
        proxy: lp.proxy,
        queueCapacity: lp.proxy.queueCapacity,
        outboundFailfastUs: lp.proxy.outboundFailfastUs,
        outboundConnectTimeoutUs: lp.proxy.outboundConnectTimeoutUs,
        defaultRttUs: lp.proxy.defaultRttUs,
        rttDecayUs: lp.proxy.rttDecayUs,
        tls: profile.tls,
      },
      new LinkerdClientPolicy(mesh, [...scenario.services, ...scenario.externals]),
      {
        // proxy.defaultInboundPolicy (charts/linkerd-control-plane/values.yaml).
        defaultPolicy: 'all-unauthenticated',
        servers: mesh.linkerdServers,
        authorizationPolicies: mesh.linkerdAuthorizationPolicies,
        serverAuthorizations: mesh.linkerdServerAuthorizations,
        meshTls: mesh.linkerdMeshTlsAuthentications,
        networks: mesh.linkerdNetworkAuthentications,
      },
    );
    const pods = cluster.serviceList.flatMap((s) => s.pods);
    const proxies = [...pods, ...cluster.clients].filter((c) => c.inMesh).map((c) => plane.addProxy(c));
    return Object.assign(plane, {
      proxies,
      envoyClusters: () => [],
      // A pod created during the run gets its injected proxy too.
      podAdded: (pod: PodRt) => {
        if (pod.inMesh) proxies.push(plane.addProxy(pod));
      },
    });
  },
  configWarnings: (scenario) => [
    ...foreignConfigWarnings(scenario.istio, 'linkerd', 'linkerd'),
    ...new LinkerdClientPolicy(scenario.istio.mesh, [...scenario.services, ...scenario.externals]).warnings.map((w) =>
      w.resource.src.diagnosticAt(['kind'], 'warning', `${w.resource.kind} ${w.resource.namespace}/${w.resource.name}: ${w.message}`),
    ),
  ],
};
