/**
 * Cost profiles (profiles/*.json): per-proxy CPU, latency and memory figures, each with its source.
 * A profile may `extends` another; figures are `{value, tag, src}` objects and come out as numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProxyCosts {
  workers: number;
  requestLegCpuUs: number;
  responseLegCpuUs: number;
  telemetryCpuUs: number;
  cpuPerKBUs: number;
  fixedLatencyUs: number;
  baseMemoryMB: number;
  memPerConnectionKB: number;
  memPerClusterKB: number;
  memPerEndpointKB: number;
  memPerWorkloadKB: number;
  builtinClusters: number;
  hboneMaxStreams: number;
}

export interface CostProfile {
  name: string;
  sidecar: ProxyCosts;
  ztunnel: ProxyCosts;
  waypoint: ProxyCosts;
  istiod: { baseMemoryMB: number; memPerProxyMB: number; baseCpuCores: number; cpuPerProxyCores: number };
  tls: { clientHandshakeCpuUs: number; serverHandshakeCpuUs: number; roundTrips: number; certLifetimeHours: number };
  prices: { vcpuHourUsd: number; gibHourUsd: number; hoursPerMonth: number };
}

export const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');
const ALIASES: Record<string, string> = { istio: 'istio-1.24' };

export function profileNames(): string[] {
  const files = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.json')) : [];
  return [...Object.keys(ALIASES), ...files.map((f) => f.slice(0, -5))].sort();
}

type Json = { [k: string]: unknown };

function readProfileJson(name: string, seen: string[] = []): Json {
  const real = ALIASES[name] ?? name;
  if (seen.includes(real)) throw new Error(`profile ${real} extends itself`);
  const own = JSON.parse(readFileSync(join(PROFILE_DIR, `${real}.json`), 'utf8')) as Json;
  if (typeof own.extends !== 'string') return own;
  return merge(readProfileJson(own.extends, [...seen, real]), own);
}

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isFigure = (x: unknown) => typeof x === 'object' && x !== null && 'value' in x;
    out[k] = typeof v === 'object' && v !== null && typeof b === 'object' && b !== null && !isFigure(v) ? merge(b as Json, v as Json) : v;
  }
  return out;
}

/** Replaces every `{value, ...}` figure by its value. */
function values(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if ('value' in node) return (node as { value: unknown }).value;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (!k.startsWith('_')) out[k] = values(v);
  return out;
}

const PROXY_DEFAULTS: ProxyCosts = {
  workers: 2,
  requestLegCpuUs: 0,
  responseLegCpuUs: 0,
  telemetryCpuUs: 0,
  cpuPerKBUs: 0,
  fixedLatencyUs: 0,
  baseMemoryMB: 0,
  memPerConnectionKB: 0,
  memPerClusterKB: 0,
  memPerEndpointKB: 0,
  memPerWorkloadKB: 0,
  builtinClusters: 0,
  hboneMaxStreams: 100,
};

export function loadProfile(name: string): CostProfile {
  const raw = values(readProfileJson(name)) as Json &
    Omit<CostProfile, 'sidecar' | 'ztunnel' | 'waypoint'> &
    Record<'sidecar' | 'ztunnel' | 'waypoint', Partial<ProxyCosts>>;
  return {
    name: raw.name,
    sidecar: { ...PROXY_DEFAULTS, ...raw.sidecar },
    ztunnel: { ...PROXY_DEFAULTS, ...raw.ztunnel },
    waypoint: { ...PROXY_DEFAULTS, ...raw.waypoint },
    istiod: raw.istiod,
    tls: raw.tls,
    prices: raw.prices,
  };
}
