/**
 * AWS App Mesh CRDs (`appmesh.k8s.aws/v1beta2`) with the controller's field names and validation
 * markers (aws/aws-app-mesh-controller-for-k8s apis/appmesh/v1beta2/{mesh,virtualnode,
 * virtualservice,virtualrouter}_types.go, types.go). The Route of the App Mesh API is, in
 * Kubernetes, an entry of VirtualRouter.spec.routes. Durations are `{unit: s|ms, value}` and come
 * out in µs. App Mesh reached end of support on 2026-09-30
 * (https://docs.aws.amazon.com/eks/latest/userguide/appmesh-getting-started.html).
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { labelSelectorSchema } from '../k8s-selectors.js';

export const APP_MESH_END_OF_SUPPORT = '2026-09-30';

/** httpRetryEvents: server-error (500-508, 510, 511), gateway-error (502-504), client-error (409), stream-error. */
export const HTTP_RETRY_EVENTS = ['server-error', 'gateway-error', 'client-error', 'stream-error'] as const;
export const GRPC_RETRY_EVENTS = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const duration = z
    .strictObject({ unit: z.enum(['s', 'ms']), value: z.number().int().min(0) })
    .transform((d) => d.value * (d.unit === 's' ? 1_000_000 : 1_000));

  const ref = z.strictObject({ name: z.string().min(1), namespace: z.string().optional() });
  const meshRef = z.strictObject({ name: z.string().min(1), uid: z.string().optional() });
  const protocol = z.enum(['grpc', 'http', 'http2', 'tcp']);
  const portMapping = z.strictObject({ port: z.number().int().min(1).max(65535), protocol });

  const outlierDetection = z.strictObject({
    maxServerErrors: z.number().int().min(1),
    interval: duration,
    baseEjectionDuration: duration,
    maxEjectionPercent: z.number().int().min(0).max(100),
  });
  const connectionPool = z
    .strictObject({
      tcp: z.strictObject({ maxConnections: z.number().int().min(1) }).optional(),
      http: z.strictObject({ maxConnections: z.number().int().min(1), maxPendingRequests: z.number().int().min(1).optional() }).optional(),
      http2: z.strictObject({ maxRequests: z.number().int().min(1) }).optional(),
      grpc: z.strictObject({ maxRequests: z.number().int().min(1) }).optional(),
    })
    .refine(
      (p) => [p.tcp, p.http, p.http2, p.grpc].filter((x) => x !== undefined).length === 1,
      'connectionPool takes exactly one of tcp, http, http2 or grpc',
    );
  const httpTimeout = z.strictObject({ perRequest: duration.optional(), idle: duration.optional() });
  const listenerTimeout = z.strictObject({
    tcp: z.strictObject({ idle: duration.optional() }).optional(),
    http: httpTimeout.optional(),
    http2: httpTimeout.optional(),
    grpc: httpTimeout.optional(),
  });

  const listenerTls = z.record(z.string(), z.unknown());

  const listener = z.strictObject({
    portMapping,
    healthCheck: z.record(z.string(), z.unknown()).optional(),
    outlierDetection: outlierDetection.optional(),
    connectionPool: connectionPool.optional(),
    timeout: listenerTimeout.optional(),
    tls: listenerTls.optional(),
  });
  const backend = z.strictObject({
    virtualService: z
      .strictObject({
        virtualServiceRef: ref.optional(),
        virtualServiceARN: z.string().optional(),
        clientPolicy: z.record(z.string(), z.unknown()).optional(),
      })
      .refine(
        (v) => (v.virtualServiceRef === undefined) !== (v.virtualServiceARN === undefined),
        'virtualService takes exactly one of virtualServiceRef or virtualServiceARN',
      ),
  });

  const virtualNodeSpec = z.strictObject({
    awsName: z.string().optional(),
    meshRef: meshRef.optional(),
    podSelector: labelSelectorSchema.optional(),
    listeners: z.array(listener).max(1).optional(),
    serviceDiscovery: z
      .strictObject({
        dns: z
          .strictObject({
            hostname: z.string().min(1),
            responseType: z.enum(['ENDPOINTS', 'LOADBALANCER']).optional(),
            ipPreference: z.string().optional(),
          })
          .optional(),
        awsCloudMap: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    backends: z.array(backend).optional(),
    backendGroups: z.array(z.record(z.string(), z.unknown())).optional(),
    backendDefaults: z.record(z.string(), z.unknown()).optional(),
    logging: z.record(z.string(), z.unknown()).optional(),
  });
  const virtualServiceSpec = z.strictObject({
    awsName: z.string().optional(),
    meshRef: meshRef.optional(),
    provider: z
      .strictObject({
        virtualNode: z.strictObject({ virtualNodeRef: ref.optional(), virtualNodeARN: z.string().optional() }).optional(),
        virtualRouter: z.strictObject({ virtualRouterRef: ref.optional(), virtualRouterARN: z.string().optional() }).optional(),
      })
      .refine(
        (p) => (p.virtualNode === undefined) !== (p.virtualRouter === undefined),
        'provider takes exactly one of virtualNode or virtualRouter',
      )
      .optional(),
  });
  const retryPolicy = z.strictObject({
    httpRetryEvents: z.array(z.enum(HTTP_RETRY_EVENTS)).max(25).optional(),
    tcpRetryEvents: z.array(z.literal('connection-error')).max(1).optional(),
    grpcRetryEvents: z.array(z.enum(GRPC_RETRY_EVENTS)).max(5).optional(),
    perRetryTimeout: duration,
    maxRetries: z.number().int().min(0),
  });
  const weightedTarget = z
    .strictObject({
      virtualNodeRef: ref.optional(),
      virtualNodeARN: z.string().optional(),
      weight: z.number().int().min(0).max(100),
      port: z.number().int().min(1).max(65535).optional(),
    })
    .refine(
      (t) => (t.virtualNodeRef === undefined) !== (t.virtualNodeARN === undefined),
      'a weighted target takes exactly one of virtualNodeRef or virtualNodeARN',
    );

  const action = z.strictObject({ weightedTargets: z.array(weightedTarget).min(1).max(10) });

  const httpMatch = z.strictObject({
    prefix: z.string().optional(),
    path: z.strictObject({ exact: z.string().optional(), regex: z.string().optional() }).optional(),
    headers: z.array(z.record(z.string(), z.unknown())).optional(),
    method: z.enum(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']).optional(),
    scheme: z.enum(['http', 'https']).optional(),
    queryParameters: z.array(z.record(z.string(), z.unknown())).optional(),
    port: z.number().int().optional(),
  });

  const httpRoute = z.strictObject({ match: httpMatch, action, retryPolicy: retryPolicy.optional(), timeout: httpTimeout.optional() });
  const grpcRoute = z.strictObject({
    match: z.record(z.string(), z.unknown()),
    action,
    retryPolicy: retryPolicy.optional(),
    timeout: httpTimeout.optional(),
  });
  const tcpRoute = z.strictObject({
    match: z.record(z.string(), z.unknown()).optional(),
    action,
    timeout: z.strictObject({ idle: duration.optional() }).optional(),
  });

  const route = z
    .strictObject({
      name: z.string().min(1),
      priority: z.number().int().min(0).max(1000).optional(),
      httpRoute: httpRoute.optional(),
      http2Route: httpRoute.optional(),
      grpcRoute: grpcRoute.optional(),
      tcpRoute: tcpRoute.optional(),
    })
    .refine(
      (r) => [r.httpRoute, r.http2Route, r.grpcRoute, r.tcpRoute].filter((x) => x !== undefined).length === 1,
      'a route takes exactly one of httpRoute, http2Route, grpcRoute or tcpRoute',
    );
  const virtualRouterSpec = z.strictObject({
    awsName: z.string().optional(),
    meshRef: meshRef.optional(),
    listeners: z.array(z.strictObject({ portMapping })).min(1).max(1),
    routes: z.array(route).optional(),
  });
  const meshSpec = z.strictObject({
    awsName: z.string().optional(),
    namespaceSelector: labelSelectorSchema.optional(),
    egressFilter: z.strictObject({ type: z.enum(['ALLOW_ALL', 'DROP_ALL']) }).optional(),
    serviceDiscovery: z.record(z.string(), z.unknown()).optional(),
    meshOwner: z.string().optional(),
  });
  return {
    outlierDetection,
    connectionPool,
    listener,
    virtualNodeSpec,
    virtualServiceSpec,
    retryPolicy,
    httpRoute,
    route,
    virtualRouterSpec,
    meshSpec,
  };
});
type Schemas = ReturnType<typeof schemas>;

export type AppMeshOutlierDetection = z.output<Schemas['outlierDetection']>;
export type AppMeshConnectionPool = z.output<Schemas['connectionPool']>;
export type AppMeshListener = z.output<Schemas['listener']>;
export type VirtualNodeSpec = z.output<Schemas['virtualNodeSpec']>;
export type AppMeshVirtualServiceSpec = z.output<Schemas['virtualServiceSpec']>;
export type AppMeshRetryPolicy = z.output<Schemas['retryPolicy']>;
export type AppMeshHttpRoute = z.output<Schemas['httpRoute']>;
export type AppMeshRoute = z.output<Schemas['route']>;
export type VirtualRouterSpec = z.output<Schemas['virtualRouterSpec']>;

export const virtualNodeSpec = z.lazy(() => schemas().virtualNodeSpec);
export const virtualServiceSpec = z.lazy(() => schemas().virtualServiceSpec);
export const virtualRouterSpec = z.lazy(() => schemas().virtualRouterSpec);
export const meshSpec = z.lazy(() => schemas().meshSpec);

/**
 * App Mesh defaults not visible in its API (https://docs.aws.amazon.com/app-mesh/latest/userguide/envoy-defaults.html,
 * API_HttpTimeout.html): a default retry policy of 2 retries on HTTP 503, gRPC UNAVAILABLE, connect
 * failures and refused streams; a 15 s per-request timeout; no idle timeout.
 */
export const APP_MESH_DEFAULTS = {
  retry: { maxRetries: 2, httpStatuses: [503], tcpConnectionError: true, grpc: ['unavailable'] as const },
  perRequestTimeoutUs: 15_000_000,
} as const;

/** Status codes an httpRetryEvent retries (App Mesh API_HttpRetryPolicy). */
export function retryEventStatuses(event: (typeof HTTP_RETRY_EVENTS)[number]): number[] {
  switch (event) {
    case 'server-error':
      return [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511];
    case 'gateway-error':
      return [502, 503, 504];
    case 'client-error':
      return [409];
    case 'stream-error':
      return [];
  }
}
