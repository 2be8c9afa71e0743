/**
 * The security configuration proxies enforce, compiled from PeerAuthentication and
 * AuthorizationPolicy: the mTLS mode of each workload, and the authorization decision a sidecar
 * (L7), a waypoint (L7, targetRef policies) or a ztunnel (L4 only) makes for a request.
 * Engines: peer-authentication.ts, authorization.ts (sources named there).
 */
import type { IstioConfig } from '../config/istio/resources.js';
import {
  authorizeHttp,
  customProvider,
  authorizeZtunnel,
  projectToZtunnel,
  selectAuthorizationPolicies,
  selectWaypointPolicies,
  selectZtunnelPolicies,
  type AuthorizationPolicy,
  type AuthzDecision,
  type HttpRequestAttributes,
  type L4Attributes,
  type ZtunnelPolicy,
} from './authorization.js';
import { authenticate, NOT_AUTHENTICATED, rulesForWaypoint, rulesForWorkload, type AuthnResult } from './request-authentication.js';
import type { JwtRule, RequestAuthenticationSpec } from '../config/istio/authn-schemas.js';
import type { IstioResource } from '../config/istio/resources.js';
import type { JwtToken } from '../config/model.js';
import { effectiveMtlsMode, type EffectiveMtlsMode, type PeerAuthenticationPolicy, type WorkloadIdentity } from './peer-authentication.js';

export const TRUST_DOMAIN = 'cluster.local';

/** SPIFFE identity without the `spiffe://` prefix, as AuthorizationPolicy principals write it. */
export const principalOf = (namespace: string, serviceAccount: string) => `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;

const ALLOWED: AuthzDecision = { allowed: true, audited: false };

export class SecurityPolicy {
  private readonly peerAuthn: PeerAuthenticationPolicy[];
  private readonly authz: AuthorizationPolicy[];
  private readonly ztunnel: ZtunnelPolicy[];
  private readonly modeCache = new Map<string, EffectiveMtlsMode>();
  private readonly requestAuthns: readonly IstioResource<RequestAuthenticationSpec>[];
  private readonly jwtRuleCache = new Map<string, JwtRule[]>();

  /** ext_authz providers istiod can build (meshConfig.extensionProviders whose service exists). */
  private readonly providers: ReadonlySet<string>;

  constructor(config: IstioConfig, providers: readonly string[] = []) {
    this.providers = new Set(providers);
    const byAge = <T extends { order: number }>(xs: T[]) => [...xs].sort((a, b) => a.order - b.order);
    this.peerAuthn = byAge(config.peerAuthentications).map((r) => ({ name: r.name, namespace: r.namespace, spec: r.spec }));
    this.authz = byAge(config.authorizationPolicies).map((r) => ({
      name: r.name,
      namespace: r.namespace,
      spec: r.spec,
    }));
    this.ztunnel = projectToZtunnel(this.authz).policies;
    this.requestAuthns = config.requestAuthentications;
  }

  get hasRequestAuthn(): boolean {
    return this.requestAuthns.length > 0;
  }

  /** The sidecar's jwt_authn verdict on a request's token (request-authentication.ts). */
  authnAtSidecar(w: WorkloadIdentity & { key: string }, token: JwtToken | undefined): AuthnResult {
    if (this.requestAuthns.length === 0 || token === undefined) return NOT_AUTHENTICATED;
    let rules = this.jwtRuleCache.get(w.key);
    if (!rules) this.jwtRuleCache.set(w.key, (rules = rulesForWorkload(this.requestAuthns, w)));
    return authenticate(rules, token);
  }

  /** A waypoint's jwt_authn verdict: RequestAuthentications bound to it or to the service by targetRefs. */
  authnAtWaypoint(
    waypoint: { name: string; namespace: string },
    service: { name: string; namespace: string },
    token: JwtToken | undefined,
  ): AuthnResult {
    if (this.requestAuthns.length === 0 || token === undefined) return NOT_AUTHENTICATED;
    return authenticate(rulesForWaypoint(this.requestAuthns, waypoint, service), token);
  }

  get hasAuthz(): boolean {
    return this.authz.length > 0;
  }

  /** The workload's mTLS mode on `port` (PERMISSIVE when no policy applies). */
  mtlsMode(w: WorkloadIdentity & { key: string }, port: number): EffectiveMtlsMode {
    const k = `${w.key}:${port}`;
    let m = this.modeCache.get(k);
    if (!m) this.modeCache.set(k, (m = effectiveMtlsMode(this.peerAuthn, w, port)));
    return m;
  }

  /** A sidecar's decision for an HTTP request to its workload. */
  atSidecar(w: WorkloadIdentity, req: HttpRequestAttributes): AuthzDecision {
    if (this.authz.length === 0) return ALLOWED;
    return authorizeHttp(selectAuthorizationPolicies(this.authz, w), req, this.providers);
  }

  /** The ext_authz provider a sidecar must consult for this request (a CUSTOM policy matched), if any. */
  customAtSidecar(w: WorkloadIdentity, req: HttpRequestAttributes): string | undefined {
    if (this.authz.length === 0 || this.providers.size === 0) return undefined;
    return customProvider(selectAuthorizationPolicies(this.authz, w), req, this.providers);
  }

  /** A waypoint's decision for an HTTP request to `service` (policies bound by targetRefs). */
  atWaypoint(
    waypoint: { name: string; namespace: string },
    service: { name: string; namespace: string },
    req: HttpRequestAttributes,
  ): AuthzDecision {
    if (this.authz.length === 0) return ALLOWED;
    return authorizeHttp(selectWaypointPolicies(this.authz, waypoint, service), req, this.providers);
  }

  /**
   * The ext_authz provider a waypoint must consult for a request to `service`: a CUSTOM policy bound
   * to the waypoint or to the service by targetRefs whose rules match (selector policies never reach
   * a waypoint, and ztunnel does not support CUSTOM: projectToZtunnel warns).
   */
  customAtWaypoint(
    waypoint: { name: string; namespace: string },
    service: { name: string; namespace: string },
    req: HttpRequestAttributes,
  ): string | undefined {
    if (this.authz.length === 0 || this.providers.size === 0) return undefined;
    return customProvider(selectWaypointPolicies(this.authz, waypoint, service), req, this.providers);
  }

  /** The destination ztunnel's L4 decision for a connection to the workload. */
  atZtunnel(w: WorkloadIdentity, conn: L4Attributes): AuthzDecision {
    if (this.ztunnel.length === 0) return ALLOWED;
    return authorizeZtunnel(selectZtunnelPolicies(this.ztunnel, w), conn);
  }
}
