/**
 * Bad scenario files and bad flags through the real CLI (dist/, built before the suite runs).
 * README.md "Exit codes": input errors exit 2 and print one line each to stderr,
 * `FILE:LINE:COL: error: MESSAGE` with LINE/COL of the offending node, and no stack trace;
 * nothing is written. `validate` reports the same diagnostics on stdout, also exiting 2.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'meshsim.js');
const MM1 = join(ROOT, 'scenarios', 'mm1.yaml');

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.length > 0);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A V8 stack frame line, e.g. "    at loadScenario (file:///…/load.js:12:3)". */
const STACK_FRAME = /^\s+at .+/m;

/** A valid scenario; each case below breaks one line of it. Line numbers are on the left. */
const BASE = [
  /*  1 */ 'apiVersion: meshsim.dev/v1alpha1',
  /*  2 */ 'kind: Scenario',
  /*  3 */ 'metadata:',
  /*  4 */ '  name: bad',
  /*  5 */ 'spec:',
  /*  6 */ '  duration: 5s',
  /*  7 */ '  mesh: {mode: none}',
  /*  8 */ '  cluster:',
  /*  9 */ '    nodes: 1',
  /* 10 */ '  services:',
  /* 11 */ '    - name: payment',
  /* 12 */ '      concurrency: 2',
  /* 13 */ '      serviceTime: {distribution: exponential, mean: 1ms}',
  /* 14 */ '      calls: [{service: ledger}]',
  /* 15 */ '    - name: ledger',
  /* 16 */ '  workload:',
  /* 17 */ '    - name: users',
  /* 18 */ '      target: payment',
  /* 19 */ '      rate: 10',
];

/** BASE with line `n` (1-based) replaced; `null` deletes it; an array inserts several lines. */
function withLine(n: number, replacement: string | string[] | null): string {
  const out = [...BASE];
  out.splice(n - 1, 1, ...(replacement === null ? [] : Array.isArray(replacement) ? replacement : [replacement]));
  return `${out.join('\n')}\n`;
}

interface BadCase {
  what: string;
  text: string;
  line: number;
  col: number;
  /** Substrings the message must contain: the field path and the bad value where there is one. */
  contains: string[];
  /** `validate` gets this case wrong today (see the it.fails test named here); only `run` is checked. */
  validateBug?: string;
}

const CASES: BadCase[] = [
  {
    what: 'YAML syntax error (compact nested map)',
    text: withLine(6, '  duration: 5s: 6s'),
    line: 6,
    col: 13, // the value "5s: 6s" starts after "  duration: " (12 characters)
    contains: ['invalid YAML'],
  },
  {
    what: 'a duplicate key',
    text: withLine(19, ['      rate: 10', '      rate: 20']),
    line: 20,
    col: 7, // the second "rate" key
    contains: ['invalid YAML', 'unique'],
  },
  {
    what: 'unknown field, with a did-you-mean',
    text: withLine(12, '      concurency: 2'),
    line: 12,
    col: 7, // the misspelt key itself
    contains: ['spec.services[0].concurency', 'unknown field', 'did you mean "concurrency"'],
  },
  {
    what: 'wrong type (string for an integer)',
    text: withLine(12, '      concurrency: many'),
    line: 12,
    col: 20, // the value "many"
    contains: ['spec.services[0].concurrency', '"many"'],
  },
  {
    what: 'a bad duration ("5x")',
    text: withLine(6, '  duration: 5x'),
    line: 6,
    col: 13,
    contains: ['spec.duration', '"5x"'],
  },
  {
    what: 'a duration given as a bare number',
    text: withLine(6, '  duration: 5'),
    line: 6,
    col: 13,
    contains: ['spec.duration', 'duration', '5'],
  },
  {
    what: 'a negative rate',
    text: withLine(19, '      rate: -10'),
    line: 19,
    col: 13,
    contains: ['spec.workload[0].rate', '-10'],
  },
  {
    what: 'an unknown workload client (keepalive or fortio)',
    text: withLine(19, ['      rate: 10', '      client: wrk']),
    line: 20,
    col: 15,
    contains: ['spec.workload[0].client', 'keepalive', 'fortio'],
  },
  {
    what: 'an unknown workload target',
    text: withLine(18, '      target: paymnt'),
    line: 18,
    col: 15,
    contains: ['spec.workload[0].target', '"paymnt"', 'did you mean "payment"'],
  },
  {
    what: 'an unknown called service',
    text: withLine(14, '      calls: [{service: ledgr}]'),
    line: 14,
    col: 25, // "      calls: [{service: " is 24 characters
    contains: ['spec.services[0].calls[0].service', '"ledgr"', 'did you mean "ledger"'],
  },
  {
    what: 'invalid DNS-1123 name "Payment_Svc"',
    text: withLine(4, '  name: Payment_Svc'),
    line: 4,
    col: 9,
    contains: ['metadata.name', 'DNS-1123', '"Payment_Svc"'],
  },
  {
    what: 'invalid service name "Payment_Svc"',
    text: withLine(11, '    - name: Payment_Svc'),
    line: 11,
    col: 13,
    contains: ['spec.services[0].name', '"Payment_Svc"'],
  },
  {
    what: 'an unknown distribution',
    text: withLine(13, '      serviceTime: {distribution: gamma, mean: 1ms}'),
    line: 13,
    col: 35, // the value "gamma"
    contains: ['spec.services[0].serviceTime.distribution', 'unknown distribution'],
  },
  {
    what: 'an empty file',
    text: '',
    line: 1,
    col: 1,
    contains: ['empty'],
    validateBug: 'validate reports an empty file as an error, like run',
  },
  {
    what: 'a file of comments only',
    text: '# nothing here yet\n',
    line: 1,
    col: 1,
    contains: ['empty'],
    validateBug: 'validate reports an empty file as an error, like run',
  },
  {
    what: 'missing required field spec.duration',
    text: withLine(6, null),
    line: 6,
    col: 3, // the spec mapping that lacks it (its first key, "mesh", after the deletion)
    contains: ['spec.duration', 'required'],
  },
  {
    what: 'an unknown mesh mode',
    text: withLine(7, '  mesh: {mode: istio}'),
    line: 7,
    col: 16,
    contains: ['spec.mesh.mode', '"istio"', 'none', 'sidecar', 'ambient'],
  },
  {
    what: 'an unknown profile',
    text: withLine(7, '  mesh: {mode: none, profile: envoyx}'),
    line: 7,
    col: 31,
    contains: ['spec.mesh.profile', '"envoyx"'],
  },
];

