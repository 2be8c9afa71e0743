/**
 * Cost profiles (profiles/*.json): per-proxy CPU, latency and memory figures, each with its source.
 * A profile may `extends` another; figures are `{value, tag, src}` objects and come out as numbers.
 * Profiles are input like scenarios: each file is checked against a schema (unknown fields, missing
 * sources and non-numbers are positioned errors), and the merged profile must be complete.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { packageFile } from './package-files.js';
import { InputError, type Diagnostic } from './diagnostics.js';
import { YamlSource, type PathSegment } from './yaml-source.js';
import { issuesToDiagnostics, PARSE_OPTIONS } from './zod-diagnostics.js';

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

/** Version-dependent Istio defaults the data plane honours (profiles/*.json `features`, each sourced there). */
export interface IstioFeatures {
  /** istiod flag: the default retry policy no longer retries 503 (Istio ≥ 1.24). */
  EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: boolean;
  /** meshConfig.localityLbSetting.enabled default. */
  localityLbEnabled: boolean;
}

export interface CostProfile {
  name: string;
  /** Istio release the profile describes ("1.24"). */
  version: string;
  /** Release whose defaults are in force: `version`, or an older spec.mesh.compatibilityVersion. */
  compatibilityVersion: string;
  features: IstioFeatures;
  sidecar: ProxyCosts;
  ztunnel: ProxyCosts;
  waypoint: ProxyCosts;
  istiod: {
    baseMemoryMB: number;
    memPerProxyMB: number;
    baseCpuCores: number;
    cpuPerProxyCores: number;
    /** Share of the per-proxy cost that does not depend on the proxy's config size (the rest scales with it: Sidecar scoping). */
    perProxyFixedShare: number;
  };
  tls: { clientHandshakeCpuUs: number; serverHandshakeCpuUs: number; roundTrips: number; certLifetimeHours: number };
  /** `crossZoneGbUsd`: data transfer between zones of a region, per GB (2^30 bytes) carried. */
  prices: { vcpuHourUsd: number; gibHourUsd: number; hoursPerMonth: number; crossZoneGbUsd: number };
  /** Present in Linkerd profiles (profiles/linkerd-*.json). */
  linkerd?: LinkerdProfile;
  /** Present in Cilium profiles (profiles/cilium-*.json). */
  cilium?: CiliumProfile;
}

const LINKERD_PROXY_EXTRA = [
  'queueCapacity',
  'outboundFailfastUs',
  'inboundFailfastUs',
  'outboundConnectTimeoutUs',
  'inboundConnectTimeoutUs',
  'defaultRttUs',
  'rttDecayUs',
  'h2ConnectionsPerEndpoint',
] as const;
const CONTROL_PLANE_KEYS = ['baseMemoryMB', 'memPerProxyMB', 'baseCpuCores', 'cpuPerProxyCores'] as const;
const WIRE_KEYS = ['cpuPerKBUs', 'cpuPerPacketUs', 'latencyUs', 'mtuBytes'] as const;
const AGENT_KEYS = ['baseMemoryMB', 'memPerEndpointKB', 'baseCpuCores'] as const;

export interface LinkerdProfile {
  proxy: ProxyCosts & Record<(typeof LINKERD_PROXY_EXTRA)[number], number>;
  controlPlane: Record<(typeof CONTROL_PLANE_KEYS)[number], number>;
}

export interface CiliumProfile {
  datapath: { cpuPerRequestUs: number; latencyUs: number };
  agent: Record<(typeof AGENT_KEYS)[number], number>;
  envoy: ProxyCosts;
  wireguard: Record<(typeof WIRE_KEYS)[number], number>;
  ipsec: Record<(typeof WIRE_KEYS)[number], number>;
}

export const PROFILE_DIR = packageFile('profiles');
const ALIASES: Record<string, string> = { istio: 'istio-1.24', linkerd: 'linkerd-2.18', cilium: 'cilium-1.16' };

export function profileNames(): string[] {
  const files = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.json')) : [];
  return [...Object.keys(ALIASES), ...files.map((f) => f.slice(0, -5))].sort();
}

