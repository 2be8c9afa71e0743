/**
 * What a Linkerd client proxy does with a request to a Service, compiled from the Linkerd
 * configuration users apply (linkerd/linkerd2 policy-controller/k8s/index/src/outbound/index.rs and
 * policy-controller/grpc/src/outbound/http.rs):
 *
 * - routes: Gateway API / policy.linkerd.io HTTPRoutes and GRPCRoutes whose parentRef is the Service
 *   (GAMMA). A request matches at most one route, by Gateway API precedence; when routes exist and
 *   none matches, the proxy answers 404. Without routes, the Service itself is the default route.
 * - backends: a rule's backendRefs with their weights (weighted random per request among available
 *   backends, `RandomAvailable`); none: the parent Service.
 * - timeouts: `timeout.linkerd.io/*` on the route, else on the Service; HTTPRoute `timeouts.request`
 *   when no request annotation is set; `timeouts.backendRequest` bounds each attempt.
 * - retries: `retry.linkerd.io/*` on the route, else on the Service (limit default 1, back-off 25 ms
 *   → 250 ms with jitter 1.0). A ServiceProfile for the Service replaces all of that (and failure
 *   accrual) with its own routes, response classes, timeouts and retry budget
 *   (https://linkerd.io/2.18/reference/retries/, /2-edge/reference/circuit-breaking/).
 * - failure accrual: `balancer.linkerd.io/failure-accrual` on the Service.
 */
import type { ServiceModel } from '../../config/model.js';
import { httpMatches, isServiceParent, type BackendRef, type HttpRouteMatch } from '../../config/gateway-api/routes.js';
import { mergeRouteAnnotations, statusRetryable, type LinkerdAnnotations, type StatusRanges } from '../../config/linkerd/annotations.js';
import { effectiveRetryBudget, isFailure, requestMatches, type ServiceProfileSpec } from '../../config/linkerd/service-profile.js';
import type { MeshResource, MeshResources } from '../../config/mesh-kinds.js';
import type { FailureAccrualConfig } from './failure-accrual.js';
import type { RetryBudgetConfig } from './retry-budget.js';

/** linkerd2 policy-controller grpc/src/outbound/http.rs: exponential back-off 25 ms → 250 ms, jitter 1.0. */
export const ROUTE_RETRY_BACKOFF = { minUs: 25_000, maxUs: 250_000, jitter: 1.0 } as const;

export interface LinkerdBackend {
  /** Service key (ServiceModel.key). */
  service: string;
  weight: number;
}

export type LinkerdRetry =
  | { kind: 'route'; statuses: StatusRanges | undefined; limit: number; perAttemptTimeoutUs?: number }
  | { kind: 'budget'; budget: RetryBudgetConfig };

export interface LinkerdRoute {
  name: string;
  backends: LinkerdBackend[];
  requestTimeoutUs?: number;
  responseTimeoutUs?: number;
  perAttemptTimeoutUs?: number;
  retry?: LinkerdRetry;
  /** Whether `status` is a failure (ServiceProfile response classes, else 5xx). */
  isFailure: (status: number) => boolean;
  /** Is this failed attempt retryable under the route's policy? */
  retryable: (status: number) => boolean;
}

export interface LinkerdServicePolicy {
  failureAccrual?: FailureAccrualConfig;
  /** The profile (one budget per profile per client proxy), when a ServiceProfile applies. */
  profile?: string;
  route(req: { method: string; path: string; headers?: Readonly<Record<string, string>> }): LinkerdRoute | undefined;
}

interface CompiledRule {
  route: MeshResource<unknown>;
  ruleIndex: number;
  matches: HttpRouteMatch[];
  backends: BackendRef[];
  timeouts?: { request?: number; backendRequest?: number };
  annotations?: LinkerdAnnotations;
}

const defaultFailure = (s: number) => s === 0 || (s >= 500 && s <= 599);

/** Gateway API precedence of one match (larger wins): exact path, longer prefix, method, headers, query. */
function precedence(m: HttpRouteMatch): number[] {
  const p = m.path;
  const type = p?.type === 'Exact' ? 3 : p?.type === 'PathPrefix' ? 2 : p ? 1 : 0;
  return [type, p?.value.length ?? 0, m.method ? 1 : 0, m.headers?.length ?? 0, m.queryParams?.length ?? 0];
}
const cmp = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i]! !== b[i]!) return b[i]! - a[i]!;
  return 0;
};

