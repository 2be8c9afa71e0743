/** YAML parsing that keeps source positions, so every problem can be reported as FILE:LINE:COL. */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  visit,
  Scalar,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic, Severity } from './diagnostics.js';

export type PathSegment = string | number;

export class YamlSource {
  readonly lineCounter: LineCounter;
  readonly doc: Document.Parsed;

  /**
   * One YAML document of `file`. `lineOffset`/`colOffset` shift positions when the text was
   * embedded in another file (an inline `istio: |` block), so errors point into the user's file.
   */
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lineOffset = 0,
    readonly colOffset = 0,
    parsed?: { doc: Document.Parsed; lineCounter: LineCounter },
  ) {
    // YAML 1.2 line breaks are CR LF, CR or LF; the yaml library's positions assume LF.
    if (text.includes('\r')) this.text = text = text.replace(/\r\n?/g, '\n');
    if (parsed) {
      this.doc = parsed.doc;
      this.lineCounter = parsed.lineCounter;
    } else {
      this.lineCounter = new LineCounter();
      this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
    }
    readIpv6AsKubernetesDoes(this.doc, text);
  }

  /** Every document of a multi-document YAML text (`---` separated). */
  static all(file: string, text: string, lineOffset = 0, colOffset = 0): YamlSource[] {
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
    const list = Array.isArray(docs) ? docs : [];
    return list.map((doc) => new YamlSource(file, text, lineOffset, colOffset, { doc, lineCounter }));
  }

  /** Syntax errors as diagnostics (empty when the YAML parsed). */
  syntaxErrors(): Diagnostic[] {
    return this.doc.errors.map((e) => this.at(this.errorStart(e.pos[0], e.code), 'error', `invalid YAML: ${e.message.split('\n')[0]}`));
  }

  /**
   * The yaml library reports an unterminated quoted scalar where it gave up (often the end of the
   * file); the user needs the place the scalar starts.
   */
  private errorStart(offset: number, code: string): number {
    if (code !== 'MISSING_CHAR') return offset;
    let start = offset;
    visit(this.doc, {
      Scalar: (_key, node) => {
        const r = node.range;
        const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
        if (quoted && r && r[0] <= offset && offset <= r[2] && r[0] < start) start = r[0];
      },
    });
    return start;
  }

  /** The deepest node along `path`; with `key`, the key node of that field when present. */
  nodeAt(path: readonly PathSegment[], key?: string): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      const next = child(node, seg);
      if (next === undefined) break;
      node = next;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key)) return pair.key;
    }
    return (node ?? undefined) as Node | undefined;
  }

  /** A diagnostic at the node found by `path` (see nodeAt). */
  diagnosticAt(path: readonly PathSegment[], severity: Severity, message: string, key?: string): Diagnostic {
    const node = this.nodeAt(path, key);
    return this.at(node?.range?.[0] ?? 0, severity, message);
  }

  at(offset: number, severity: Severity, message: string): Diagnostic {
    const { line, col } = this.lineCounter.linePos(offset);
    return {
      file: this.file,
      line: line + this.lineOffset,
      col: col + this.colOffset,
      severity,
      message,
    };
  }
}

/**
 * `[fe80::]`: YAML 1.2 reads a flow-sequence item ending in `::` as a one-key mapping, but
 * Kubernetes' YAML reader (sigs.k8s.io/yaml on go-yaml) reads a plain scalar that only ends at
 * `: `, so the item is the string `fe80::` (an IPv6 address, as in ServiceEntry `addresses`).
 */
function readIpv6AsKubernetesDoes(doc: Document.Parsed, text: string): void {
  // Such an item needs `:` then `,` or `]` in the text; without one, skip walking the document.
  if (!/:\s*[,\]]/.test(text)) return;
  visit(doc, {
    Seq: (_key, seq) => {
      if (!seq.flow) return;
      seq.items.forEach((item, i) => {
        const pair = isMap(item) && item.items.length === 1 ? item.items[0] : isPair(item) ? item : undefined;
        const k = pair?.key;
        const v = pair?.value;
        const empty = v === null || (isScalar(v) && v.value === null && v.source === '');
        if (!pair || !empty || !isScalar(k) || k.type !== Scalar.PLAIN || !k.range) return;
        const end = k.range[1];
        if (text[end] !== ':' || !/^\s*[,\]]/.test(text.slice(end + 1))) return;
        const scalar = new Scalar(`${String(k.value)}:`);
        scalar.range = [k.range[0], end + 1, end + 1];
        seq.items[i] = scalar;
      });
    },
  });
}

function child(node: unknown, seg: PathSegment): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    return pair?.value ?? undefined;
  }
  if (isSeq(node) && typeof seg === 'number') return node.items[seg];
  return undefined;
}

/** `spec.services[0].replicas` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}
