/** Field names a zod schema accepts at a path, for "did you mean" hints on unknown fields. */
import type { PathSegment } from './yaml-source.js';

type Def = {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  getter?: () => unknown;
  element?: unknown;
  shape?: Record<string, unknown>;
  options?: unknown[];
};
const defOf = (s: unknown): Def | undefined => (s as { def?: Def } | undefined)?.def;

/** Strips optional/default/nullable/pipe(transform)/lazy wrappers. */
export function unwrapSchema(schema: unknown): unknown {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if (!d) break;
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else break;
  }
  return s;
}

/** Keys of the object schema(s) at `path` inside `schema` (unions contribute every branch's keys). */
export function knownKeysOf(schema: unknown, path: readonly PathSegment[]): string[] {
  let nodes: unknown[] = [schema];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const n of nodes.flatMap(branches)) {
      const d = defOf(n);
      const child =
        typeof seg === 'number'
          ? d?.element
          : (d?.shape?.[seg] ?? (d?.type === 'record' ? (n as { def: { valueType?: unknown } }).def.valueType : undefined));
      if (child) next.push(child);
    }
    nodes = next;
    if (nodes.length === 0) return [];
  }
  return [...new Set(nodes.flatMap(branches).flatMap((n) => Object.keys(defOf(n)?.shape ?? {})))];
}

function branches(schema: unknown): unknown[] {
  const s = unwrapSchema(schema);
  const d = defOf(s);
  return d?.type === 'union' && d.options ? d.options.flatMap(branches) : [s];
}
