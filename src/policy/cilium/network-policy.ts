/**
 * Cilium's policy decision for one request between two pods
 * (docs https://docs.cilium.io/en/stable/security/policy/language/, /layer7/, /deny/;
 * the L7 filter cilium/proxy cilium/l7policy.cc).
 *
 * - Direction by direction, an endpoint is default-allow until a rule that selects it has rules in
 *   that direction (or enableDefaultDeny); then only what some rule allows passes.
 * - Deny rules (ingressDeny / egressDeny) win over allow rules.
 * - A matching L3/L4 allow without L7 rules lets the connection through in eBPF; if every matching
 *   allow carries L7 HTTP rules, the connection is redirected to the node's Envoy and each request
 *   is allowed if ANY http rule matches (an empty list allows everything).
 * - Denied at L3/L4: packets are dropped, nothing is answered, the client runs into its own
 *   connect/request timeout (counted in hubble_drop_total{reason="Policy denied"}).
 *   Denied at L7: Envoy answers 403 Forbidden ("Access denied").
 * Ingress rules are enforced on the server's node, egress rules on the client's node.
 */
import { selectorMatches, type LabelSelector } from '../../config/k8s-selectors.js';
import type { CiliumHttpRule, CiliumPortRule, CiliumRule } from '../../config/cilium/network-policy.js';

export interface CiliumEndpointRef {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** false for clients outside the cluster (the `world` entity). */
  inCluster: boolean;
}

export interface CiliumPolicy {
  name: string;
  /** undefined for a CiliumClusterwideNetworkPolicy. */
  namespace?: string;
  rules: CiliumRule[];
}

export interface CiliumRequest {
  src: CiliumEndpointRef;
  dst: CiliumEndpointRef;
  port: number;
  portName?: string;
  method: string;
  path: string;
  host?: string;
  headers?: Readonly<Record<string, string>>;
}

export type CiliumVerdict =
  | { verdict: 'forwarded'; l7: boolean; enforcedBy?: string }
  | { verdict: 'dropped'; direction: 'ingress' | 'egress'; enforcedBy: string }
  | { verdict: 'l7-denied'; direction: 'ingress' | 'egress'; enforcedBy: string };

const NS_LABEL = 'io.kubernetes.pod.namespace';

/** Cilium labels of a pod: its labels, with or without the `k8s:` source prefix, plus its namespace. */
function ciliumLabels(ep: CiliumEndpointRef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.labels)) {
    out[k] = v;
    out[`k8s:${k}`] = v;
    out[`any:${k}`] = v;
  }
  out[NS_LABEL] = ep.namespace;
  out[`k8s:${NS_LABEL}`] = ep.namespace;
  return out;
}

/** A namespaced policy's selectors match only its own namespace unless they name one. */
function peerSelected(sel: LabelSelector, ep: CiliumEndpointRef, policyNs: string | undefined): boolean {
  if (!ep.inCluster) return false;
  const names = Object.keys(sel.matchLabels ?? {}).concat((sel.matchExpressions ?? []).map((e) => e.key));
  const namesNs = names.some((k) => k.endsWith(NS_LABEL));
  if (policyNs !== undefined && !namesNs && ep.namespace !== policyNs) return false;
  return selectorMatches(sel, ciliumLabels(ep));
}

type PeerRule = Record<string, unknown> & { toPorts?: CiliumPortRule[] };

