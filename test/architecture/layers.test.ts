/**
 * The pipeline's layers only point down (README.md "Project layout"): a file in
 * a top-level folder of src/ may import only from its own folder and the folders before it in
 * LAYERS, and no two files import each other through a cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

/** Lowest first. */
export const LAYERS = [
  'kernel', // event loop, random streams, hashing
  'config', // parsing and validation; owns every Istio/Kubernetes/mesh API type and the profiles
  'record', // low-level recorders: timeline, request stats, latency, edge counters
  'policy', // pure mesh policy engines
  'world', // the cluster model
  'k8s', // Kubernetes controllers and lifecycle
  'dataplane', // proxies and the request path
  'faults', // the fault-kind registry
  'modes', // the mesh-mode registry
  'telemetry', // high-level observers (Istio metrics, traces, resources, time series)
  'analysis', // istioctl-analyze warnings that need the engines; loading with analysis
  'sim', // one simulation
  'report', // output files
  'import', // meshsim import: manifests, traces and metrics into a scenario (emits via config, checks via sim)
  'sweep', // many runs
  'cli', // the commands
] as const;

const SRC = repoPath('src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports (static, type-only and dynamic) of a file, as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] ?? '');
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const folderOf = (file: string): string => relative(SRC, file).split('/')[0] ?? '';

describe('import graph of src/', () => {
  const files = tsFiles(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('every top-level folder has a place in the layer order', () => {
    const folders = [...new Set(files.map(folderOf))].filter((f) => !f.endsWith('.ts'));
    expect(folders.filter((f) => !(LAYERS as readonly string[]).includes(f))).toEqual([]);
  });

  it('no import points up the layers', () => {
    const rank = (f: string) => (LAYERS as readonly string[]).indexOf(folderOf(f));
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      if (rank(file) < 0) continue; // top-level entry files (src/index.ts) may use any layer
      for (const dep of deps) if (rank(dep) > rank(file)) upward.push(`${relative(SRC, file)} → ${relative(SRC, dep)}`);
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const dep of graph.get(f) ?? []) {
        if (!graph.has(dep)) continue;
        const s = state.get(dep);
        if (s === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((x) => relative(SRC, x)).join(' → '));
        else if (s === undefined) visit(dep);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