/** A sourced figure: the number, how it was obtained (P, P-derived, M, A) and where from. */
const figure = z.object({ value: z.number(), tag: z.enum(['P', 'P-derived', 'M', 'A', 'S']), src: z.string().min(1) }).strict();
// One optional figure for every field of every section: a zod schema can sit in many places, and
// building ~200 of them cost ~2 ms of every command's start.
const optionalFigure = figure.optional();
const section = <K extends string>(keys: readonly K[]) =>
  z
    .object(Object.fromEntries(keys.map((k) => [k, optionalFigure])) as Record<K, typeof optionalFigure>)
    .strict()
    .optional();

const PROXY_KEYS = [
  'workers',
  'requestLegCpuUs',
  'responseLegCpuUs',
  'telemetryCpuUs',
  'cpuPerKBUs',
  'fixedLatencyUs',
  'baseMemoryMB',
  'memPerConnectionKB',
  'memPerClusterKB',
  'memPerEndpointKB',
  'memPerWorkloadKB',
  'builtinClusters',
  'hboneMaxStreams',
] as const satisfies readonly (keyof ProxyCosts)[];

/**
 * A version-dependent default: `value` from release `since` on, `before` in older releases (and
 * under an older compatibilityVersion), with its source.
 */
const feature = z
  .object({
    value: z.boolean(),
    since: z
      .string()
      .regex(/^1\.\d+$/)
      .optional(),
    before: z.boolean().optional(),
    tag: z.enum(['P', 'P-derived', 'M', 'A']),
    src: z.string().min(1),
  })
  .strict();
const optionalFeature = feature.optional();
const FEATURE_KEYS = ['EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY', 'localityLbEnabled'] as const satisfies readonly (keyof IstioFeatures)[];
type FeatureSpec = z.infer<typeof feature>;

/** One profile file as written: every section optional (a profile may extend another). */
const profileFileSchema = z
  .object({
    _doc: z.string().optional(),
    name: z.string().min(1),
    extends: z.string().optional(),
    version: z
      .string()
      .regex(/^1\.\d+$/)
      .optional(),
    features: z
      .object({ _doc: z.string().optional(), ...Object.fromEntries(FEATURE_KEYS.map((k) => [k, optionalFeature])) })
      .strict()
      .optional(),
    sidecar: section(PROXY_KEYS),
    ztunnel: section(PROXY_KEYS),
    waypoint: section(PROXY_KEYS),
    istiod: section(['baseMemoryMB', 'memPerProxyMB', 'baseCpuCores', 'cpuPerProxyCores', 'perProxyFixedShare'] as const),
    tls: section(['clientHandshakeCpuUs', 'serverHandshakeCpuUs', 'roundTrips', 'certLifetimeHours'] as const),
    prices: section(['vcpuHourUsd', 'gibHourUsd', 'hoursPerMonth', 'crossZoneGbUsd'] as const),
    linkerdProxy: section([...PROXY_KEYS, ...LINKERD_PROXY_EXTRA]),
    linkerdControlPlane: section(CONTROL_PLANE_KEYS),
    ciliumDatapath: section(['cpuPerRequestUs', 'latencyUs'] as const),
    ciliumAgent: section(AGENT_KEYS),
    ciliumEnvoy: section(PROXY_KEYS),
    wireguard: section(WIRE_KEYS),
    ipsec: section(WIRE_KEYS),
  })
  .strict();
type ProfileFile = z.infer<typeof profileFileSchema>;
type Figures = Partial<Record<string, { value: number }>>;

const knownProfileKeys = (path: readonly PathSegment[]): string[] => {
  let shape: Record<string, unknown> | undefined = profileFileSchema.shape;
  for (const seg of path) {
    const next: unknown = shape?.[String(seg)];
    const inner = (next as { unwrap?: () => unknown } | undefined)?.unwrap?.() ?? next;
    shape = (inner as { shape?: Record<string, unknown> } | undefined)?.shape;
  }
  return shape ? Object.keys(shape) : [];
};

function readProfileFile(real: string): { file: ProfileFile; source: YamlSource } {
  const path = join(PROFILE_DIR, `${real}.json`);
  const text = readFileSync(path, 'utf8');
  // Fast path: a sound profile (every shipped one) is plain JSON without duplicate keys that the
  // schema accepts, and reading it with JSON.parse gives the same value as the YAML reader, which
  // costs ~25 ms for 8 KB. The YAML reader still positions every problem, and is read lazily for
  // the positioned errors of sound files (an unknown `extends`, a missing figure).
  const fast = plainJson(text);
  if (fast !== undefined) {
    const parsed = profileFileSchema.safeParse(fast, PARSE_OPTIONS);
    if (parsed.success) {
      let source: YamlSource | undefined;
      return {
        file: parsed.data,
        get source() {
          return (source ??= new YamlSource(path, text));
        },
      };
    }
  }
  const source = new YamlSource(path, text);
  const syntax = source.syntaxErrors();
  if (syntax.length) throw new InputError(syntax);
  const parsed = profileFileSchema.safeParse(source.doc.toJS(), PARSE_OPTIONS);
  if (!parsed.success) throw new InputError(issuesToDiagnostics(parsed.error.issues, source, knownProfileKeys));
  return { file: parsed.data, source };
}

