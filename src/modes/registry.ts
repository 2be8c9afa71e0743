/**
 * Every mesh mode, in the order `compare` and the reports show them. Adding a mode: a module
 * beside this file and one line here; the loader, --mode/--modes, resources, metrics, reports and
 * `compare` follow.
 */
import { ambientMode } from './ambient.js';
import type { ComponentDef, MeshModeDef } from './mode.js';
import { noneMode } from './none.js';
import { sidecarMode } from './sidecar.js';
import { linkerdMode } from './linkerd.js';
import { ciliumMode } from './cilium.js';
import { appmeshMode } from './appmesh.js';

export const MESH_MODES: readonly MeshModeDef[] = [noneMode, sidecarMode, ambientMode, linkerdMode, ciliumMode, appmeshMode];

export const MODE_NAMES: readonly string[] = MESH_MODES.map((m) => m.name);

const byName = new Map(MESH_MODES.map((m) => [m.name, m]));

export const isModeName = (name: string): boolean => byName.has(name);

export function meshMode(name: string): MeshModeDef {
  const m = byName.get(name);
  if (!m) throw new Error(`unknown mesh mode "${name}" (modes: ${MODE_NAMES.join(', ')})`);
  return m;
}

/** Every component any mode reports (first definition of a name wins), in registry order. */
export const MESH_COMPONENTS: readonly ComponentDef[] = [
  ...new Map(MESH_MODES.flatMap((m) => m.components).map((c) => [c.name, c])).values(),
];