function peerMatches(rule: PeerRule, dir: 'from' | 'to', ep: CiliumEndpointRef, policyNs: string | undefined): boolean {
  const endpoints = rule[`${dir}Endpoints`] as LabelSelector[] | undefined;
  const entities = rule[`${dir}Entities`] as string[] | undefined;
  const cidrs = [
    ...((rule[`${dir}CIDR`] as string[] | undefined) ?? []),
    ...((rule[`${dir}CIDRSet`] as { cidr?: string }[] | undefined) ?? []).map((c) => c.cidr ?? ''),
  ];
  const hasPeer =
    endpoints !== undefined ||
    entities !== undefined ||
    cidrs.length > 0 ||
    rule[`${dir}Nodes`] !== undefined ||
    rule[`${dir}Groups`] !== undefined;
  if (!hasPeer) return true; // a rule naming no peer applies to every peer
  if (endpoints?.some((s) => peerSelected(s, ep, policyNs))) return true;
  if (entities?.some((e) => e === 'all' || (e === 'cluster' && ep.inCluster) || (e === 'world' && !ep.inCluster))) return true;
  // CIDR peers: cluster pods are addressed by identity, not CIDR; 0.0.0.0/0 covers the world.
  if (!ep.inCluster && cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0')) return true;
  return false;
}

/** The port rules of `rule` matching the port: undefined if the rule has no toPorts (all ports). */
function matchingPortRules(rule: PeerRule, port: number, portName?: string): CiliumPortRule[] | undefined | null {
  if (!rule.toPorts) return undefined;
  const hits = rule.toPorts.filter(
    (pr) =>
      !pr.ports ||
      pr.ports.length === 0 ||
      pr.ports.some((p) => {
        if (p.protocol !== 'TCP' && p.protocol !== 'ANY') return false;
        if (p.port === '0' || p.port === '') return true;
        const n = Number(p.port);
        if (Number.isNaN(n)) return p.port === portName;
        return p.endPort !== undefined && p.endPort > n ? port >= n && port <= p.endPort : port === n;
      }),
  );
  return hits.length ? hits : null;
}

const fullMatch = (re: string, s: string) => new RegExp(`^(?:${re})$`).test(s);

export function httpRuleMatches(r: CiliumHttpRule, req: CiliumRequest): boolean {
  if (r.method !== undefined && !fullMatch(r.method, req.method)) return false;
  if (r.path !== undefined && !fullMatch(r.path, req.path)) return false;
  if (r.host !== undefined && !fullMatch(r.host, req.host ?? '')) return false;
  for (const h of r.headers ?? []) {
    const i = h.indexOf(':');
    const name = (i < 0 ? h : h.slice(0, i)).trim().toLowerCase();
    const want = i < 0 ? undefined : h.slice(i + 1).trim();
    const have = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
    if (have === undefined || (want !== undefined && have !== want)) return false;
  }
  return true;
}

function decideDirection(policies: readonly CiliumPolicy[], req: CiliumRequest, dir: 'ingress' | 'egress'): CiliumVerdict {
  const subject = dir === 'ingress' ? req.dst : req.src;
  const peer = dir === 'ingress' ? req.src : req.dst;
  const peerDir = dir === 'ingress' ? 'from' : 'to';
  const denyKey = dir === 'ingress' ? 'ingressDeny' : 'egressDeny';
  let enforced = false;
  const allows: { policy: string; l7: CiliumHttpRule[][] | 'l4' }[] = [];
  for (const pol of policies) {
    for (const rule of pol.rules) {
      if (!rule.endpointSelector) continue;
      if (pol.namespace !== undefined && subject.namespace !== pol.namespace) continue;
      if (!subject.inCluster || !selectorMatches(rule.endpointSelector, ciliumLabels(subject))) continue;
      const allowRules = (rule[dir] ?? []) as PeerRule[];
      const denyRules = (rule[denyKey] ?? []) as PeerRule[];
      const defaultDeny = rule.enableDefaultDeny?.[dir] ?? true;
      if ((rule[dir] !== undefined || rule[denyKey] !== undefined) && defaultDeny) enforced = true;
      for (const d of denyRules) {
        if (peerMatches(d, peerDir, peer, pol.namespace) && matchingPortRules(d, req.port, req.portName) !== null)
          return { verdict: 'dropped', direction: dir, enforcedBy: pol.name };
      }
      for (const a of allowRules) {
        if (!peerMatches(a, peerDir, peer, pol.namespace)) continue;
        const prs = matchingPortRules(a, req.port, req.portName);
        if (prs === null) continue;
        const http = prs?.map((p) => p.rules?.http).filter((h): h is CiliumHttpRule[] => h !== undefined) ?? [];
        allows.push({ policy: pol.name, l7: prs === undefined || http.length < prs.length ? 'l4' : http });
      }
    }
  }
  if (!enforced) return { verdict: 'forwarded', l7: false };
  if (allows.length === 0) return { verdict: 'dropped', direction: dir, enforcedBy: 'default-deny' };
  // An L4-only allow makes the L7 parts of similar rules ineffective (layer7 docs).
  const l4 = allows.find((a) => a.l7 === 'l4');
  if (l4) return { verdict: 'forwarded', l7: false, enforcedBy: l4.policy };
  const lists = allows.flatMap((a) => a.l7 as CiliumHttpRule[][]);
  const ok = lists.some((list) => list.length === 0 || list.some((r) => httpRuleMatches(r, req)));
  return ok
    ? { verdict: 'forwarded', l7: true, enforcedBy: (allows[0] as { policy: string }).policy }
    : { verdict: 'l7-denied', direction: dir, enforcedBy: (allows[0] as { policy: string }).policy };
}

/** Egress on the client's node first, then ingress on the server's node. */
export function decideCilium(
  policies: readonly CiliumPolicy[],
  req: CiliumRequest,
): CiliumVerdict & { l7Egress?: boolean; l7Ingress?: boolean } {
  const egress = decideDirection(policies, req, 'egress');
  if (egress.verdict !== 'forwarded') return egress;
  const ingress = decideDirection(policies, req, 'ingress');
  if (ingress.verdict !== 'forwarded') return ingress;
  return {
    verdict: 'forwarded',
    l7: egress.l7 || ingress.l7,
    l7Egress: egress.l7,
    l7Ingress: ingress.l7,
    enforcedBy: ingress.enforcedBy ?? egress.enforcedBy,
  };
}
