/**
 * Traffic between zones: every request a pod answered (each attempt, retries included: each one
 * crossed the network) whose caller runs in another zone, with the request and response bytes it
 * carried. Cloud providers bill that transfer per GB (profile `prices.crossZoneGbUsd`).
 * The hop counted is caller node → serving pod node; a waypoint or ingress in between is not
 * counted as its own hop.
 */
export class CrossZoneTraffic {
  /** Requests answered by a pod, and those whose caller was in another zone. */
  requests = 0;
  crossRequests = 0;
  crossBytes = 0;

  record(crossed: boolean, bytes: number): void {
    this.requests++;
    if (!crossed) return;
    this.crossRequests++;
    this.crossBytes += bytes;
  }
}
