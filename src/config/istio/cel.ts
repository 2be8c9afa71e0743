/**
 * A small evaluator for the subset of CEL (Common Expression Language) that Istio's CRDs use in
 * `x-kubernetes-validations` rules (istio/api kubernetes/customresourcedefinitions.gen.yaml), as the
 * Kubernetes API server evaluates them (https://kubernetes.io/docs/reference/using-api/cel/):
 * literals, `self`, field selection, `has()`, `? :`, `&& || !`, comparisons, `in`, `+`, the
 * `all`/`exists`/`exists_one` macros, `size`, `contains`, `startsWith`, `endsWith`, `matches`,
 * `substring`, `int`, `duration` and the Kubernetes URL library (`url`, `isURL`, `getScheme`).
 * An expression outside the subset is a parse error, reported to the caller, never guessed at.
 */

type Value = unknown;

interface Node {
  t: string;
  v?: Value;
  name?: string;
  args?: Node[];
  target?: Node;
  a?: Node;
  b?: Node;
  c?: Node;
}

class CelError extends Error {}

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()[\]{}]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new CelError(`cannot read CEL at ${JSON.stringify(src.slice(pos, pos + 10))}`);
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function unquote(tok: string): string {
  return tok.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function parse(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const eat = (t?: string): string => {
    const tok = toks[i];
    if (tok === undefined || (t !== undefined && tok !== t)) throw new CelError(`expected ${t ?? 'a token'} at ${tok ?? 'end'}`);
    i++;
    return tok;
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    while (peek() !== close) {
      items.push(expr());
      if (peek() === ',') eat(',');
    }
    eat(close);
    return items;
  };
  const primary = (): Node => {
    const tok = eat();
    if (/^\d/.test(tok)) return { t: 'lit', v: Number(tok) };
    if (tok.startsWith('"') || tok.startsWith("'")) return { t: 'lit', v: unquote(tok) };
    if (tok === '(') {
      const e = expr();
      eat(')');
      return e;
    }
    if (tok === '[') return { t: 'list', args: list(']') };
    if (tok === '{') {
      eat('}');
      return { t: 'lit', v: {} };
    }
    if (tok === 'true' || tok === 'false') return { t: 'lit', v: tok === 'true' };
    if (tok === 'null') return { t: 'lit', v: null };
    if (/^[A-Za-z_]/.test(tok)) {
      if (peek() === '(') {
        eat('(');
        return { t: 'call', name: tok, args: list(')') };
      }
      return { t: 'ident', name: tok };
    }
    throw new CelError(`unexpected ${tok}`);
  };
  const member = (): Node => {
    let n = primary();
    for (;;) {
      if (peek() === '.') {
        eat('.');
        const name = eat();
        if (peek() === '(') {
          eat('(');
          n = { t: 'method', name, target: n, args: list(')') };
        } else n = { t: 'field', name, target: n };
      } else if (peek() === '[') {
        eat('[');
        n = { t: 'index', target: n, a: expr() };
        eat(']');
      } else return n;
    }
  };
  const unary = (): Node => {
    if (peek() === '!') {
      eat();
      return { t: '!', a: unary() };
    }
    if (peek() === '-') {
      eat();
      return { t: 'neg', a: unary() };
    }
    return member();
  };
  const binary = (ops: string[], next: () => Node) => (): Node => {
    let n = next();
    while (ops.includes(peek() ?? '')) {
      const op = eat();
      n = { t: op, a: n, b: next() };
    }
    return n;
  };
  const mul = binary(['*', '/', '%'], unary);
  const add = binary(['+', '-'], mul);
  const rel = binary(['==', '!=', '<', '<=', '>', '>=', 'in'], add);
  const and = binary(['&&'], rel);
  const or = binary(['||'], and);
  function expr(): Node {
    const c = or();
    if (peek() !== '?') return c;
    eat('?');
    const a = expr();
    eat(':');
    return { t: '?', c, a, b: expr() };
  }
  const e = expr();
  if (i !== toks.length) throw new CelError(`unexpected ${toks[i]}`);
  return e;
}

/** Go's time.ParseDuration (what CEL's duration() accepts), in nanoseconds. */
function durationNs(s: unknown): number {
  if (typeof s !== 'string') throw new CelError('duration() needs a string');
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m && s !== '0') throw new CelError(`invalid duration ${JSON.stringify(s)}`);
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const p of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(p[1]) * unit[p[2]!]!; // the pattern admits only unit's keys
  return s.startsWith('-') ? -total : total;
}

/** Kubernetes' CEL url(): Go url.ParseRequestURI — an absolute URI or an absolute path. */
function parseUrl(s: unknown): { scheme: string } | undefined {
  // Go's url.Parse rejects control characters, spaces and bad percent-escapes.
  if (
    typeof s !== 'string' ||
    s === '' ||
    [...s].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f) ||
    /%(?![0-9A-Fa-f]{2})/.test(s)
  )
    return undefined;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(s);
  if (m) return { scheme: m[1]! };
  return s.startsWith('/') ? { scheme: '' } : undefined;
}