export class LinkerdClientPolicy {
  private readonly byService = new Map<string, LinkerdServicePolicy>();
  /** Non-fatal findings (resource, message) for run-time warnings. */
  readonly warnings: { resource: MeshResource<unknown>; message: string }[] = [];

  constructor(resources: MeshResources, services: readonly ServiceModel[]) {
    const keyOf = (name: string, ns: string) => services.find((s) => s.name === name && s.namespace === ns)?.key;
    for (const svc of services) {
      const profile = resources.linkerdServiceProfiles.find((p) => p.name === svc.fqdn && p.namespace === svc.namespace);
      const annotations = resources.linkerdServiceAnnotations.find((a) => a.name === svc.name && a.namespace === svc.namespace)?.spec ?? {};
      const rules = this.rulesFor(resources, svc);
      for (const r of rules)
        for (const b of r.backends) {
          if (b.kind !== undefined && b.kind !== 'Service')
            this.warnings.push({ resource: r.route, message: `backendRef kind ${b.kind} is not simulated; only Services` });
          else if (!keyOf(b.name, b.namespace ?? r.route.namespace))
            this.warnings.push({ resource: r.route, message: `backendRef ${b.name} names no service of the scenario; it gets no traffic` });
        }
      const backendsOf = (r: CompiledRule): LinkerdBackend[] => {
        const list = r.backends
          .filter((b) => (b.kind === undefined || b.kind === 'Service') && b.weight > 0)
          .flatMap((b) => {
            const service = keyOf(b.name, b.namespace ?? r.route.namespace);
            return service === undefined ? [] : [{ service, weight: b.weight }];
          });
        return list.length ? list : [{ service: svc.key, weight: 1 }];
      };
      if (profile) this.byService.set(svc.key, this.profilePolicy(svc, profile, rules, backendsOf));
      else this.byService.set(svc.key, this.routePolicy(svc, annotations, rules, backendsOf));
    }
  }

  forService(key: string): LinkerdServicePolicy | undefined {
    return this.byService.get(key);
  }

  private rulesFor(resources: MeshResources, svc: ServiceModel): CompiledRule[] {
    const out: CompiledRule[] = [];
    const attached = (
      r: MeshResource<{ parentRefs: { group?: string; kind?: string; name: string; namespace?: string; port?: number }[] }>,
    ) =>
      r.spec.parentRefs.some(
        (p) =>
          isServiceParent(p) &&
          p.name === svc.name &&
          (p.namespace ?? r.namespace) === svc.namespace &&
          (p.port === undefined || p.port === svc.port),
      );
    for (const r of resources.httpRoutes) {
      if (!attached(r)) continue;
      r.spec.rules.forEach((rule, i) => {
        if (rule.retry)
          this.warnings.push({
            resource: r,
            message: `rules[${i}].retry (GEP-1731) is not read by Linkerd; use the retry.linkerd.io/* annotations`,
          });
        out.push({
          route: r,
          ruleIndex: i,
          matches: rule.matches,
          backends: rule.backendRefs,
          timeouts: rule.timeouts,
          annotations: r.linkerd,
        });
      });
    }
    for (const r of resources.grpcRoutes) {
      if (!attached(r)) continue;
      r.spec.rules.forEach((rule, i) => {
        // gRPC requests are POST /<service>/<method>.
        const matches: HttpRouteMatch[] = rule.matches.length
          ? rule.matches.map((m) => ({
              method: 'POST' as const,
              path:
                m.method?.type === 'RegularExpression'
                  ? { type: 'RegularExpression' as const, value: `/${m.method.service ?? '[^/]+'}/${m.method.method ?? '[^/]+'}` }
                  : m.method?.method !== undefined && m.method.service !== undefined
                    ? { type: 'Exact' as const, value: `/${m.method.service}/${m.method.method}` }
                    : { type: 'PathPrefix' as const, value: m.method?.service !== undefined ? `/${m.method.service}` : '/' },
              headers: m.headers,
            }))
          : [{ path: { type: 'PathPrefix', value: '/' } }];
        out.push({ route: r, ruleIndex: i, matches, backends: rule.backendRefs, annotations: r.linkerd });
      });
    }
    return out;
  }

