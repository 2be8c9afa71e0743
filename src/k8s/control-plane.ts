/**
 * istiod's availability. While it is down, proxies keep the config and certificates they have
 * (xDS is push-based; Envoy keeps its last config when the stream drops), so nothing changes for
 * existing traffic; but no change is pushed (endpoints included), a starting sidecar gets no
 * config and never turns ready, and with the injection webhook's failurePolicy: Fail the API server
 * rejects new pods in injected namespaces (ReplicaSets retry). Workload certificates (24 h, renewed
 * at half-life) cannot be renewed; one that expires during the outage breaks mTLS.
 *
 * istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml
 * (failurePolicy: Fail); pilot/cmd/pilot-agent/status/ready/probe.go ("config not received from XDS
 * server"); security/pkg/nodeagent/cache/secretcache.go (rotation).
 */
import type { Simulator } from '../kernel/simulator.js';
import { CERT_RENEW_FRACTION, CERT_TTL_US } from './defaults.js';
import type { EventSink } from './events.js';

export interface ControlPlaneHooks {
  down(): void;
  up(): void;
  /** Certificates issued at `issuedUs` expired with istiod down: mTLS handshakes fail from now. */
  certsExpired(): void;
  /** Certificates were renewed (after an outage): mTLS works again. */
  certsRenewed(): void;
}

export class ControlPlane {
  private upNow = true;
  /** When the proxies' current certificates were issued (all at t=0, renewed together). */
  private issuedUs = 0;
  private expired = false;

  constructor(
    private readonly sim: Simulator,
    private readonly events: EventSink,
    private readonly hooks: ControlPlaneHooks,
    private readonly certTtlUs = CERT_TTL_US,
  ) {
    this.scheduleRenewal();
  }

  get up(): boolean {
    return this.upNow;
  }

  get certsExpired(): boolean {
    return this.expired;
  }

  setDown(): void {
    if (!this.upNow) return;
    this.upNow = false;
    this.events.add('istiod_down', {});
    this.hooks.down();
  }

  setUp(): void {
    if (this.upNow) return;
    this.upNow = true;
    this.events.add('istiod_up', {});
    this.hooks.up();
    // Proxies whose renewal failed get a certificate as soon as the CA answers again.
    if (this.sim.now >= this.issuedUs + this.certTtlUs * CERT_RENEW_FRACTION) this.renew();
  }

  private scheduleRenewal(): void {
    const issued = this.issuedUs;
    this.sim.at(
      issued + this.certTtlUs * CERT_RENEW_FRACTION,
      () => {
        if (this.issuedUs !== issued) return;
        if (this.upNow) this.renew();
      },
      undefined,
    );
    this.sim.at(
      issued + this.certTtlUs,
      () => {
        if (this.issuedUs !== issued || this.expired) return;
        this.expired = true;
        this.events.add('cert_expired', { issued_s: issued / 1e6 });
        this.hooks.certsExpired();
      },
      undefined,
    );
  }

  private renew(): void {
    const wasExpired = this.expired;
    this.issuedUs = this.sim.now;
    this.expired = false;
    if (wasExpired) this.hooks.certsRenewed();
    this.scheduleRenewal();
  }
}
