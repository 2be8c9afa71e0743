/** Turns zod issues into positioned, readable diagnostics that name the field and the bad value. */
import type * as z from 'zod';
import type { Diagnostic } from './diagnostics.js';
import { formatPath, type PathSegment, type YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/**
 * Options of every schema parse. A scenario is parsed once per process, so zod's JIT (it compiles a
 * parser per object schema with `new Function` on first use) costs more than it saves: ~40 ms of
 * `meshsim validate`. `jitless` takes the interpreted path, with the same result and issues.
 */
export const PARSE_OPTIONS = { reportInput: true, jitless: true } as const;

const shown = (v: unknown): string =>
  v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${shown(v)}`;
}

/** The issues of the union branch that got furthest, so users see the real problem. */
function unwrapUnion(issue: Issue & { code: 'invalid_union' }): Issue[] | undefined {
  for (const branch of issue.errors ?? []) {
    const deep = branch.filter((i) => !(i.code === 'invalid_type' && i.path.length === 0));
    if (deep.length > 0) return deep.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
  }
  return undefined;
}

/** Levenshtein distance, for "did you mean" on unknown fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(cur + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggestion(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

export function issuesToDiagnostics(
  issues: readonly Issue[],
  src: YamlSource,
  knownKeys: (path: readonly PathSegment[]) => string[],
  prefix: readonly PathSegment[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const raw of issues) {
    const path = [...prefix, ...raw.path.filter((p): p is PathSegment => typeof p !== 'symbol')];
    const issue = { ...raw, path } as Issue & { path: PathSegment[]; input?: unknown };
    const where = formatPath(path) || '(document)';
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const hint = suggestion(key, knownKeys(path));
          out.push(src.diagnosticAt(path, 'error', `${formatPath([...path, key])}: unknown field "${key}"${hint}`, key));
        }
        break;
      case 'invalid_union': {
        const inner = unwrapUnion(issue);
        const disc = (issue as { discriminator?: string }).discriminator;
        const input = issue.input as Record<string, unknown> | undefined;
        if (inner) out.push(...issuesToDiagnostics(inner, src, knownKeys, []));
        else if (disc !== undefined && input && typeof input === 'object') {
          out.push(src.diagnosticAt(path, 'error', `${where}: ${issue.message} (got ${shown(input[disc])})`));
        } else out.push(src.diagnosticAt(path, 'error', `${where}: ${issue.message} (got ${kindOf(issue.input)})`));
        break;
      }
      case 'invalid_type':
        if (issue.input === undefined) {
          out.push(src.diagnosticAt(path.slice(0, -1), 'error', `${where}: required field is missing`));
        } else {
          const msg = issue.message.startsWith('Invalid input') ? `expected ${issue.expected}` : issue.message;
          out.push(src.diagnosticAt(path, 'error', `${where}: ${msg}, got ${kindOf(issue.input)}`));
        }
        break;
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
        const msg =
          issue.origin === 'array'
            ? `needs ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} item(s)`
            : issue.origin === 'string'
              ? issue.message
              : `must be ${op} ${String(bound)} (got ${shown(issue.input)})`;
        out.push(src.diagnosticAt(path, 'error', `${where}: ${msg}`));
        break;
      }
      case 'invalid_value':
        out.push(
          src.diagnosticAt(
            path,
            'error',
            issue.message.startsWith('Invalid')
              ? `${where}: must be one of ${issue.values.map((v) => String(v)).join(', ')} (got ${shown(issue.input)})`
              : `${where}: ${issue.message} (got ${shown(issue.input)})`,
          ),
        );
        break;
      case 'invalid_format':
        out.push(src.diagnosticAt(path, 'error', `${where}: ${issue.message} (got ${shown(issue.input)})`));
        break;
      default:
        out.push(src.diagnosticAt(path, 'error', `${where}: ${issue.message}`));
    }
  }
  return out;
}
