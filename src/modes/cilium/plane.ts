/**
 * Mode `cilium`: no sidecars. Calls take the connection-pinned path of mode `none` — Cilium's
 * kube-proxy replacement picks a backend at connect() (socket LB, random by default), so
 * balancing is per connection (https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/) —
 * with the kernel datapath on each node (eBPF policy lookup, WireGuard/IPsec between nodes) and,
 * only where a CiliumNetworkPolicy has L7 rules for the pair, the node's shared Envoy
 * (cilium-envoy DaemonSet): the client node's for egress rules, the server node's for ingress
 * rules (https://docs.cilium.io/en/stable/security/network/proxy/envoy/).
 *
 * Denials (policy/cilium/network-policy.ts): L3/L4 → packets dropped, the connect never completes
 * and the client gives up after its own timeout; L7 → the node Envoy answers 403.
 * Same-node traffic is never encrypted (policy/cilium/encryption.ts).
 */
import type { AppCall } from '../../world/call.js';
import type { Caller, NodeRt, PodRt } from '../../world/entities.js';
import { DirectPlane } from '../../dataplane/direct.js';
import { DEFAULT_CONNECT_TIMEOUT_US, type PlaneDeps } from '../../dataplane/plane.js';
import { Proxy } from '../../dataplane/proxy.js';
import type { ProxyCosts } from '../../config/profile.js';
import type { Connection } from '../../dataplane/connections.js';
import { decideCilium, type CiliumEndpointRef, type CiliumPolicy, type CiliumRequest } from '../../policy/cilium/network-policy.js';
import type { CiliumEncryption, EncryptionCosts } from '../../policy/cilium/encryption.js';

export interface CiliumCosts {
  datapath: { cpuPerRequestUs: number; latencyUs: number };
  envoy: ProxyCosts;
  encryption: CiliumEncryption;
  wire?: EncryptionCosts;
}

/** The kernel's share of a request on one node, as a station that never queues. */
const KERNEL_WORKERS = 1e9;

interface PairPath {
  l4Dropped: boolean;
  out: readonly Proxy[];
  inb: readonly Proxy[];
}

export class CiliumPlane extends DirectPlane {
  readonly envoys = new Map<NodeRt, Proxy>();
  private readonly kernel = new Map<NodeRt, { plain: Proxy; encrypted: Proxy }>();
  private readonly paths = new Map<Caller, Map<PodRt, PairPath>>();
  readonly stats = { dropped: 0, l7Denied: 0, l7Requests: 0 };

  constructor(
    deps: PlaneDeps,
    private readonly costs: CiliumCosts,
    private readonly policies: readonly CiliumPolicy[],
    nodes: readonly NodeRt[],
  ) {
    super(deps);
    for (const n of nodes) {
      this.envoys.set(n, new Proxy('cilium-envoy', `cilium-envoy-${n.model.name}`, n, costs.envoy, this.sim));
      this.kernel.set(n, { plain: this.kernelStation(n, false), encrypted: this.kernelStation(n, true) });
    }
  }

  /** Per-node kernel work: half the datapath cost on each side; WireGuard/IPsec adds per-KB and per-packet CPU and latency. */
  private kernelStation(n: NodeRt, encrypted: boolean): Proxy {
    const d = this.costs.datapath;
    const w = encrypted && this.costs.encryption !== 'disabled' ? this.costs.wire : undefined;
    const perKB = w ? w.cpuPerKBUs + (w.cpuPerPacketUs * 1000) / w.mtuBytes : 0;
    const costs: ProxyCosts = {
      ...this.costs.envoy,
      workers: KERNEL_WORKERS,
      requestLegCpuUs: d.cpuPerRequestUs / 4,
      responseLegCpuUs: d.cpuPerRequestUs / 4,
      telemetryCpuUs: 0,
      cpuPerKBUs: perKB,
      fixedLatencyUs: d.latencyUs / 2 + (w ? w.latencyUs : 0),
      baseMemoryMB: 0,
      memPerConnectionKB: 0,
    };
    return new Proxy('cilium-datapath', `cilium-datapath-${n.model.name}${encrypted ? '-encrypted' : ''}`, n, costs, this.sim);
  }