const size = (x: unknown): number => {
  if (typeof x === 'string') return [...x].length;
  if (Array.isArray(x)) return x.length;
  if (x && typeof x === 'object') return Object.keys(x).length;
  throw new CelError('size() of a scalar');
};

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function evaluate(n: Node, env: Record<string, unknown>): Value {
  const ev = (m: Node | undefined) => evaluate(m as Node, env);
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'list':
      return (n.args ?? []).map(ev);
    case 'ident':
      if (!(n.name! in env)) throw new CelError(`undeclared ${n.name}`);
      return env[n.name!];
    case 'field': {
      const o = ev(n.target);
      if (!isObj(o) || !(n.name! in o)) throw new CelError(`no such key: ${n.name}`);
      return o[n.name!];
    }
    case 'index': {
      const o = ev(n.target) as Record<string, unknown>;
      return o[String(ev(n.a))];
    }
    case '!':
      return !truthy(ev(n.a));
    case 'neg':
      return -(ev(n.a) as number);
    case '&&':
      return truthy(ev(n.a)) && truthy(ev(n.b));
    case '||':
      return truthy(ev(n.a)) || truthy(ev(n.b));
    case '?':
      return truthy(ev(n.c)) ? ev(n.a) : ev(n.b);
    case '==':
      return equal(ev(n.a), ev(n.b));
    case '!=':
      return !equal(ev(n.a), ev(n.b));
    case '<':
      return num(ev(n.a)) < num(ev(n.b));
    case '<=':
      return num(ev(n.a)) <= num(ev(n.b));
    case '>':
      return num(ev(n.a)) > num(ev(n.b));
    case '>=':
      return num(ev(n.a)) >= num(ev(n.b));
    case 'in': {
      const hay = ev(n.b);
      const x = ev(n.a);
      if (Array.isArray(hay)) return hay.some((h) => equal(h, x));
      if (isObj(hay)) return String(x) in hay;
      throw new CelError('in needs a list or map');
    }
    case '+': {
      const a = ev(n.a);
      const b = ev(n.b);
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      return (a as number) + (b as number);
    }
    case '-':
      return (ev(n.a) as number) - (ev(n.b) as number);
    case '*':
      return (ev(n.a) as number) * (ev(n.b) as number);
    case 'call':
      return call(n, env);
    case 'method':
      return method(n, env);
  }
  throw new CelError(`unsupported ${n.t}`);
}

/** Numbers compare as numbers, durations by their length. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (isObj(v) && typeof v.duration === 'number') return v.duration;
  throw new CelError('cannot compare');
}

function truthy(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new CelError('expected a boolean');
  return v;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null) return false;
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return a === b;
}

function call(n: Node, env: Record<string, unknown>): Value {
  const args = n.args ?? [];
  if (n.name === 'has') {
    const f = args[0];
    if (f?.t !== 'field') throw new CelError('has() needs a field selection');
    const o = evaluate(f.target as Node, env);
    return isObj(o) && f.name! in o && o[f.name!] !== undefined && o[f.name!] !== null;
  }
  const vals = args.map((a) => evaluate(a, env));
  switch (n.name) {
    case 'size':
      return size(vals[0]);
    case 'int': {
      const x = vals[0];
      const v = typeof x === 'string' ? (/^[-+]?\d+$/.test(x) ? Number(x) : NaN) : Math.trunc(x as number);
      if (Number.isNaN(v)) throw new CelError(`cannot convert ${JSON.stringify(x)} to int`);
      return v;
    }
    case 'duration':
      return { duration: durationNs(vals[0]) };
    case 'url': {
      const u = parseUrl(vals[0]);
      if (!u) throw new CelError(`URL parse error: ${String(vals[0])}`);
      return { url: u };
    }
    case 'isURL':
      return parseUrl(vals[0]) !== undefined;
  }
  throw new CelError(`unsupported function ${n.name}`);
}

function method(n: Node, env: Record<string, unknown>): Value {
  const name = n.name!;
  const args = n.args ?? [];
  if (name === 'all' || name === 'exists' || name === 'exists_one') {
    const coll = evaluate(n.target as Node, env);
    const v = args[0];
    if (v?.t !== 'ident') throw new CelError(`${name}() needs a variable`);
    const items = Array.isArray(coll) ? coll : isObj(coll) ? Object.keys(coll) : undefined;
    if (!items) throw new CelError(`${name}() needs a list or map`);
    const hits = items.filter((it) => truthy(evaluate(args[1]!, { ...env, [v.name!]: it }))).length;
    return name === 'all' ? hits === items.length : name === 'exists' ? hits > 0 : hits === 1;
  }
  const self = evaluate(n.target as Node, env);
  const vals = args.map((a) => evaluate(a, env));
  const str = () => {
    if (typeof self !== 'string') throw new CelError(`${name}() needs a string`);
    return self;
  };
  switch (name) {
    case 'size':
      return size(self);
    case 'contains':
      return str().includes(String(vals[0]));
    case 'startsWith':
      return str().startsWith(String(vals[0]));
    case 'endsWith':
      return str().endsWith(String(vals[0]));
    case 'matches':
      return new RegExp(String(vals[0]), 'u').test(str());
    case 'substring': {
      const cps = [...str()];
      const from = vals[0] as number;
      const to = (vals[1] as number | undefined) ?? cps.length;
      if (from < 0 || to > cps.length || from > to) throw new CelError('index out of range');
      return cps.slice(from, to).join('');
    }
    case 'getScheme':
      return (self as { url: { scheme: string } }).url.scheme;
  }
  throw new CelError(`unsupported method ${name}`);
}

const cache = new Map<string, Node | CelError>();

/**
 * Evaluates one validation rule against `self`. Returns true when it holds; false when it does
 * not or cannot be evaluated (the API server rejects the object either way).
 */
export function celRuleHolds(rule: string, self: unknown): boolean {
  let ast = cache.get(rule);
  if (!ast) {
    try {
      ast = parse(rule);
    } catch (e) {
      ast = e instanceof CelError ? e : new CelError(String(e));
    }
    cache.set(rule, ast);
  }
  if (ast instanceof CelError) throw new Error(`unsupported CEL rule ${JSON.stringify(rule)}: ${ast.message}`);
  try {
    const v = evaluate(ast, { self });
    return v === true;
  } catch (e) {
    if (e instanceof CelError) return false;
    throw e;
  }
}
