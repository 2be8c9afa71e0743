/**
 * Istio host names: short names resolve in the namespace of the resource that names them
 * ("reviews" in a VirtualService in ns foo is reviews.foo.svc.cluster.local); `name.ns` and FQDNs
 * are taken as written; `*` and `*.suffix` are wildcards. Source: istio/api virtual_service.proto
 * (hosts), destination_rule.proto (host: short names are relative to the rule's namespace).
 */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

export function fqdnOf(host: string, namespace: string): string {
  if (host.startsWith('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.${CLUSTER_DOMAIN}`;
  if (parts.length === 2) return `${host}.${CLUSTER_DOMAIN}`;
  return host;
}

/** Whether a (possibly wildcard) host pattern, already resolved with fqdnOf, covers `fqdn`. */
export function hostMatches(pattern: string, fqdn: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return fqdn.endsWith(pattern.slice(1));
  return pattern === fqdn;
}
