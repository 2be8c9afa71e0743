/**
 * The scenario file's schema (README.md "The scenario file"). Every field not marked required has a default,
 * written here next to it; durations come out in microseconds, CPU in cores, memory in bytes.
 * Unknown fields are errors (strict objects everywhere).
 */
import * as z from 'zod';
import { DURATION_HELP, parseBytes, parseCpu, parseDuration } from './units.js';
import { serviceLifecycleFields } from './lifecycle.js';
import type { JwtClaimValue, JwtLocation } from './model.js';

const shown = (v: unknown): string => JSON.stringify(v) ?? String(v);

export const duration = () =>
  z.string({ error: `expected a duration (${DURATION_HELP})` }).transform((s, ctx) => {
    const us = parseDuration(s);
    if (us === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${shown(s)}: use ${DURATION_HELP}` });
      return z.NEVER;
    }
    return us;
  });

export const positiveDuration = () => duration().refine((us) => us > 0, { message: 'must be a positive duration' });

const cpuQuantity = () =>
  z.union([z.string(), z.number()], { error: 'expected a CPU quantity such as 500m or 2' }).transform((v, ctx) => {
    const cores = parseCpu(v);
    if (cores === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid CPU quantity ${shown(v)}: use e.g. 500m, 2 or 0.5` });
      return z.NEVER;
    }
    return cores;
  });