  /** Cilium sees the caller as an endpoint with its pod labels (workload clients: their service account). */
  private endpointOf(c: Caller): CiliumEndpointRef {
    const pod = c as Partial<PodRt>;
    const labels = pod.version ? pod.version.labels : { 'io.cilium.k8s.policy.serviceaccount': c.serviceAccount };
    // An external host (spec.external) is outside the cluster: Cilium's `world` entity.
    return { namespace: c.namespace, labels, inCluster: pod.service?.model.external === undefined };
  }

  private request(call: AppCall | undefined, caller: Caller, pod: PodRt): CiliumRequest {
    return {
      src: this.endpointOf(caller),
      dst: this.endpointOf(pod),
      port: pod.service.model.port,
      method: call?.req.method ?? 'GET',
      path: call?.req.path ?? '/',
      host: pod.service.model.fqdn,
      ...(call ? { headers: call.req.headers } : {}),
    };
  }

  private path(caller: Caller, pod: PodRt): PairPath {
    let byPod = this.paths.get(caller);
    if (!byPod) this.paths.set(caller, (byPod = new Map()));
    let p = byPod.get(pod);
    if (!p) {
      const v = decideCilium(this.policies, this.request(undefined, caller, pod));
      const l7Egress = v.verdict === 'forwarded' ? v.l7Egress === true : v.verdict === 'l7-denied' && v.direction === 'egress';
      const l7Ingress = v.verdict === 'forwarded' ? v.l7Ingress === true : v.verdict === 'l7-denied' && v.direction === 'ingress';
      // An external host's node is no cluster node: no datapath on its side, and no node-to-node encryption.
      const kd = this.kernel.get(pod.node);
      const crossNode = kd !== undefined && caller.node !== pod.node;
      const ks = this.kernel.get(caller.node) as { plain: Proxy; encrypted: Proxy };
      const src = crossNode ? ks.encrypted : ks.plain;
      const dst = kd && (crossNode ? kd.encrypted : kd.plain);
      p = {
        l4Dropped: v.verdict === 'dropped',
        out: l7Egress ? [this.envoys.get(caller.node) as Proxy, src] : [src],
        inb: !dst ? [] : l7Ingress ? [dst, this.envoys.get(pod.node) as Proxy] : [dst],
      };
      byPod.set(pod, p);
    }
    return p;
  }

  protected override outbound(caller: Caller, pod: PodRt): readonly Proxy[] {
    return this.path(caller, pod).out;
  }

  protected override inbound(caller: Caller, pod: PodRt): readonly Proxy[] {
    return this.path(caller, pod).inb;
  }

  /** L3/L4 denial: the SYN is dropped, nothing answers; the caller's connect times out. */
  protected override connect(caller: Caller, pod: PodRt, conn: Connection<unknown>, then: (ok: boolean) => void): void {
    if (this.path(caller, pod).l4Dropped) {
      this.stats.dropped++;
      this.sim.schedule(DEFAULT_CONNECT_TIMEOUT_US, () => then(false), undefined);
      return;
    }
    super.connect(caller, pod, conn, then);
  }

  /** L7 denial: the node Envoy's cilium.l7policy filter answers 403. */
  protected override inboundStatus(call: AppCall, pod: PodRt, _mtls: boolean): number | undefined {
    const p = this.path(call.caller, pod);
    if (p.out.length === 1 && p.inb.length === 1) return undefined;
    this.stats.l7Requests++;
    const v = decideCilium(this.policies, this.request(call, call.caller, pod));
    if (v.verdict !== 'l7-denied') return undefined;
    this.stats.l7Denied++;
    return 403;
  }

  /** Kernel CPU spent by the datapath and encryption on every node (µs), charged to cilium-agent. */
  kernelCpuUs(): number {
    let us = 0;
    for (const k of this.kernel.values()) us += k.plain.cpuUsedUs + k.encrypted.cpuUsedUs;
    return us;
  }
}
