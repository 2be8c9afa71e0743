/**
 * A sweep's grid: `--set PATH=V1,V2,…` axes over the scenario document (PATH like
 * `spec.workload[0].rate` or `spec.mesh.mode`), crossed with seeds. Points are numbered in a fixed
 * order (first axis slowest, seeds fastest) so results do not depend on workers or shards.
 */
import { parse as parseYamlScalar } from 'yaml';
import type { PathSegment } from '../config/yaml-source.js';
import { setValueTexts } from './grid-size.js';

export interface Axis {
  path: string;
  segments: PathSegment[];
  values: unknown[];
}
export interface GridPoint {
  index: number;
  params: Record<string, unknown>;
  seed: number;
}

const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;

/** `spec.workload[0].rate` → ['spec', 'workload', 0, 'rate']; undefined when malformed. */
export function parsePath(path: string): PathSegment[] | undefined {
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(path)) return undefined;
  return [...path.matchAll(SEGMENT)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** `PATH=V1,V2` → an axis; each value is read as a YAML scalar (numbers, booleans, strings). */
export function parseSet(spec: string): Axis | string {
  const eq = spec.indexOf('=');
  if (eq <= 0) return `expected PATH=V1,V2,… (e.g. spec.workload[0].rate=100,200), got "${spec}"`;
  const path = spec.slice(0, eq).trim();
  const segments = parsePath(path);
  if (!segments) return `"${path}" is not a path like spec.workload[0].rate`;
  const raw = setValueTexts(spec).map((v) => v.trim());
  if (raw.length === 0 || raw.some((v) => v === '')) return `${path}: give at least one value, separated by commas`;
  return { path, segments, values: raw.map((v) => parseYamlScalar(v) as unknown) };
}

export function gridPoints(axes: readonly Axis[], seeds: readonly number[]): GridPoint[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.path]: v })));
  const points: GridPoint[] = [];
  for (const params of combos) for (const seed of seeds) points.push({ index: points.length, params, seed });
  return points;
}