/**
 * JSON.parse of `text` when it is JSON whose objects have no repeated key (JSON.parse keeps the
 * last silently; the YAML reader calls it an error), else undefined. Keys are the string tokens
 * followed by `:`; each must survive as a property.
 */
export function plainJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Valid JSON has quotes only around strings, so this matches every string token in turn.
  let keysInText = 0;
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"(\s*:)?/g)) if (m[1]) keysInText++;
  return keysInText === propertyCount(value) ? value : undefined;
}

function propertyCount(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + propertyCount(x), 0);
  if (v === null || typeof v !== 'object') return 0;
  return Object.values(v).reduce((n: number, x) => n + 1 + propertyCount(x), 0);
}

/** The chain of files a profile name stands for, base first. */
function profileChain(name: string, seen: string[] = []): { file: ProfileFile; source: YamlSource }[] {
  const real = ALIASES[name] ?? name;
  if (seen.includes(real))
    throw new InputError([
      { file: join(PROFILE_DIR, `${real}.json`), line: 1, col: 1, severity: 'error', message: `profile ${real} extends itself` },
    ]);
  const own = readProfileFile(real);
  const base = own.file.extends;
  if (base !== undefined && !profileNames().includes(base)) {
    throw new InputError([
      own.source.diagnosticAt(['extends'], 'error', `extends: unknown profile "${base}" (profiles: ${profileNames().join(', ')})`),
    ]);
  }
  return base === undefined ? [own] : [...profileChain(base, [...seen, real]), own];
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

/** Section values of the chain, later files overriding earlier ones figure by figure. */
function mergedSection(
  chain: readonly { file: ProfileFile }[],
  key: Exclude<keyof ProfileFile, '_doc' | 'name' | 'extends' | 'version' | 'features'>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { file } of chain) for (const [k, f] of Object.entries((file[key] ?? {}) as Figures)) if (f) out[k] = f.value;
  return out;
}

/** Fails with a positioned error when a merged section lacks a figure that has no default. */
function complete<K extends string>(
  values: Record<string, number>,
  keys: readonly K[],
  section: string,
  leaf: { source: YamlSource },
): Record<K, number> {
  const missing = keys.filter((k) => values[k] === undefined);
  if (missing.length) {
    const d: Diagnostic = leaf.source.diagnosticAt(
      [],
      'error',
      `${section}: missing ${missing.join(', ')} (not in this profile nor the profiles it extends)`,
    );
    throw new InputError([d]);
  }
  return values;
}

/** "1.9" < "1.24": compares Istio minor versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Current Istio's values, for profiles that say nothing about a feature. */
const FEATURE_DEFAULTS: IstioFeatures = { EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: true, localityLbEnabled: true };

/** Each feature's value in release `version`: `before` when the release predates `since`. */
function resolveFeatures(specs: Partial<Record<keyof IstioFeatures, FeatureSpec>>, version: string): IstioFeatures {
  const out: IstioFeatures = { ...FEATURE_DEFAULTS };
  for (const k of FEATURE_KEYS) {
    const f = specs[k];
    if (f) out[k] = f.since !== undefined && f.before !== undefined && compareVersions(version, f.since) < 0 ? f.before : f.value;
  }
  return out;
}

const featureSpecs = new Map<string, Partial<Record<keyof IstioFeatures, FeatureSpec>>>();

/**
 * The profile with an older release's defaults where they changed (Istio's `compatibilityVersion`,
 * manifests/helm-profiles/compatibility-version-*.yaml). A version newer than the profile's is an
 * error at `at`.
 */
