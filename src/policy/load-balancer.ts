/**
 * Envoy's load balancers as Istio configures them (istio/istio pilot/pkg/networking/core/
 * cluster_traffic_policy.go, releasenotes/notes/new_lb_algorithm_default.yaml; Envoy
 * docs/root/intro/arch_overview/upstream/load_balancing/load_balancers.rst):
 * LEAST_REQUEST (Istio's default since 1.14; P2C with equal weights), ROUND_ROBIN, RANDOM, and
 * consistent hashing on a ring (RING_HASH, minimum ring size 1024) over a header, cookie, source IP
 * or query parameter. A missing hash key falls back to a random host, as Envoy does.
 */
import type { Uniform } from '../kernel/random.js';
import { fnv1a, mix32 } from '../kernel/hash.js';

export type LbKind = 'LEAST_REQUEST' | 'ROUND_ROBIN' | 'RANDOM' | 'RING_HASH';

const MIN_RING_SIZE = 1024;

export class LoadBalancer<H extends { name: string }> {
  private rr = 0;
  private ring?: { key: string; points: Uint32Array; hosts: H[] };

  constructor(
    readonly kind: LbKind,
    private readonly u: Uniform,
  ) {}

  /** Picks a host from `hosts` (non-empty); `active` gives outstanding requests per host. */
  pick(hosts: readonly H[], active: (h: H) => number, hashKey?: string): H {
    const n = hosts.length;
    if (n === 1) return hosts[0]!;
    // Istio's default first, on its own: the per-request path V8 inlines stays small.
    if (this.kind === 'LEAST_REQUEST') {
      // Power of two choices: two random picks, fewer outstanding requests wins (first on ties).
      const a = hosts[Math.floor(this.u() * n)]!;
      const b = hosts[Math.floor(this.u() * n)]!;
      return active(b) < active(a) ? b : a;
    }
    return this.pickOther(hosts, n, hashKey);
  }

  private pickOther(hosts: readonly H[], n: number, hashKey: string | undefined): H {
    switch (this.kind) {
      case 'ROUND_ROBIN':
        return hosts[this.rr++ % n]!;
      case 'RING_HASH':
        return hashKey === undefined ? hosts[Math.floor(this.u() * n)]! : this.onRing(hosts, hashKey);
      default: // RANDOM
        return hosts[Math.floor(this.u() * n)]!;
    }
  }

  private onRing(hosts: readonly H[], key: string): H {
    const id = hosts.map((h) => h.name).join('\u0000');
    if (this.ring?.key !== id) {
      const per = Math.ceil(MIN_RING_SIZE / hosts.length);
      const entries: { hash: number; host: number }[] = [];
      hosts.forEach((h, i) => {
        for (let r = 0; r < per; r++) entries.push({ hash: mix32(fnv1a(`${h.name}_${r}`)), host: i });
      });
      entries.sort((x, y) => x.hash - y.hash || x.host - y.host);
      this.ring = { key: id, points: Uint32Array.from(entries.map((e) => e.hash)), hosts: entries.map((e) => hosts[e.host]!) };
    }
    const ring = this.ring;
    const h = mix32(fnv1a(key));
    let lo = 0;
    let hi = ring.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ring.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return ring.hosts[lo % ring.hosts.length]!;
  }
}
