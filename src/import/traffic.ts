/**
 * What `meshsim import` learnt about the traffic, from traces or from Istio metrics: the call
 * graph, rates, call latencies and the fitted service times, each figure with where it came from.
 */
import type { FittedDistribution } from './fit.js';

export { median, quantileSorted } from './stats.js';

/** A service as `name` or `name.namespace` (the namespace left out when it is `default`). */
export type ServiceKey = string;

export interface TrafficEdge {
  source: ServiceKey;
  destination: ServiceKey;
  /** Calls per second observed (attempts as the destination saw them). */
  ratePerS: number;
  /** Calls per request the source served; undefined for end-user edges. */
  callsPerRequest?: number;
  /** Only these versions of the source make the call (the others never did). */
  sourceVersions?: string[];
  /** Mean start of the call within the parent request (orders the calls). */
  order: number;
  p50Ms?: number;
  p99Ms?: number;
  method?: string;
  path?: string;
  origin: string;
}

export interface TrafficService {
  key: ServiceKey;
  name: string;
  namespace: string;
  /** Requests per second it served. */
  ratePerS: number;
  selfTime?: FittedDistribution;
  requestSize?: { bytes: number; origin: string };
  responseSize?: { bytes: number; origin: string };
  versions: string[];
}

export interface TrafficEntry {
  /** The client workload's name (a DNS-1123 label, not a service name). */
  workload: string;
  namespace: string;
  target: ServiceKey;
  ratePerS: number;
  requests: { method: string; path: string; weight: number }[];
  origin: string;
}

export interface Traffic {
  kind: 'traces' | 'metrics';
  /** The input, for comments ("traces.json", "http://…/ over [T0, T1]"). */
  source: string;
  services: Map<ServiceKey, TrafficService>;
  edges: TrafficEdge[];
  entries: TrafficEntry[];
  /** The mesh mode the telemetry shows (who reported), with why. */
  modeHint?: { mode: string; origin: string };
  /** Things that could not be inferred, for `# TODO:` and the stderr summary. */
  todos: string[];
  /** One line per fitted service time (printed on stderr). */
  fits: string[];
  /** The observed window in seconds (for the rate). */
  windowS: number;
}

export const serviceKey = (name: string, namespace: string): ServiceKey => (namespace === 'default' ? name : `${name}.${namespace}`);

/** A DNS-1123 label made from any name (workload names). */
export function dnsLabel(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s || 'clients';
}
