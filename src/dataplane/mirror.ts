/**
 * Request mirroring (VirtualService `mirror`/`mirrors`, Envoy's request_mirror_policies): for the
 * chosen share of requests the client proxy sends a copy to the mirror cluster, fire and forget.
 * The copy goes through the mirror cluster's load balancer, connection pool, circuit breakers and
 * outlier detector like any request, without retries, under the route's timeout; its Host gets the
 * `-shadow` suffix; its answer is dropped, so it adds load on the mirror target (and on whatever
 * that calls) but neither latency nor failures for the caller. Envoy
 * source/common/router/shadow_writer_impl.cc (ShadowWriterImpl::shadow, async client, isShadow),
 * source/common/router/router.cc (shadow streams start with the request and are never awaited);
 * Istio https://istio.io/latest/docs/tasks/traffic-management/mirroring/.
 */
import type { MirrorTarget } from '../policy/mesh-policy.js';
import { withRequest, type AppCall } from '../world/call.js';
import type { ServiceRt } from '../world/entities.js';

/** One copy to send: the shadow call and where it goes. */
export interface Shadow {
  call: AppCall;
  service: ServiceRt;
  target: MirrorTarget;
}

/**
 * The copies of `forwarded` (the request as the upstream receives it) a route's mirrors ask for.
 * `draw` is a uniform draw, made only for percentages below 100.
 */
export function shadowsOf(
  mirrors: readonly MirrorTarget[],
  forwarded: AppCall,
  services: (key: string) => ServiceRt | undefined,
  draw: () => number,
): Shadow[] {
  const out: Shadow[] = [];
  for (const m of mirrors) {
    if (m.percent < 100 && draw() * 100 >= m.percent) continue;
    const svc = m.service !== undefined ? services(m.service) : undefined;
    if (!svc) continue; // an unknown mirror host: Envoy has no such cluster and sends nothing
    const host = forwarded.req.authority ?? forwarded.service.model.name;
    const call: AppCall = { ...withRequest(forwarded, { ...forwarded.req, authority: `${host}-shadow` }, svc), shadow: true };
    out.push({ call, service: svc, target: m });
  }
  return out;
}