  /** Policy routes (HTTPRoute/GRPCRoute + annotations), or the Service as the default route. */
  private routePolicy(
    svc: ServiceModel,
    svcAnn: LinkerdAnnotations,
    rules: CompiledRule[],
    backendsOf: (r: CompiledRule) => LinkerdBackend[],
  ): LinkerdServicePolicy {
    const build = (
      name: string,
      ann: LinkerdAnnotations,
      backends: LinkerdBackend[],
      timeouts?: CompiledRule['timeouts'],
    ): LinkerdRoute => {
      const retry = ann.retry;
      const requestTimeoutUs = ann.timeouts?.requestUs ?? timeouts?.request;
      const perAttemptTimeoutUs = retry?.timeoutUs ?? timeouts?.backendRequest;
      return {
        name,
        backends,
        ...(requestTimeoutUs ? { requestTimeoutUs } : {}),
        ...(ann.timeouts?.responseUs ? { responseTimeoutUs: ann.timeouts.responseUs } : {}),
        ...(perAttemptTimeoutUs ? { perAttemptTimeoutUs } : {}),
        ...(retry
          ? {
              retry: {
                kind: 'route' as const,
                statuses: retry.http,
                limit: retry.limit,
                ...(retry.timeoutUs ? { perAttemptTimeoutUs: retry.timeoutUs } : {}),
              },
            }
          : {}),
        isFailure: defaultFailure,
        retryable: (status) => retry !== undefined && status !== 0 && statusRetryable(retry.http, status),
      };
    };
    const failureAccrual = svcAnn.failureAccrual
      ? {
          maxFailures: svcAnn.failureAccrual.maxFailures,
          minPenaltyUs: svcAnn.failureAccrual.minPenaltyUs,
          maxPenaltyUs: svcAnn.failureAccrual.maxPenaltyUs,
          jitterRatio: svcAnn.failureAccrual.jitterRatio,
        }
      : undefined;
    if (rules.length === 0) {
      const route = build('default', svcAnn, [{ service: svc.key, weight: 1 }]);
      return { ...(failureAccrual ? { failureAccrual } : {}), route: () => route };
    }
    const compiled = rules.map((r) => ({
      rule: r,
      route: build(
        `${r.route.kind}/${r.route.name}#${r.ruleIndex}`,
        mergeRouteAnnotations(svcAnn, r.annotations ?? {}),
        backendsOf(r),
        r.timeouts,
      ),
    }));
    return {
      ...(failureAccrual ? { failureAccrual } : {}),
      route: (req) => {
        let best: { route: LinkerdRoute; prec: number[]; order: number } | undefined;
        for (const c of compiled)
          for (const m of c.rule.matches) {
            if (!httpMatches(m, req)) continue;
            const prec = precedence(m);
            if (!best || cmp(prec, best.prec) < 0 || (cmp(prec, best.prec) === 0 && c.rule.route.order < best.order))
              best = { route: c.route, prec, order: c.rule.route.order };
          }
        return best?.route;
      },
    };
  }

  /** ServiceProfile: its routes (first match), response classes, timeouts and retry budget; no accrual. */
  private profilePolicy(
    svc: ServiceModel,
    profile: MeshResource<ServiceProfileSpec>,
    rules: CompiledRule[],
    backendsOf: (r: CompiledRule) => LinkerdBackend[],
  ): LinkerdServicePolicy {
    const spec = profile.spec;
    const budget = effectiveRetryBudget(spec);
    // Traffic split under a profile: dstOverrides (authorities → services), else HTTPRoute backends.
    const overrides = (spec.dstOverrides ?? [])
      .map((o) => ({ service: svc.key, authority: o.authority.split(':')[0]!, weight: o.weight }))
      .map((o) => ({ ...o, service: o.authority.split('.')[0]! }))
      .filter((o) => o.weight > 0);
    const firstRule = rules[0];
    const backends = overrides.length
      ? overrides.map(({ service, weight }) => ({ service, weight }))
      : firstRule
        ? backendsOf(firstRule)
        : [{ service: svc.key, weight: 1 }];
    const routes: LinkerdRoute[] = spec.routes.map((r) => ({
      name: r.name,
      backends,
      ...(r.timeout ? { requestTimeoutUs: r.timeout } : {}),
      ...(r.isRetryable ? { retry: { kind: 'budget' as const, budget } } : {}),
      isFailure: (status) => status === 0 || isFailure(r.responseClasses, status),
      // Only responses classified as failures are retried; transport errors are not (retry.rs).
      retryable: (status) => r.isRetryable && status !== 0 && isFailure(r.responseClasses, status),
    }));
    const fallback: LinkerdRoute = { name: 'default', backends, isFailure: defaultFailure, retryable: () => false };
    return {
      profile: `${profile.namespace}/${profile.name}`,
      route: (req) => {
        const i = spec.routes.findIndex((r) => requestMatches(r.condition, req));
        return i >= 0 ? routes[i] : fallback;
      },
    };
  }
}
