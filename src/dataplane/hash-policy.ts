/**
 * The hash key of a request for consistent-hash load balancing, from the DestinationRule's
 * loadBalancer.consistentHash (Istio turns it into the route's hash_policy: header, cookie, source
 * IP or query parameter; https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings-ConsistentHashLB).
 */
import type { LoadBalancerSettings } from '../config/istio/networking-schemas.js';
import type { AppCall } from '../world/call.js';

/** The key to hash, or undefined (no consistent hash configured, or the request lacks the header/cookie/parameter). */
export function hashKey(lb: LoadBalancerSettings | undefined, call: AppCall): string | undefined {
  const ch = lb?.consistentHash;
  if (!ch) return undefined;
  const headers = call.req.headers;
  const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (ch.httpHeaderName) return header(ch.httpHeaderName);
  if (ch.httpCookie)
    return header('cookie')
      ?.split(';')
      .map((c) => c.trim().split('='))
      .find(([k]) => k === ch.httpCookie?.name)?.[1];
  if (ch.useSourceIp) return call.caller.name; // the caller pod stands for its IP
  if (ch.httpQueryParameterName) {
    const q = call.req.path.split('?')[1] ?? '';
    return q
      .split('&')
      .map((kv) => kv.split('='))
      .find(([k]) => k === ch.httpQueryParameterName)?.[1];
  }
  return undefined;
}
