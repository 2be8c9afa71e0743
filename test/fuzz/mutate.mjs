// Seeded mutations of scenarios and Istio YAML, as a hostile or careless user would make them:
// type changes, deletions, duplications, huge/negative/NaN numbers, unicode, alias bombs,
// truncation, CR line endings, binary garbage. Deterministic: the same seed gives the same mutants.
import { Buffer } from 'node:buffer';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { prng as uniform } from '../kernel/prng.js';

/** @typedef {{ next: () => number, int: (n: number) => number, pick: <T>(list: readonly T[]) => T }} Rng */
/** @typedef {import('yaml').Document.Parsed} Doc */

/**
 * The mutator's random choices, from a seed (never Math.random: mutants must be reproducible).
 * @param {number} seed
 * @returns {Rng}
 */
export function prng(seed) {
  const next = uniform(seed);
  const int = (/** @type {number} */ n) => Math.floor(next() * n);
  /** @type {Rng['pick']} */
  const pick = (list) => /** @type {any} */ (list[int(list.length)]);
  return { next, int, pick };
}

const WEIRD_NUMBERS = [
  '1e308',
  '-1e308',
  '1e7',
  '65535',
  '-1',
  '-0',
  '0',
  '.nan',
  '.inf',
  '-.inf',
  '1e-300',
  '9007199254740993',
  '0x7fffffff',
  '3.5',
  '1e9',
];
const WEIRD_DURATIONS = ['1e9s', '100000h', '0s', '-5s', '1us', '0.0000001ms', '999999999h', 'NaNs', '1m30s', '5', '1e400s'];
const WEIRD_STRINGS = [
  '',
  ' ',
  'a\nb',
  'x\r\ny',
  '\u202eevil',
  '\u0000nul',
  '\u001b[31mred',
  '💥',
  'é',
  'Ω'.repeat(300),
  'a'.repeat(5000),
  '${HOME}',
  '<script>x</script>',
  '../../etc/passwd',
  '/dev/zero',
  '.',
  '*',
  '&a',
  '!!binary',
  'true',
  'null',
  '"',
  "'",
  '#',
  ': x',
  '- y',
  '{',
  '[',
];
const UNICODE = ['\u202e', '\u200b', '\ufeff', '\u0085', '\u2028', '💥', '\u0301', '\ud800', 'ß', '\u00a0', '\t', '\u0007', '\u001b'];

/**
 * Every node path of a document (keys and indices), with the node.
 * @param {Doc} doc
 * @returns {{ path: (string | number)[], node: any }[]}
 */
function paths(doc) {
  /** @type {{ path: (string | number)[], node: any }[]} */
  const out = [];
  /** @type {(node: any, path: (string | number)[], depth: number) => void} */
  const walk = (node, path, depth) => {
    if (depth > 12 || out.length > 4000) return;
    out.push({ path, node });
    if (isMap(node)) for (const p of node.items) walk(p.value, [...path, isScalar(p.key) ? String(p.key.value) : String(p.key)], depth + 1);
    else if (isSeq(node)) node.items.forEach((n, i) => walk(n, [...path, i], depth + 1));
  };
  walk(doc.contents, [], 0);
  return out;
}

/**
 * @param {Rng} r
 * @param {Doc} doc
 * @returns {unknown}
 */
function randomValue(r, doc) {
  switch (r.int(9)) {
    case 0:
      return Number(r.pick(['1e308', '-1', '0', '65535', '1e7', '-0', '3.5']));
    case 1:
      return r.pick(WEIRD_STRINGS);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return [];
    case 4:
      return {};
    case 5:
      return [r.pick(WEIRD_STRINGS), 1, { x: 1 }];
    case 6:
      return { unknownField: 1, name: r.pick(WEIRD_STRINGS) };
    case 7:
      return r.pick(WEIRD_DURATIONS);
    default:
      return doc.createNode(NaN);
  }
}

