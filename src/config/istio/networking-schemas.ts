/**
 * VirtualService and DestinationRule (networking.istio.io v1 / v1beta1 / v1alpha3) with Istio's
 * own field names (istio/api networking/v1alpha3/virtual_service.proto, destination_rule.proto).
 * Every field of the API is accepted; fields the simulator does not model are reported as
 * warnings by istio/semantics.ts. Durations come out in microseconds.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { istioDuration, outlierDetectionSchema } from './outlier-schema.js';

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const stringMatch = z
    .strictObject({
      exact: z.string().optional(),
      prefix: z.string().optional(),
      regex: z.string().optional(),
    })
    .superRefine((m, ctx) => {
      const n = [m.exact, m.prefix, m.regex].filter((x) => x !== undefined).length;
      if (n > 1) ctx.addIssue({ code: 'custom', message: 'a string match takes one of exact, prefix or regex' });
      if (m.regex !== undefined) {
        try {
          new RegExp(m.regex);
        } catch {
          ctx.addIssue({ code: 'custom', message: `invalid regex ${JSON.stringify(m.regex)}`, path: ['regex'] });
        }
      }
    });
  const percent = z.strictObject({ value: z.number() }).superRefine((p, ctx) => {
    // Istio: "percentage %v is neither 0.0, nor in range [0.0001, 100.0]" (validation.go).
    if (!(p.value === 0 || (p.value >= 0.0001 && p.value <= 100))) {
      ctx.addIssue({ code: 'custom', message: `percentage ${p.value} is neither 0.0, nor in range [0.0001, 100.0]`, path: ['value'] });
    }
  });

  const matchRequest = z.strictObject({
    name: z.string().optional(),
    uri: stringMatch.optional(),
    scheme: stringMatch.optional(),
    method: stringMatch.optional(),
    authority: stringMatch.optional(),
    headers: z.record(z.string(), stringMatch).optional(),
    port: z.number().int().optional(),
    sourceLabels: z.record(z.string(), z.string()).optional(),
    gateways: z.array(z.string()).optional(),
    queryParams: z.record(z.string(), stringMatch).optional(),
    ignoreUriCase: z.boolean().optional(),
    withoutHeaders: z.record(z.string(), stringMatch).optional(),
    sourceNamespace: z.string().optional(),
    statPrefix: z.string().optional(),
  });
  const headerOps = z.strictObject({
    set: z.record(z.string(), z.string()).optional(),
    add: z.record(z.string(), z.string()).optional(),
    remove: z.array(z.string()).optional(),
  });
  const headers = z.strictObject({ request: headerOps.optional(), response: headerOps.optional() });

  const destination = z.strictObject({
    host: z.string().min(1, 'destination host is required'),
    subset: z.string().optional(),
    port: z.strictObject({ number: z.number().int().min(1).max(65535) }).optional(),
  });

  const routeDestination = z.strictObject({
    destination,
    weight: z.number().int().optional(),
    headers: headers.optional(),
  });

  const retry = z.strictObject({
    attempts: z.number().int().optional(),
    perTryTimeout: istioDuration().optional(),
    retryOn: z.string().optional(),
    retryRemoteLocalities: z.boolean().optional(),
    retryIgnorePreviousHosts: z.boolean().optional(),
    backoff: istioDuration().optional(),
  });
  const fault = z.strictObject({
    delay: z
      .strictObject({
        fixedDelay: istioDuration().optional(),
        exponentialDelay: istioDuration().optional(),
        percentage: percent.optional(),
        percent: z.number().int().optional(),
      })
      .optional(),
    abort: z
      .strictObject({
        httpStatus: z.number().int().optional(),
        grpcStatus: z.string().optional(),
        http2Error: z.string().optional(),
        percentage: percent.optional(),
      })
      .optional(),
  });
  /** HTTPRedirect: Envoy's RedirectAction; `redirectCode` defaults to 301 (MOVED_PERMANENTLY). */
  const redirect = z.strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: z.number().int().optional(),
    derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
    scheme: z.string().optional(),
    redirectCode: z.number().int().optional(),
  });
  /** HTTPDirectResponse: a fixed answer from the proxy (status, optional body). */
  const directResponse = z.strictObject({
    status: z.number().int(),
    body: z.strictObject({ string: z.string().optional(), bytes: z.string().optional() }).optional(),
  });
  /** HTTPRewrite: path (or matched prefix), authority, or an RE2 regex rewrite of the path. */
  const rewrite = z.strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    uriRegexRewrite: z.strictObject({ match: z.string(), rewrite: z.string() }).optional(),
  });
  const mirrorPolicy = z.strictObject({ destination, percentage: percent.optional() });

  const httpRoute = z.strictObject({
    name: z.string().optional(),
    match: z.array(matchRequest).optional(),
    route: z.array(routeDestination).optional(),
    redirect: redirect.optional(),
    directResponse: directResponse.optional(),
    delegate: z.strictObject({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
    rewrite: rewrite.optional(),
    timeout: istioDuration().optional(),
    retries: retry.optional(),
    fault: fault.optional(),
    mirror: destination.optional(),
    mirrors: z.array(mirrorPolicy).optional(),
    mirrorPercentage: percent.optional(),
    mirrorPercent: z.number().optional(),
    corsPolicy: z.record(z.string(), z.unknown()).optional(),
    headers: headers.optional(),
  });
  const virtualServiceSpec = z.strictObject({
    hosts: z.array(z.string()).default([]),
    gateways: z.array(z.string()).optional(),
    http: z.array(httpRoute).default([]),
    tls: z.array(z.record(z.string(), z.unknown())).optional(),
    tcp: z.array(z.record(z.string(), z.unknown())).optional(),
    exportTo: z.array(z.string()).optional(),
  });
  const connectionPool = z.strictObject({
    tcp: z
      .strictObject({
        maxConnections: z.number().int().optional(),
        connectTimeout: istioDuration().optional(),
        tcpKeepalive: z.record(z.string(), z.unknown()).optional(),
        maxConnectionDuration: istioDuration().optional(),
        idleTimeout: istioDuration().optional(),
      })
      .optional(),
    http: z
      .strictObject({
        http1MaxPendingRequests: z.number().int().optional(),
        http2MaxRequests: z.number().int().optional(),
        maxRequestsPerConnection: z.number().int().optional(),
        maxRetries: z.number().int().optional(),
        idleTimeout: istioDuration().optional(),
        h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
        useClientProtocol: z.boolean().optional(),
        maxConcurrentStreams: z.number().int().optional(),
      })
      .optional(),
  });
  /**
   * LocalityLoadBalancerSetting (istio/api networking/v1alpha3/destination_rule.proto): `distribute`
   * weights per locality, `failover` between regions, `failoverPriority` labels, `enabled`.
   * Localities are `region/zone/subzone` with an optional trailing `*`.
   */
  const localityLbSetting = z.strictObject({
    distribute: z.array(z.strictObject({ from: z.string(), to: z.record(z.string(), z.number().int()) })).optional(),
    failover: z.array(z.strictObject({ from: z.string(), to: z.string() })).optional(),
    failoverPriority: z.array(z.string()).optional(),
    enabled: z.boolean().optional(),
  });
  const loadBalancer = z.strictObject({
    simple: z.enum(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']).optional(),
    consistentHash: z
      .strictObject({
        httpHeaderName: z.string().optional(),
        httpCookie: z
          .strictObject({
            name: z.string(),
            path: z.string().optional(),
            ttl: istioDuration().optional(),
            attributes: z.array(z.unknown()).optional(),
          })
          .optional(),
        useSourceIp: z.boolean().optional(),
        httpQueryParameterName: z.string().optional(),
        ringHash: z.strictObject({ minimumRingSize: z.number().int().optional() }).optional(),
        maglev: z.strictObject({ tableSize: z.number().int().optional() }).optional(),
        minimumRingSize: z.number().int().optional(),
      })
      .optional(),
    localityLbSetting: localityLbSetting.optional(),
    warmupDurationSecs: istioDuration().optional(),
    warmup: z
      .strictObject({ duration: istioDuration(), minimumPercent: z.number().optional(), aggression: z.number().optional() })
      .optional(),
  });
  const tls = z.strictObject({
    mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional(),
    clientCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    credentialName: z.string().optional(),
    subjectAltNames: z.array(z.string()).optional(),
    sni: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
    caCrl: z.string().optional(),
  });

  const trafficPolicyFields = {
    loadBalancer: loadBalancer.optional(),
    connectionPool: connectionPool.optional(),
    outlierDetection: outlierDetectionSchema.optional(),
    tls: tls.optional(),
    tunnel: z.record(z.string(), z.unknown()).optional(),
    proxyProtocol: z.record(z.string(), z.unknown()).optional(),
    retryBudget: z.record(z.string(), z.unknown()).optional(),
  };
  const portTrafficPolicy = z.strictObject({ port: z.strictObject({ number: z.number().int() }).optional(), ...trafficPolicyFields });
  const trafficPolicy = z.strictObject({ ...trafficPolicyFields, portLevelSettings: z.array(portTrafficPolicy).optional() });
  const destinationRuleSpec = z.strictObject({
    host: z.string().min(1, 'host is required'),
    trafficPolicy: trafficPolicy.optional(),
    subsets: z
      .array(
        z.strictObject({
          name: z.string().min(1, 'subset name cannot be empty'),
          labels: z.record(z.string(), z.string()).default({}),
          trafficPolicy: trafficPolicy.optional(),
        }),
      )
      .default([]),
    exportTo: z.array(z.string()).optional(),
    workloadSelector: z.record(z.string(), z.unknown()).optional(),
  });
  /**
   * Sidecar (istio/api networking/v1alpha3/sidecar.proto): which services a sidecar holds config for
   * (`egress[].hosts`, `namespace/dnsName`), its ingress listeners and outbound traffic policy.
   */
  const sidecarPort = z.strictObject({
    number: z.number().int().optional(),
    protocol: z.string().optional(),
    name: z.string().optional(),
    targetPort: z.number().int().optional(),
  });
  const sidecarEgress = z.strictObject({
    port: sidecarPort.optional(),
    bind: z.string().optional(),
    captureMode: z.enum(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
    hosts: z.array(z.string()).default([]),
  });
  const sidecarIngress = z.strictObject({
    port: sidecarPort.optional(),
    bind: z.string().optional(),
    captureMode: z.enum(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
    defaultEndpoint: z.string().optional(),
    tls: z.record(z.string(), z.unknown()).optional(),
    connectionPool: connectionPool.optional(),
  });
  const sidecarSpec = z.strictObject({
    workloadSelector: z.strictObject({ labels: z.record(z.string(), z.string()).default({}) }).optional(),
    ingress: z.array(sidecarIngress).optional(),
    egress: z.array(sidecarEgress).optional(),
    inboundConnectionPool: connectionPool.optional(),
    outboundTrafficPolicy: z
      .strictObject({
        mode: z.enum(['REGISTRY_ONLY', 'ALLOW_ANY']).optional(),
        egressProxy: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  });
  return {
    stringMatch,
    matchRequest,
    headerOps,
    retry,
    fault,
    redirect,
    directResponse,
    rewrite,
    httpRoute,
    virtualServiceSpec,
    connectionPool,
    localityLbSetting,
    loadBalancer,
    trafficPolicy,
    destinationRuleSpec,
    sidecarSpec,
  };
});
type Schemas = ReturnType<typeof schemas>;

export type StringMatch = z.output<Schemas['stringMatch']>;
export type HttpMatchRequest = z.output<Schemas['matchRequest']>;
export type HeaderOperations = z.output<Schemas['headerOps']>;
export type HttpRetry = z.output<Schemas['retry']>;
export type HttpFault = z.output<Schemas['fault']>;
export type HttpRedirect = z.output<Schemas['redirect']>;
export type HttpDirectResponse = z.output<Schemas['directResponse']>;
export type HttpRewrite = z.output<Schemas['rewrite']>;
export type HttpRoute = z.output<Schemas['httpRoute']>;
export type VirtualServiceSpec = z.output<Schemas['virtualServiceSpec']>;
export type ConnectionPoolSettings = z.output<Schemas['connectionPool']>;
export type LocalityLbSetting = z.output<Schemas['localityLbSetting']>;
export type LoadBalancerSettings = z.output<Schemas['loadBalancer']>;
export type TrafficPolicy = z.output<Schemas['trafficPolicy']>;
export type DestinationRuleSpec = z.output<Schemas['destinationRuleSpec']>;
export type SidecarSpec = z.output<Schemas['sidecarSpec']>;

export const virtualServiceSpec = z.lazy(() => schemas().virtualServiceSpec);
export const destinationRuleSpec = z.lazy(() => schemas().destinationRuleSpec);
export const sidecarSpec = z.lazy(() => schemas().sidecarSpec);