const byteQuantity = () =>
  z.union([z.string(), z.number()], { error: 'expected a quantity such as 256Mi or 1Gi' }).transform((v, ctx) => {
    const bytes = parseBytes(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid quantity ${shown(v)}: use e.g. 512, 1Ki, 256Mi, 1Gi` });
      return z.NEVER;
    }
    return bytes;
  });

/** RFC 1123 label, as Kubernetes requires for namespaces and most object names. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label, as Kubernetes requires for Service names (must start with a letter). */
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const dns1123 = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters`)
    .regex(DNS1123_LABEL, {
      message: `${what} must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });
const serviceName = () =>
  z.string().max(63, 'a service name must be at most 63 characters').regex(DNS1035_LABEL, {
    message: "a service name must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter",
  });

export const rate = () => z.number().nonnegative().finite();
export const probability = () => z.number().min(0).max(1);
export const httpStatus = () => z.number().int().min(100).max(599);

export const distributionSchema = z.union(
  [
    duration().transform((value) => ({ kind: 'constant' as const, value })),
    z.discriminatedUnion(
      'distribution',
      [
        z
          .strictObject({ distribution: z.literal('constant'), value: duration() })
          .transform((d) => ({ kind: 'constant' as const, value: d.value })),
        z
          .strictObject({ distribution: z.literal('exponential'), mean: positiveDuration() })
          .transform((d) => ({ kind: 'exponential' as const, mean: d.mean })),
        z
          .strictObject({ distribution: z.literal('lognormal'), median: positiveDuration(), p99: positiveDuration() })
          .refine((d) => d.p99 >= d.median, { message: 'p99 must be >= median', path: ['p99'] })
          .transform((d) => ({ kind: 'lognormal' as const, median: d.median, p99: d.p99 })),
        z
          .strictObject({ distribution: z.literal('uniform'), min: duration(), max: duration() })
          .refine((d) => d.max >= d.min, { message: 'max must be >= min', path: ['max'] })
          .transform((d) => ({ kind: 'uniform' as const, min: d.min, max: d.max })),
      ],
      { error: 'unknown distribution: use constant {value}, exponential {mean}, lognormal {median, p99} or uniform {min, max}' },
    ),
  ],
  { error: 'expected a duration or {distribution: constant|exponential|lognormal|uniform, ...}' },
);

const headers = () => z.record(z.string(), z.string()).prefault({});

const nodeSchema = z.strictObject({
  name: dns1123('a node name'),
  zone: z.string().min(1).default('zone-a'),
  // The node's topology.kubernetes.io/region label: Istio's locality is region/zone (istio/istio
  // pilot/pkg/serviceregistry/kube/controller/ endpoint locality from the node's topology labels).
  region: z.string().min(1).default('region-a'),
  cpu: cpuQuantity().prefault('8'),
  memory: byteQuantity().prefault('32Gi'),
});

const networkSchema = z.strictObject({
  // One-way pod-to-pod latency. Defaults: half the published round trips: netperf TCP_RR, 1 KB, same
  // node ~70 us, cross node ~200 us (https://docs.daocloud.io/en/network/performance/cni-performance.html);
  // cross zone ~1 ms (AWS promises "single-digit millisecond" latency between AZs,
  // https://aws.amazon.com/about-aws/global-infrastructure/regions_az/).
  sameNode: duration().prefault('35us'),
  sameZone: duration().prefault('100us'),
  crossZone: duration().prefault('500us'),
});

const callSchema = z
  .strictObject({
    /** A service of the scenario (exactly one of service and host). */
    service: z.string().optional(),
    /** A host outside the cluster, e.g. api.stripe.com: an entry of spec.external (exactly one of service and host). */
    host: z.string().optional(),
    method: z.string().default('GET'),
    path: z.string().default('/'),
    headers: headers(),
    /** What a failed call (5xx or reset) does to the caller: `fail` makes it answer 500. */
    onFailure: z.enum(['fail', 'ignore']).default('fail'),
    /** The app's own client timeout for this call (none by default): it gives up and sees a failure. */
    timeout: positiveDuration().optional(),
    /** The app's own retries after a failed or timed-out call (Bookinfo's productpage retries once). */
    retries: z.number().int().min(0).max(10).default(0),
    /** Only pods of these versions make the call (e.g. Bookinfo's reviews v2/v3 call ratings, v1 does not). */
    versions: z.array(z.string()).optional(),
    requestSize: byteQuantity().optional(),
    responseSize: byteQuantity().optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.service === undefined) === (c.host === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'a call names exactly one of service (in the cluster) or host (an external host of spec.external)',
      });
  });

/**
 * A host outside the cluster that services call (`calls[].host`): how it answers. Whether the mesh
 * knows it is a ServiceEntry's business; how it behaves is declared here, so "the payment
 * provider slows down" is a what-if (faults target it by its host).
 */
const externalSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, {
      message: 'an external host is a DNS name with at least two labels, e.g. api.stripe.com',
    }),
  /** The port the apps call (default: the ServiceEntry's first port, else 80 for http and 443 for https). */
  port: z.number().int().min(1).max(65535).optional(),
  /** http: plain HTTP the sidecar sees as HTTP; https: TLS from the app, which the sidecar only forwards (SNI). */
  protocol: z.enum(['http', 'https']).default('http'),
  /** Time the remote takes to answer, internet round trip included. */
  serviceTime: distributionSchema.prefault({ distribution: 'exponential', mean: '50ms' }),
  failure: z.strictObject({ rate: probability().default(0), status: httpStatus().default(503) }).prefault({}),
  /** Requests it serves at once per endpoint (a large provider: effectively unlimited by default). */
  concurrency: z.number().int().positive().default(1000),
  requestSize: byteQuantity().prefault('256'),
  responseSize: byteQuantity().prefault('1Ki'),
});

const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: cpuQuantity().prefault('100m'), memory: byteQuantity().prefault('128Mi') }).prefault({}),
  limits: z.strictObject({ cpu: cpuQuantity().optional(), memory: byteQuantity().optional() }).prefault({}),
});

/**
 * A Kubernetes label value (k8s.io/apimachinery pkg/util/validation IsValidLabelValue): at most 63
 * characters, alphanumerics, '-', '_' and '.', starting and ending with an alphanumeric. A version
 * is the pod label `version` (e.g. `v0.5.3`), so it follows that rule, not the DNS-label one.
 */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = (what: string) =>
  z
    .string()
    .max(63, `${what} must be at most 63 characters`)
    .regex(LABEL_VALUE, {
      message: `${what} must be a Kubernetes label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
    });

// Kubernetes supports at most 150,000 pods in a cluster
// (https://kubernetes.io/docs/setup/best-practices/cluster-large/): more replicas is a typo, and
// building them would take the run's memory and time first.
const MAX_PODS = 150_000;
const replicaCount = () =>
  z
    .number()
    .int()
    .nonnegative()
    .max(MAX_PODS, { error: `at most ${MAX_PODS} replicas (the most pods a Kubernetes cluster supports)` });

const versionSchema = z.strictObject({
  name: labelValue('a version name'),
  replicas: replicaCount(),
  serviceTime: distributionSchema.optional(),
  failure: z.strictObject({ rate: probability(), status: httpStatus().default(500) }).optional(),
});

export const serviceSchema = z.strictObject({
  name: serviceName(),
  namespace: dns1123('a namespace').default('default'),
  serviceAccount: dns1123('a service account').optional(),
  port: z.number().int().min(1).max(65535).default(8080),
  protocol: z.enum(['http', 'http2', 'grpc']).default('http'),
  replicas: replicaCount().optional(),
  versions: z.array(versionSchema).min(1).optional(),
  concurrency: z.number().int().positive().default(16),
  /** Share of the service time spent on CPU (the rest is waiting: I/O, locks, sleeps). */
  cpuShare: z.number().min(0).max(1).default(1),
  serviceTime: distributionSchema.prefault({ distribution: 'exponential', mean: '10ms' }),
  calls: z.array(callSchema).default([]),
  failure: z.strictObject({ rate: probability().default(0), status: httpStatus().default(500) }).prefault({}),
  requestSize: byteQuantity().prefault('256'),
  responseSize: byteQuantity().prefault('1Ki'),
  resources: resourcesSchema.prefault({}),
  inMesh: z.boolean().default(true),
  propagatesTraceHeaders: z.boolean().default(true),
  /** Request headers the app copies from the request it serves onto its calls (e.g. end-user). */
  propagateHeaders: z.array(z.string()).default([]),
  /** Pins every pod of the service to this node (default: spread by the placement hash). */
  node: z.string().optional(),
  /** Time from container start until the app listens (its own startup work); 0 by default. */
  startupTime: duration().optional(),
  // Kubernetes pod lifecycle, with Kubernetes' field names: probes, terminationGracePeriodSeconds,
  // lifecycle.preStop, and the Deployment's strategy and minReadySeconds.
  ...serviceLifecycleFields,
});

/** A claim's value: a JSON scalar, a list of scalars, or an object of nested claims (`realm_access: {roles: [admin]}`). */
const claimScalar = z.union([z.string(), z.number(), z.boolean()]);
const claimValue: z.ZodType<JwtClaimValue> = z
  .lazy(() => z.union([claimScalar, z.array(claimScalar), z.record(z.string(), claimValue)]))
  .meta({ id: 'JwtClaimValue' });

/**
 * Where the request carries its token, as jwt_authn's JwtProvider reads it
 * (envoy/extensions/filters/http/jwt_authn/v3/config.proto from_headers, from_params, from_cookies):
 * a header whose value is `prefix` + token, a query parameter, or a cookie. Default: the
 * `Authorization` header with the `Bearer ` prefix (RFC 6750 §2.1).
 */
const jwtLocationSchema = z
  .strictObject({
    /** A request header (name case-insensitive) whose value is `prefix` followed by the token. */
    header: z
      .string()
      .regex(/^[-_A-Za-z0-9]+$/, 'must be an HTTP header name')
      .optional(),
    /** What precedes the token in the header's value (e.g. `Bearer `); none by default. */
    prefix: z.string().optional(),
    /** A query parameter (`?access_token=<token>`). */
    param: z.string().min(1).optional(),
    /** A cookie (`Cookie: session=<token>`). */
    cookie: z.string().min(1).optional(),
  })
  .superRefine((l, ctx) => {
    const given = (['header', 'param', 'cookie'] as const).filter((k) => l[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of header, param or cookie${given.length ? ` (got ${given.join(', ')})` : ''}`,
      });
    if (l.prefix !== undefined && l.header === undefined)
      ctx.addIssue({ code: 'custom', message: 'prefix needs header', path: ['prefix'] });
  })
  .transform((l): JwtLocation =>
    l.header !== undefined
      ? { header: l.header.toLowerCase(), prefix: l.prefix ?? '' }
      : l.param !== undefined
        ? { param: l.param }
        : { cookie: l.cookie! },
  );

/**
 * The JWT a request carries, described rather than encoded: its issuer, subject and claims,
 * whether it has expired or is signed by a key the issuer's key set lacks, and where it travels.
 */
const jwtSchema = z.strictObject({
  issuer: z.string().min(1),
  subject: z.string().min(1),
  /** The `aud` claim. */
  audiences: z.array(z.string()).default([]),
  /** Other claims (`groups`, `scope`, `realm_access: {roles: [...]}`…): scalars, lists of scalars, or nested objects. */
  claims: z.record(z.string(), claimValue).default({}),
  expired: z.boolean().default(false),
  /** Signed by a key that is not in the issuer's key set (jwksUri / jwks). */
  badSignature: z.boolean().default(false),
  /** Where the token travels (default `{header: authorization, prefix: "Bearer "}`). */
  location: jwtLocationSchema.optional().transform((l): JwtLocation => l ?? { header: 'authorization', prefix: 'Bearer ' }),
});

const requestSchema = z
  .strictObject({
    method: z.string().default('GET'),
    path: z.string().default('/'),
    headers: headers(),
    /** A JWT (none when absent), in the Authorization header unless `location` says otherwise. */
    jwt: jwtSchema.optional(),
    weight: z.number().positive().default(1),
  })
  .superRefine((r, ctx) => {
    const loc = r.jwt?.location;
    const clash = loc && 'header' in loc ? Object.keys(r.headers).find((h) => h.toLowerCase() === loc.header) : undefined;
    if (clash !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `the JWT travels in header ${loc && 'header' in loc ? loc.header : ''}: do not set it in headers too`,
        path: ['headers', clash],
      });
  });

const workloadSchema = z
  .strictObject({
    name: dns1123('a workload name'),
    target: z.string().optional(),
    /**
     * Enter through this ingress gateway from outside the cluster: an Istio `Gateway` or a Gateway
     * API `Gateway`, `name` or `namespace/name`. Give `target` or `gateway`, not both.
     */
    gateway: z.string().min(1).optional(),
    /** The Host (authority) the outside client asks for, matched against gateway and route hosts. */
    host: z.string().min(1).optional(),
    from: z
      .strictObject({
        namespace: dns1123('a namespace').default('default'),
        serviceAccount: dns1123('a service account').optional(),
        inMesh: z.boolean().default(true),
        /** The node the workload's client pod runs on (default: placement hash). */
        node: z.string().optional(),
      })
      .prefault({}),
    rate: rate().optional(),
    arrival: z.enum(['poisson', 'constant']).default('poisson'),
    ramp: z.strictObject({ from: rate(), to: rate(), over: positiveDuration() }).optional(),
    steps: z
      .array(z.strictObject({ at: duration(), rate: rate() }))
      .min(1)
      .optional(),
    users: z.strictObject({ count: z.number().int().positive(), thinkTime: distributionSchema.prefault('0s') }).optional(),
    /**
     * How the load generator treats its connection: `keepalive` (default) keeps it whatever the
     * answer; `fortio` closes it after any non-2xx answer and opens a new one (after re-resolving
     * the target's DNS name) for its next request, as fortio's fast HTTP client does.
     */
    client: z.enum(['keepalive', 'fortio']).optional(),
    requests: z.array(requestSchema).min(1).prefault([{}]),
    requestSize: byteQuantity().optional(),
    responseSize: byteQuantity().optional(),
  })
  .superRefine((w, ctx) => {
    if ((w.target === undefined) === (w.gateway === undefined))
      ctx.addIssue({
        code: 'custom',
        message:
          w.target === undefined ? 'a workload needs a target (a service) or a gateway' : 'a workload takes target or gateway, not both',
        path: w.target === undefined ? [] : ['gateway'],
      });
    if (w.host !== undefined && w.gateway === undefined)
      ctx.addIssue({ code: 'custom', message: 'host is the Host header sent to a gateway: it needs gateway', path: ['host'] });
    const given = (['rate', 'ramp', 'steps', 'users'] as const).filter((k) => w[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'a workload needs one of rate, ramp, steps or users'
            : `a workload takes only one of rate, ramp, steps, users (got ${given.join(', ')})`,
        path: given.length > 1 ? [given[1]!] : [],
      });
    }
  });

const targetSchema = z
  .strictObject({
    service: z.string().optional(),
    version: z.string().optional(),
    pod: z.union([z.number().int().nonnegative(), z.literal('all')]).default('all'),
    /** A node, for node-level faults (nodeFailure). */
    node: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.service === undefined) === (t.node === undefined))
      ctx.addIssue({ code: 'custom', message: 'a target names a service (with version and pod) or a node' });
    else if (t.node !== undefined && t.version !== undefined)
      ctx.addIssue({ code: 'custom', message: 'a node target takes no version', path: ['version'] });
  });

/**
 * A fault's `inject` block. Each fault kind owns its fields (src/faults, one module per kind), so
 * here it is any mapping; analysis/load.ts checks it against the kind's schema, with positions.
 */
const injectSchema = z.record(z.string(), z.unknown());

const faultSchema = z
  .strictObject({
    at: duration(),
    until: duration().optional(),
    target: targetSchema.optional(),
    inject: injectSchema.optional(),
    apply: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    if ((f.inject === undefined) === (f.apply === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a fault needs either inject (with target) or apply' });
    }
    // Whether an inject fault needs a target, and which, depends on its kind (src/faults).
    if (f.until !== undefined && f.until <= f.at) {
      ctx.addIssue({ code: 'custom', message: 'until must be after at', path: ['until'] });
    }
  });

/** ext_authz fields shared by the HTTP and gRPC providers (config.proto EnvoyExternalAuthorization*Provider). */
const extAuthzCommon = {
  service: z.string().min(1),
  port: z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d+$/).transform(Number)]),
  /** Default 600 s (config.proto: "the timeout for the request. Default is 600s"). */
  timeout: positiveDuration().optional(),
  failOpen: z.boolean().default(false),
  /** Status returned when the provider errors or times out (default 403). */
  statusOnError: z
    .string()
    .regex(/^\d{3}$/)
    .transform(Number)
    .optional(),
  clearRouteCache: z.boolean().optional(),
  includeRequestBodyInCheck: z.unknown().optional(),
};

const extensionProviderSchema = z
  .strictObject({
    name: z.string().min(1),
    envoyExtAuthzHttp: z
      .strictObject({
        ...extAuthzCommon,
        pathPrefix: z.string().optional(),
        includeRequestHeadersInCheck: z.array(z.string()).optional(),
        includeAdditionalHeadersInCheck: z.record(z.string(), z.string()).optional(),
        headersToUpstreamOnAllow: z.array(z.string()).optional(),
        headersToDownstreamOnDeny: z.array(z.string()).optional(),
        headersToDownstreamOnAllow: z.array(z.string()).optional(),
      })
      .optional(),
    envoyExtAuthzGrpc: z.strictObject(extAuthzCommon).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.envoyExtAuthzHttp === undefined) === (p.envoyExtAuthzGrpc === undefined))
      ctx.addIssue({ code: 'custom', message: 'an extension provider takes exactly one of envoyExtAuthzHttp or envoyExtAuthzGrpc' });
  });

const sloSchema = z.strictObject({
  p50: duration().optional(),
  p90: duration().optional(),
  p99: duration().optional(),
  p999: duration().optional(),
  successRate: probability().optional(),
});

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('meshsim.dev/v1alpha1', { error: 'apiVersion must be meshsim.dev/v1alpha1' }),
  kind: z.literal('Scenario', { error: 'kind must be Scenario' }),
  metadata: z.strictObject({
    name: dns1123('metadata.name'),
    description: z.string().default(''),
  }),
  spec: z.strictObject({
    seed: z.number().int().nonnegative().default(1),
    duration: positiveDuration(),
    warmup: duration().prefault('0s'),
    mesh: z
      .strictObject({
        /** A mode of the registry in src/modes (checked, with its position, by analysis/load.ts). */
        mode: z.string().default('none'),
        profile: z.string().default('istio'),
        /**
         * meshConfig.extensionProviders (istio/api mesh/v1alpha1/config.proto): ext_authz providers
         * that CUSTOM AuthorizationPolicies name. Only the fields that change behaviour are modelled;
         * the others are accepted as Istio spells them.
         */
        extensionProviders: z.array(extensionProviderSchema).default([]),
        /** Istio's compatibilityVersion (helm value): restores an older release's defaults, e.g. "1.23". */
        compatibilityVersion: z
          .string({ error: 'compatibilityVersion is a quoted Istio minor version such as "1.23"' })
          .refine((v) => /^1\.\d+$/.test(v), { message: 'compatibilityVersion must be an Istio minor version such as "1.23"' })
          .optional(),
        waypoints: z.array(z.string()).default([]),
        /**
         * meshConfig.outboundTrafficPolicy (istio/api mesh/v1alpha1/config.proto): ALLOW_ANY (the
         * default) lets calls to hosts outside the registry through (PassthroughCluster);
         * REGISTRY_ONLY blocks them (BlackHoleCluster: 502 for HTTP, a reset for TLS).
         */
        outboundTrafficPolicy: z.strictObject({ mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).default('ALLOW_ANY') }).prefault({}),
        /** Pods of each ingress gateway Deployment (istio-ingressgateway, or `<name>-istio` for Gateway API). */
        gatewayReplicas: z.number().int().positive().default(1),
        /** Pods of Istio's istio-egressgateway Deployment in istio-system (used when the Istio config routes through it). */
        egressGatewayReplicas: z.number().int().positive().default(1),
        /** Time from a config change (faults[].apply) to every proxy using it: istiod debounce + push. */
        configPropagation: duration().prefault('1s'),
        /** Cilium transparent encryption between nodes (same-node traffic is never encrypted). */
        encryption: z.enum(['wireguard', 'ipsec', 'disabled']).default('wireguard'),
      })
      .prefault({}),
    cluster: z
      .strictObject({
        // Kubernetes supports clusters of at most 5,000 nodes
        // (https://kubernetes.io/docs/setup/best-practices/cluster-large/); a larger count is a typo.
        nodes: z
          .union([
            z.number().int().positive().max(5000, { error: 'at most 5000 nodes (the largest cluster Kubernetes supports)' }),
            z.array(nodeSchema).min(1).max(5000),
          ])
          .default(3),
        network: networkSchema.prefault({}),
        /**
         * How t=0 pods find nodes: `hash` spreads them by a hash of the service (stable, ignores
         * requests); `requests` schedules them like kube-scheduler by their requests (app +
         * sidecar), DaemonSets reserved, Pending when nothing fits. `autoscale` implies `requests`.
         */
        placement: z.enum(['hash', 'requests']).optional(),
        /**
         * Cluster autoscaling: the node count starts at what the pods' requests need (at least
         * `min`, at most `max`), new nodes (shaped like the first) join `provisioningDelay` after
         * pods go Pending, and idle ones leave.
         */
        autoscale: z
          .strictObject({
            min: z.number().int().nonnegative().default(1),
            max: z.number().int().positive(),
            provisioningDelay: duration().prefault('60s'),
          })
          .refine((a) => a.min <= a.max, { message: 'min must be at most max', path: ['min'] })
          .optional(),
      })
      .prefault({}),
    services: z
      .array(serviceSchema)
      .default([])
      .superRefine((services, ctx) => {
        let pods = 0;
        for (const svc of services) pods += svc.versions ? svc.versions.reduce((n, v) => n + v.replicas, 0) : (svc.replicas ?? 1);
        // One service over the limit already has its own error.
        const each = services.every((svc) => (svc.replicas ?? 0) <= MAX_PODS && (svc.versions ?? []).every((v) => v.replicas <= MAX_PODS));
        if (each && pods > MAX_PODS)
          ctx.addIssue({
            code: 'custom',
            message: `${pods} pods in all: at most ${MAX_PODS} (the most pods a Kubernetes cluster supports)`,
          });
      }),
    /** Hosts outside the cluster the services call (calls[].host), with how they answer. */
    external: z.array(externalSchema).default([]),
    istio: z.string().optional(),
    istioFiles: z.array(z.string()).default([]),
    /** Each mesh's own YAML side by side; only the running mode's kinds apply (the others are warned about). */
    linkerd: z.string().optional(),
    cilium: z.string().optional(),
    appmesh: z.string().optional(),
    workload: z.array(workloadSchema).min(1, 'a scenario needs at least one workload'),
    faults: z.array(faultSchema).default([]),
    slo: sloSchema.optional(),
    /** Prices for the monthly cost; defaults come from the cost profile (GKE Autopilot list prices). */
    cost: z
      .strictObject({
        vcpuHourUsd: z.number().nonnegative().optional(),
        gibHourUsd: z.number().nonnegative().optional(),
        /** Price of a node's allocatable vCPU and GiB per hour (node cost, whatever the pods use). */
        nodeVcpuHourUsd: z.number().nonnegative().optional(),
        nodeGibHourUsd: z.number().nonnegative().optional(),
        /** Price of one GB carried between zones (request + response bytes of cross-zone calls). */
        crossZoneGbUsd: z.number().nonnegative().optional(),
      })
      .optional(),
  }),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioDoc = z.output<typeof scenarioSchema>;
export type ServiceDoc = ScenarioDoc['spec']['services'][number];
export type WorkloadDoc = ScenarioDoc['spec']['workload'][number];
export type FaultDoc = ScenarioDoc['spec']['faults'][number];
export type CallDoc = ServiceDoc['calls'][number];
export type { Distribution } from '../kernel/distributions.js';
