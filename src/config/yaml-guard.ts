/**
 * Structural checks on a parsed YAML document before it is turned into JavaScript values, so that
 * hostile or broken YAML is a positioned error rather than a crash, a hang or a library warning:
 * unresolved and self-containing aliases, alias "bombs" (aliases that expand the document far
 * beyond its written size; the yaml library's own limit counts uses, which refuses honest
 * documents that reuse one anchor a few hundred times), and mapping keys that are lists or
 * mappings (JavaScript objects cannot hold them; the yaml library would stringify them and print
 * a Node warning).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { InputError, type Diagnostic } from './diagnostics.js';
import type { YamlSource } from './yaml-source.js';

/** Nodes aliases may add to a document beyond the ones written in it. */
export const MAX_ALIAS_EXPANSION = 1_000_000;

const short = (s: string) => (s.length > 32 ? `${s.slice(0, 32)}…` : s);

/** Problems that stop the document from being read as data (empty when it is sound). */
export function yamlStructureErrors(src: YamlSource): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const err = (node: { range?: [number, number, number] | null } | null | undefined, message: string) => {
    if (errors.length < 20) errors.push(src.at(node?.range?.[0] ?? 0, 'error', message));
  };
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  const sizes = new Map<Node, number>();
  let written = 0;
  let expanded = 0;
  let bombReported = false;

  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        err(node, `unresolved alias "*${short(node.source)}": no anchor &${short(node.source)} is set before it`);
        return 1;
      }
      if (open.has(target)) {
        err(node, `alias "*${short(node.source)}" refers to a node that contains it (a recursive structure)`);
        return 1;
      }
      const n = sizes.get(target) ?? 1;
      expanded += n;
      if (!bombReported && expanded - written > MAX_ALIAS_EXPANSION) {
        bombReported = true;
        err(node, `aliases expand this document by over ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes (an alias bomb?)`);
      }
      return n;
    }
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    written++;
    expanded++;
    let total = 1;
    if (isCollection(n)) {
      open.add(n);
      for (const item of n.items) {
        if (isPair(item)) {
          const key = item.key;
          if (isMap(n) && (isCollection(key) || (isAlias(key) && isCollection(anchors.get(key.source))))) {
            err(key, 'a mapping key must be a plain value, not a list or mapping');
          }
          total += size(key) + size(item.value);
        } else total += size(item);
      }
      open.delete(n);
    } else if (!isScalar(n) && !isSeq(n)) total = 1;
    sizes.set(n, total);
    return total;
  };

  try {
    size(src.doc.contents);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    errors.push(src.at(0, 'error', 'the YAML is nested too deeply'));
  }
  return errors;
}

/** The document as JavaScript values, after the structural checks (InputError when they fail). */
export function documentValue(src: YamlSource): unknown {
  const errors = yamlStructureErrors(src);
  if (errors.length) throw new InputError(errors);
  // Expansion was bounded above, so the library's per-anchor use count need not apply.
  return src.doc.toJS({ maxAliasCount: -1 });
}