export function withCompatibilityVersion(
  profile: CostProfile,
  compat: string | undefined,
  at?: YamlSource,
  path: readonly PathSegment[] = [],
): CostProfile {
  if (compat === undefined) return profile;
  if (compareVersions(compat, profile.version) > 0) {
    const message = `${path.length ? `${path.join('.')}: ` : ''}"${compat}" is newer than the profile's Istio ${profile.version}; it can only select an older release's defaults`;
    throw new InputError([at ? at.diagnosticAt(path, 'error', message) : { file: 'meshsim', line: 1, col: 1, severity: 'error', message }]);
  }
  return { ...profile, compatibilityVersion: compat, features: resolveFeatures(featureSpecs.get(profile.name) ?? {}, compat) };
}

const cache = new Map<string, CostProfile>();

/**
 * The named profile, merged along its `extends` chain and checked. Unknown names are reported at
 * `at` (the scenario's spec.mesh.profile) when given.
 */
export function loadProfile(name: string, at?: YamlSource, path: readonly PathSegment[] = []): CostProfile {
  const cached = cache.get(name);
  if (cached) return cached;
  const names = profileNames();
  if (!names.includes(name)) {
    const message = `${path.length ? `${path.join('.')}: ` : ''}unknown profile "${name}" (profiles: ${names.join(', ')})`;
    throw new InputError([at ? at.diagnosticAt(path, 'error', message) : { file: 'meshsim', line: 1, col: 1, severity: 'error', message }]);
  }
  const chain = profileChain(name);
  const leaf = chain[chain.length - 1]!;
  const proxy = (key: 'sidecar' | 'ztunnel' | 'waypoint'): ProxyCosts => ({ ...PROXY_DEFAULTS, ...mergedSection(chain, key) });
  const version = [...chain].reverse().find((c) => c.file.version !== undefined)?.file.version ?? '1.24';
  const specs: Partial<Record<keyof IstioFeatures, FeatureSpec>> = {};
  for (const { file } of chain) {
    const own = (file.features ?? {}) as Partial<Record<keyof IstioFeatures, FeatureSpec>>;
    for (const k of FEATURE_KEYS) if (own[k]) specs[k] = own[k];
  }
  featureSpecs.set(leaf.file.name, specs);
  const profile: CostProfile = {
    name: leaf.file.name,
    version,
    compatibilityVersion: version,
    features: resolveFeatures(specs, version),
    sidecar: proxy('sidecar'),
    ztunnel: proxy('ztunnel'),
    waypoint: proxy('waypoint'),
    istiod: complete(
      mergedSection(chain, 'istiod'),
      ['baseMemoryMB', 'memPerProxyMB', 'baseCpuCores', 'cpuPerProxyCores', 'perProxyFixedShare'],
      'istiod',
      leaf,
    ),
    tls: complete(
      mergedSection(chain, 'tls'),
      ['clientHandshakeCpuUs', 'serverHandshakeCpuUs', 'roundTrips', 'certLifetimeHours'],
      'tls',
      leaf,
    ),
    prices: complete(mergedSection(chain, 'prices'), ['vcpuHourUsd', 'gibHourUsd', 'hoursPerMonth', 'crossZoneGbUsd'], 'prices', leaf),
  };
  const has = (key: Exclude<keyof ProfileFile, '_doc' | 'name' | 'extends'>) => chain.some(({ file }) => file[key] !== undefined);
  if (has('linkerdProxy'))
    profile.linkerd = {
      proxy: {
        ...PROXY_DEFAULTS,
        ...complete(mergedSection(chain, 'linkerdProxy'), LINKERD_PROXY_EXTRA, 'linkerdProxy', leaf),
      },
      controlPlane: complete(mergedSection(chain, 'linkerdControlPlane'), CONTROL_PLANE_KEYS, 'linkerdControlPlane', leaf),
    };
  if (has('ciliumDatapath'))
    profile.cilium = {
      datapath: complete(mergedSection(chain, 'ciliumDatapath'), ['cpuPerRequestUs', 'latencyUs'], 'ciliumDatapath', leaf),
      agent: complete(mergedSection(chain, 'ciliumAgent'), AGENT_KEYS, 'ciliumAgent', leaf),
      envoy: { ...PROXY_DEFAULTS, ...mergedSection(chain, 'ciliumEnvoy') },
      wireguard: complete(mergedSection(chain, 'wireguard'), WIRE_KEYS, 'wireguard', leaf),
      ipsec: complete(mergedSection(chain, 'ipsec'), WIRE_KEYS, 'ipsec', leaf),
    };
  cache.set(name, profile);
  return profile;
}