// Structural mutations on the parsed document. Each returns a description (or undefined to skip).
/** @type {Record<string, (r: Rng, doc: Doc) => string | undefined>} */
const STRUCTURAL = {
  typeChange(r, doc) {
    const all = paths(doc).filter((p) => p.path.length > 0);
    if (!all.length) return undefined;
    const { path } = r.pick(all);
    doc.setIn(path, randomValue(r, doc));
    return `type change at ${path.join('.')}`;
  },
  deletion(r, doc) {
    const all = paths(doc).filter((p) => p.path.length > 0);
    if (!all.length) return undefined;
    const { path } = r.pick(all);
    doc.deleteIn(path);
    return `deleted ${path.join('.')}`;
  },
  duplication(r, doc) {
    const seqs = paths(doc).filter((p) => isSeq(p.node) && p.node.items.length > 0);
    if (!seqs.length) return undefined;
    const { node, path } = r.pick(seqs);
    const n = r.pick([1, 2, 10, 100, 5000]);
    const item = node.items[r.int(node.items.length)];
    for (let i = 0; i < n; i++) node.items.push(item.clone ? item.clone() : item);
    return `duplicated an item of ${path.join('.')} ${n} times`;
  },
  number(r, doc) {
    const nums = paths(doc).filter((p) => isScalar(p.node) && (typeof p.node.value === 'number' || /^\d/.test(String(p.node.value))));
    if (!nums.length) return undefined;
    const { path, node } = r.pick(nums);
    const v = /[a-z]$/.test(String(node.value)) ? r.pick(WEIRD_DURATIONS) : Number(r.pick(WEIRD_NUMBERS.filter((x) => !x.startsWith('.'))));
    doc.setIn(path, v);
    return `number ${path.join('.')}=${v}`;
  },
  unicode(r, doc) {
    const strs = paths(doc).filter((p) => isScalar(p.node) && typeof p.node.value === 'string');
    if (!strs.length) return undefined;
    const { path, node } = r.pick(strs);
    const s = String(node.value);
    const at = r.int(s.length + 1);
    doc.setIn(path, s.slice(0, at) + r.pick(UNICODE) + s.slice(at));
    return `unicode in ${path.join('.')}`;
  },
  renameKey(r, doc) {
    const maps = paths(doc).filter((p) => isMap(p.node) && p.node.items.length > 0);
    if (!maps.length) return undefined;
    const { node } = r.pick(maps);
    const pair = node.items[r.int(node.items.length)];
    if (isScalar(pair.key)) pair.key.value = `${pair.key.value}${r.pick(['x', '_', 'S', ' ', '\u200b'])}`;
    return 'renamed a key';
  },
  complexKey(r, doc) {
    const maps = paths(doc).filter((p) => isMap(p.node));
    if (!maps.length) return undefined;
    const { node } = r.pick(maps);
    node.items.push(doc.createPair(doc.createNode(r.pick([['a', 'b'], { k: 1 }])), 1));
    return 'complex key';
  },
};