let fileCounter = 0;
function writeCase(text: string): { file: string; out: string } {
  const n = fileCounter++;
  const file = join(tmp, `case-${n}.yaml`);
  writeFileSync(file, text);
  return { file, out: join(tmp, `out-${n}`) };
}

describe('the base scenario of the table', () => {
  it('is valid: run exits 0 and validate says ok', async () => {
    const { file, out } = writeCase(withLine(19, '      rate: 10'));
    const run = await cli(['run', file, '--out', out, '--duration', '1s']);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    const validate = await cli(['validate', file]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(`${file}: ok`);
  });
});

describe('bad scenario files', () => {
  const files = CASES.map((c) => writeCase(c.text));
  // One `validate` over every bad file (a process per file would double the suite's time).
  let validateAll: Promise<CliResult> | undefined;
  const validated = () => (validateAll ??= cli(['validate', ...files.map((f) => f.file)]));

  it('validate exits 2 when any file is bad, and 2 for a single bad file', async () => {
    expect((await validated()).code).toBe(2);
    const single = await cli(['validate', (files[0] as { file: string }).file]);
    expect(single.code).toBe(2);
    expect(single.stdout).not.toMatch(STACK_FRAME);
  });

  it.concurrent.for(CASES.map((c, i) => ({ ...c, ...files[i]! })))(
    '$what: exit 2, one positioned line at $line:$col, nothing written',
    async (c, { expect }) => {
      const { file, out } = c;
      const run = await cli(['run', file, '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      expect(run.stdout).toBe('');
      const errLines = lines(run.stderr);
      expect(errLines, run.stderr).toHaveLength(1);
      const line = errLines[0]!;
      const m = new RegExp(`^${escapeRegExp(file)}:(\\d+):(\\d+): error: (.+)$`).exec(line);
      expect(m, line).not.toBeNull();
      const [, l, col, message] = m as RegExpExecArray;
      expect([Number(l), Number(col)], line).toEqual([c.line, c.col]);
      for (const s of c.contains) expect(message, line).toContain(s);
      expect(existsSync(out)).toBe(false);

      // validate reports the same diagnostic on stdout, and does not call the file ok.
      if (c.validateBug) return;
      const validate = await validated();
      expect(validate.stdout).not.toMatch(STACK_FRAME);
      expect(lines(validate.stdout)).toContain(line);
      expect(lines(validate.stdout)).not.toContain(`${file}: ok`);
    },
  );

  it('reports a file that does not exist at 1:1 with exit 2', async () => {
    const file = join(tmp, 'no-such-file.yaml');
    const out = join(tmp, 'out-missing');
    const run = await cli(['run', file, '--out', out]);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`${file}:1:1: error: cannot read scenario: no such file`]);
    expect(existsSync(out)).toBe(false);
  });

  // KNOWN BUG (src/config/yaml-source.ts, syntaxErrors): the yaml library reports an unterminated
  // quoted scalar at the point where it gave up looking for the closing quote — the end of the
  // file — and that offset is used as is, so the user is sent to the last line instead of the
  // scalar that is broken. Fails until the position is mapped back to the start of the token.
  it('reports an unterminated quoted scalar where the scalar starts, not at the end of the file', async () => {
    const { file, out } = writeCase(withLine(6, '  duration: "5s'));
    const run = await cli(['run', file, '--out', out]);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)[0]).toMatch(new RegExp(`^${escapeRegExp(file)}:6:13: error: invalid YAML`));
  });

  // KNOWN BUG (src/cli/validate.ts): a file that is not recognised as a scenario (isScenarioText) is
  // checked as Istio/Kubernetes YAML, and an empty or comment-only file then passes as "ok" with
  // exit 0, while `run` rejects the same file with exit 2 ("the scenario file is empty").
  it.for(['', '# nothing here yet\n'])('validate reports an empty file as an error, like run (%j)', async (text) => {
    const { file } = writeCase(text);
    const validate = await cli(['validate', file]);
    expect(validate.code).toBe(2);
    expect(validate.stdout).toMatch(new RegExp(`^${escapeRegExp(file)}:1:1: error: `));
  });

  // KNOWN BUG (src/config/zod-diagnostics.ts, invalid_union branch): for a discriminated union with
  // no matching discriminator the message ends "(got a mapping)" — the whole object — instead of
  // the bad discriminator value "gamma" the position points at.
  it('names the bad distribution value in the message', async () => {
    const { file, out } = writeCase(withLine(13, '      serviceTime: {distribution: gamma, mean: 1ms}'));
    const run = await cli(['run', file, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"gamma"');
  });
});

describe('bad flags', () => {
  const FLAG_CASES: { flags: string[]; mentions: string[] }[] = [
    { flags: ['--seed', 'abc'], mentions: ['--seed', 'abc'] },
    { flags: ['--seed', '-1'], mentions: ['--seed', '-1'] },
    { flags: ['--duration', '5x'], mentions: ['--duration', '5x'] },
    { flags: ['--duration', '0s'], mentions: ['--duration', '0s'] },
    { flags: ['--mode', 'bogus'], mentions: ['--mode', 'bogus'] },
    { flags: ['--sead', '3'], mentions: ['--sead'] },
  ];

  it.concurrent.for(FLAG_CASES)('run $flags exits 2 without a stack trace or output', async ({ flags, mentions }, { expect }) => {
    const out = join(tmp, `flags-${fileCounter++}`);
    const run = await cli(['run', MM1, '--out', out, ...flags]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    for (const s of mentions) expect(run.stderr).toContain(s);
    expect(existsSync(out)).toBe(false);
  });

  it.concurrent.for([
    [['--seed', 'abc'], '--seed: .*"abc"'],
    [['--duration', '5x'], '--duration: .*"5x"'],
  ] as [string[], string][])('run %j prints one FILE:LINE:COL: error: line naming the flag', async ([flags, pattern], { expect }) => {
    const run = await cli(['run', MM1, '--out', join(tmp, `flags-${fileCounter++}`), ...flags]);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^[^:\\s]+:\\d+:\\d+: error: ${pattern}`));
  });

  // KNOWN BUG (src/cli/main.ts): --mode is checked by commander's .choices(), whose error
  // ("error: option '--mode <mode>' argument 'bogus' is invalid…" plus a help hint line) is not
  // the contract's one-line `FILE:LINE:COL: error: MESSAGE` that --seed and --duration produce.
  it('reports --mode bogus as one FILE:LINE:COL: error: line like the other flags', async () => {
    const run = await cli(['run', MM1, '--out', join(tmp, `flags-${fileCounter++}`), '--mode', 'bogus']);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/^[^:\s]+:\d+:\d+: error: --mode: .*bogus/);
  });

  // KNOWN BUG (src/cli/common.ts, parseOverrides): /^\d+$/ accepts integers beyond 2^53, which
  // Number() rounds, so distinct seeds silently run the same streams (99999999999999999999 runs,
  // and reports, seed 100000000000000000000). spec.seed rejects such values; the flag should too.
  it('rejects a --seed beyond Number.MAX_SAFE_INTEGER', async () => {
    const out = join(tmp, `flags-${fileCounter++}`);
    const run = await cli(['run', MM1, '--out', out, '--duration', '1s', '--seed', '99999999999999999999']);
    expect(run.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  // KNOWN BUG (src/cli/run.ts + src/sim/simulate.ts): the loader rejects spec.warmup >= spec.duration,
  // but --duration bypasses that check; simulate() clamps warmup to the duration and the run
  // "succeeds" with zero requests counted (mm1.yaml has warmup 20s).
  it('rejects a --duration that is not longer than spec.warmup', async () => {
    const out = join(tmp, `flags-${fileCounter++}`);
    const run = await cli(['run', MM1, '--out', out, '--duration', '10s']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--duration');
    expect(existsSync(out)).toBe(false);
  });
});
