/**
 * Istio's validation of a DestinationRule's `loadBalancer.localityLbSetting` (istio/istio
 * pkg/config/validation/agent/validation.go ValidateLocalityLbSetting and validateLocalities):
 * the same checks, the same messages, errors and the one warning.
 */
import type { PathSegment } from '../yaml-source.js';
import type { LocalityLbSetting } from './networking-schemas.js';

/** The topology labels `failover` may not be combined with in `failoverPriority`. */
const TOPOLOGY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];

export function checkLocalityLbSetting(
  lb: LocalityLbSetting,
  hasOutlierDetection: boolean,
  path: PathSegment[],
  err: (p: PathSegment[], m: string) => void,
  warn: (p: PathSegment[], m: string) => void,
): void {
  const distribute = lb.distribute ?? [];
  const failover = lb.failover ?? [];
  const priorities = lb.failoverPriority ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    err(path, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (failover.length > 0) {
    const topo = priorities.find((l) => TOPOLOGY_LABELS.includes(l));
    if (topo !== undefined) {
      err([...path, 'failoverPriority'], `can not simultaneously set 'failover' and topology label '${topo}' in 'failover_priority'`);
      return;
    }
  }
  for (const [i, d] of distribute.entries()) {
    const weights = Object.values(d.to);
    if (weights.some((w) => w <= 0 || w > 100)) {
      err([...path, 'distribute', i, 'to'], 'locality weight must be in range [1, 100]');
      return;
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (total !== 100) {
      err([...path, 'distribute', i, 'to'], `total locality weight ${total} != 100`);
      return;
    }
    const bad = localitiesError(Object.keys(d.to));
    if (bad) err([...path, 'distribute', i, 'to'], bad);
  }
  const badFrom = localitiesError(distribute.map((d) => d.from));
  if (badFrom) err([...path, 'distribute'], badFrom);
  if ((failover.length > 0 || priorities.length > 0) && !hasOutlierDetection)
    warn(path, 'outlier detection policy must be provided for failover');
  for (const [i, f] of failover.entries()) {
    const at = [...path, 'failover', i];
    if (f.from === f.to) err(at, 'locality lb failover settings must specify different regions');
    if (f.from.includes('/') || f.to.includes('/')) err(at, 'locality lb failover only specify region');
    if (f.from.includes('*') || f.to.includes('*')) err(at, "locality lb failover region should not contain '*' wildcard");
  }
}

/** validateLocalities: one trailing `*` at most, no empty segment, no locality covered twice. */
function localitiesError(localities: readonly string[]): string | undefined {
  // region → zone → subzones ('*' = everything below)
  const seen = new Map<string, Map<string, Set<string>>>();
  for (const loc of localities) {
    const stars = loc.split('*').length - 1;
    if (stars > 0 && (stars > 1 || !loc.endsWith('*')))
      return `locality ${loc} wildcard '*' number can not exceed 1 and must be in the end`;
    const overlap = `locality ${loc} overlap with previous specified ones`;
    if (seen.has('*')) return overlap;
    const items = splitN(loc, 3);
    if (items.some((x) => x === '')) return `locality ${loc} must not contain empty region/zone/subzone info`;
    const [region = '', zone = '', subzone = ''] = items;
    const zones = seen.get(region);
    if (items.length === 1) {
      if (zones) return overlap;
      seen.set(region, new Map([['*', new Set(['*'])]]));
    } else if (items.length === 2) {
      if (zones?.has('*') || zones?.has(zone)) return overlap;
      if (zones) zones.set(zone, new Set(['*']));
      else seen.set(region, new Map([[zone, new Set(['*'])]]));
    } else {
      if (zones?.has('*')) return overlap;
      const subs = zones?.get(zone);
      if (subs?.has('*') || subs?.has(subzone)) return overlap;
      if (subs) subs.add(subzone);
      else if (zones) zones.set(zone, new Set([subzone]));
      else seen.set(region, new Map([[zone, new Set([subzone])]]));
    }
  }
  return undefined;
}

/** Go's strings.SplitN(s, "/", n). */
function splitN(s: string, n: number): string[] {
  const parts = s.split('/');
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join('/')];
}