// Text mutations on the serialised YAML (or raw bytes).
/** @type {Record<string, (r: Rng, t: string) => string>} */
const TEXTUAL = {
  truncate: (r, t) => t.slice(0, r.int(t.length)),
  crOnly: (r, t) => t.replace(/\n/g, '\r'),
  crlf: (r, t) => t.replace(/\n/g, '\r\n'),
  aliasBomb: (r, t) => {
    const lines = ['x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    const depth = r.pick([3, 6, 9, 12]);
    for (let i = 1; i <= depth; i++)
      lines.push(
        `x${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    return r.next() < 0.5
      ? `${lines.join('\n')}\n${t}`
      : t.replace(/^(\s*)seed: .*$/m, `$1seed: &s [${Array(9).fill('1').join(',')}]\n$1x: [${Array(50).fill('*s').join(',')}]`);
  },
  unresolvedAlias: (r, t) => t.replace(/^(\s*[a-zA-Z]+: )\S.*$/m, '$1*nowhere'),
  duplicateKey: (r, t) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  },
  deleteLine: (r, t) => {
    const lines = t.split('\n');
    lines.splice(r.int(lines.length), 1 + r.int(3));
    return lines.join('\n');
  },
  indent: (r, t) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines[i] = ' '.repeat(r.pick([1, 3, 40, 2000])) + (lines[i] ?? '');
    return lines.join('\n');
  },
  newlineInValue: (r, t) => t.replace(/(name: )([a-z][a-z0-9-]*)/, '$1"$2\\nsecond line"'),
  hugeDuration: (r, t) => t.replace(/duration: \S+/, `duration: ${r.pick(['1000000000s', '50000s', '3600s', '1e9s'])}`),
  hugeRate: (r, t) => t.replace(/rate: [0-9.]+/, `rate: ${r.pick(['1e7', '65535', '1e12', '-5', '.nan'])}`),
  istioFile: (r, t) =>
    t.replace(
      /^spec:\n/m,
      `spec:\n  istioFiles: [${r.pick(['/dev/zero', '.', 'istio', '../../../../etc/passwd', '/etc/hostname', 'nope.yaml', '"\\n"'])}]\n`,
    ),
  deepNest: (r, t) => t.replace(/^spec:\n/m, `spec:\n  x: ${'['.repeat(r.pick([100, 3000]))}\n`),
  tabs: (r, t) => t.replace(/^ {2}/gm, '\t'),
};

/** @type {Record<string, (r: Rng, bytes: Buffer) => Buffer>} */
const BINARY = {
  garbage: (r, bytes) => {
    const junk = Buffer.alloc(1 + r.int(64));
    for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
    const at = r.int(bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
  },
  utf16: (r, bytes) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bytes.toString('utf8'), 'utf16le')]),
  latin1: (r, bytes) => Buffer.from(bytes.toString('utf8').replace(/name: /, 'name: caf\u00e9 '), 'latin1'),
  nul: (r, bytes) => Buffer.concat([bytes.subarray(0, r.int(bytes.length)), Buffer.from([0]), bytes.subarray(r.int(bytes.length))]),
};

export const MUTATION_KINDS = [...Object.keys(STRUCTURAL), ...Object.keys(TEXTUAL), ...Object.keys(BINARY)];

/**
 * One mutant of `text`: 1-3 mutations. Returns the bytes and what was done.
 * @param {string} text
 * @param {Rng} r
 * @returns {{ bytes: Buffer, mutations: string[] }}
 */
export function mutate(text, r) {
  /** @type {string[]} */
  const done = [];
  let doc = parseDocument(text, { uniqueKeys: false, logLevel: 'silent' });
  let out = text;
  const n = 1 + (r.next() < 0.3 ? r.int(3) : 0);
  /** @type {Buffer | undefined} */
  let bytes;
  for (let i = 0; i < n; i++) {
    const family = r.next();
    if (family < 0.5 && doc && doc.errors.length === 0) {
      const name = r.pick(Object.keys(STRUCTURAL));
      try {
        const what = STRUCTURAL[name]?.(r, doc);
        if (what) {
          done.push(name);
          out = doc.toString({ lineWidth: 0 });
        }
      } catch {
        // a mutation the yaml library cannot serialise: skip it
      }
    } else if (family < 0.9) {
      const name = r.pick(Object.keys(TEXTUAL));
      out = TEXTUAL[name]?.(r, out) ?? out;
      done.push(name);
      doc = parseDocument(out, { uniqueKeys: false, logLevel: 'silent' });
    } else {
      const name = r.pick(Object.keys(BINARY));
      bytes = BINARY[name]?.(r, bytes ?? Buffer.from(out, 'utf8'));
      done.push(name);
      break; // bytes from here on
    }
  }
  return { bytes: bytes ?? Buffer.from(out, 'utf8'), mutations: done };
}
