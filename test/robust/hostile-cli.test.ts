/**
 * Issue 12's findings, each through the real CLI entry point (in-process): every bad input is exit 2
 * with one positioned, printable line and nothing written; a runaway run is refused up front or
 * stopped by a budget with partial results marked partial; a routing loop fails with 508 and a warning.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'meshsim-hostile-'));
let stderr = '';
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

const BASE = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  seed: 1
  duration: 1s
  services:
    - {name: a}
  workload:
    - {name: u, target: a, rate: 10}
`;
let n = 0;
const scenario = (text: string | Buffer, sub = ''): string => {
  const d = join(dir, sub);
  mkdirSync(d, { recursive: true });
  const f = join(d, `s${n++}.yaml`);
  writeFileSync(f, text);
  return f;
};
const run = async (file: string, ...flags: string[]) => {
  stderr = '';
  const out = join(dir, `out${n++}`);
  const code = await main(['node', 'meshsim', 'run', file, '--out', out, '--quiet', ...flags]);
  return { code, out, lines: stderr.split('\n').filter(Boolean) };
};
/** Exit 2, one well-formed line matching `message`, nothing written. */
const refused = async (file: string, message: RegExp, ...flags: string[]) => {
  const r = await run(file, ...flags);
  expect(r.code).toBe(2);
  expect(r.lines).toHaveLength(1);
  const line = r.lines[0] as string;
  expect(line).toMatch(/^[^\n]+:\d+:\d+: error: /);
  expect([...line].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
  expect(line.length).toBeLessThanOrEqual(320);
  expect(line).toMatch(message);
  expect(existsSync(r.out)).toBe(false);
};

describe('bad input is exit 2, one line, nothing written', () => {
  it('a YAML alias bomb', async () => {
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 7; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    await refused(scenario(`${bomb.join('\n')}\n${BASE}`), /:\d+:\d+: error: aliases expand this document by over 1,000,000 nodes/);
  });

  it('an unresolved alias (seed: *x)', async () => {
    await refused(scenario(BASE.replace('seed: 1', 'seed: *x')), /:5:9: error: unresolved alias "\*x"/);
  });

  it('istioFiles naming a directory, /dev/zero, or a file outside the scenario tree', async () => {
    mkdirSync(join(dir, 'tree', 'istio'), { recursive: true });
    await refused(
      scenario(BASE.replace('  services:', '  istioFiles: [istio]\n  services:'), 'tree'),
      /"istio": cannot read Istio file: it is a directory/,
    );
    await refused(
      scenario(BASE.replace('  services:', '  istioFiles: [/dev/zero]\n  services:'), 'tree'),
      /outside the scenario directory/,
    );
    await refused(
      scenario(BASE.replace('  services:', '  istioFiles: [/dev/zero]\n  services:'), 'tree'),
      /not a regular file/,
      '--allow-outside-files',
    );
    await refused(
      scenario(BASE.replace('  services:', '  istioFiles: [../../../etc/passwd]\n  services:'), 'tree'),
      /outside the scenario/,
    );
  });

  it('--out that is a file or lies under one, checked before simulating', async () => {
    writeFileSync(join(dir, 'afile'), 'x');
    for (const out of [join(dir, 'afile'), join(dir, 'afile', 'x')]) {
      stderr = '';
      const code = await main(['node', 'meshsim', 'run', scenario(BASE), '--out', out, '--quiet']);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^meshsim:1:1: error: --out ".*": .*(existing file|is a file), not a directory\n$/);
    }
  });

  it('CR-only line endings read as line breaks (YAML 1.2), so errors have real positions', async () => {
    await refused(scenario(BASE.replace('seed: 1', 'seed: x').replace(/\n/g, '\r')), /:5:9: error: spec\.seed: expected number/);
  });

  it('a complex mapping key, without a Node warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    await refused(scenario(BASE.replace('  seed: 1', '  ? [a, b]\n  : 1')), /:5:5: error: a mapping key must be a plain value/);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a newline inside a value is escaped, not printed', async () => {
    await refused(scenario(BASE.replace('{name: a}', '{name: "a\\nb"}')), /\(got "a\\nb"\)$/);
  });

  it('duplicate keys, bad encodings (UTF-16, Latin-1, NUL bytes), files over 16 MiB, non-regular files', async () => {
    await refused(scenario(BASE.replace('  seed: 1', '  seed: 1\n  seed: 2')), /:6:3: error: invalid YAML: Map keys must be unique/);
    await refused(scenario(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(BASE, 'utf16le')])), /UTF-16/);
    await refused(scenario(Buffer.from(BASE.replace('{name: u,', '{name: caf\u00e9,'), 'latin1')), /:10:\d+: error: .*invalid UTF-8/);
    await refused(scenario(`${BASE}\0`), /binary data/);
    await refused(scenario(Buffer.alloc(16 * 1024 * 1024 + 10, 0x20)), /over the 16\.0 MiB limit/);
    await refused('/dev/zero', /not a regular file/);
  });
});

describe('work budgets', () => {
  // From the 10,000-mutant fuzz run: replicas 2147483647 built pods until the run hung.
  it('more replicas than a Kubernetes cluster can hold (150,000 pods, kubernetes.io cluster-large)', async () => {
    await refused(scenario(BASE.replace('{name: a}', '{name: a, replicas: 2147483647}')), /replicas.*150000/);
    const many = BASE.replace('{name: a}', '{name: a, replicas: 100000}\n    - {name: b, replicas: 60000}');
    await refused(scenario(many), /160000 pods in all: at most 150000/);
  });

  // From the 10,000-mutant fuzz run: a kind of one space printed as blanks inside the message.
  it('an Istio kind that is only whitespace is quoted in the message', async () => {
    const f = scenario('apiVersion: networking.istio.io/v1\nkind: " "\nmetadata: {name: x}\nspec: {}\n', 'kinds');
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((printed += String(s)), true));
    const code = await main(['node', 'meshsim', 'validate', f]);
    expect(code).toBe(2);
    expect(printed).toMatch(/:2:7: error: x: Istio has no kind " " in networking\.istio\.io/);
  });

  it('refuse a run whose estimate is over budget, naming the estimate and the flag', async () => {
    await refused(
      scenario(BASE.replace('duration: 1s', 'duration: 3600s').replace('rate: 10', 'rate: 1e7')),
      /error: the run would make about 36,000,000,000 calls .* raise --max-requests/,
    );
    await refused(
      scenario(BASE.replace('rate: 10', 'rate: 100')),
      /about 400 simulator events .* raise --max-events/,
      '--max-events',
      '100',
    );
  });

  it('stop a runaway overload at the in-flight budget, write partial results marked partial, exit 2', async () => {
    const flood = BASE.replace('{name: a}', '{name: a, concurrency: 4, serviceTime: {distribution: constant, value: 10ms}}')
      .replace('duration: 1s', 'duration: 20s')
      .replace('rate: 10', 'rate: 20000');
    const r = await run(scenario(flood), '--max-in-flight', '2000', '--outputs', 'results');
    expect(r.code).toBe(2);
    expect(r.lines.at(-1)).toMatch(/^meshsim: warning: partial results written to .*out\d+ \(results\.json says "partial"\)$/);
    expect(r.lines.at(-2)).toMatch(
      /error: run stopped at t=0\.\d+s: 2,001 calls in flight \(1,9\d\d queued at pod a-v1-0\): the system cannot keep up; raise --max-in-flight \(2,000\) or lower the rate$/,
    );
    const results = JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8')) as { partial?: { stopped_at_s: number } };
    expect(results.partial?.stopped_at_s).toBeLessThan(1);
  });

  it('count retries in the estimate: a retry storm (every attempt fails, 10 app retries) is refused up front', async () => {
    const storm = BASE.replace('{name: a}', '{name: a, failure: {rate: 1, status: 503}}')
      .replace('  services:', '  services:\n    - {name: f, calls: [{service: a, retries: 10}]}')
      .replace('target: a', 'target: f');
    await refused(
      scenario(storm),
      /about 120 calls \(10 end-user requests × 12\.0 calls each\), over the budget of 100; raise --max-requests/,
      '--max-requests',
      '100',
    );
  });
});

describe('output sets', () => {
  it('a second run into the same --out replaces the whole set (no file of the first survives)', async () => {
    const out = join(dir, 'set');
    const file = scenario(BASE);
    expect(await main(['node', 'meshsim', 'run', file, '--out', out, '--quiet'])).toBe(0);
    expect(await main(['node', 'meshsim', 'run', file, '--out', out, '--quiet', '--outputs', 'results'])).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.meshsim-output', 'results.json']);
  });
});

describe('routing loops through VirtualServices', () => {
  it("c's route pointing back to a fails with 508 Loop Detected and a warning, instead of running 0 requests", async () => {
    const loop = `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: loop}
spec:
  duration: 2s
  mesh: {mode: sidecar}
  services:
    - {name: a, calls: [{service: c}]}
    - {name: c}
  istio: |
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: c}
    spec:
      hosts: [c]
      http:
        - route:
            - destination: {host: a}
  workload:
    - {name: u, target: a, rate: 10}
`;
    const r = await run(scenario(loop), '--outputs', 'results');
    expect(r.code).toBe(0);
    expect(stderr).toMatch(/warning: routing loop: \d+ calls .* failed with 508 Loop Detected/);
    const results = JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8')) as {
      requests: { total: number; by_code: Record<string, number> };
    };
    expect(results.requests.total).toBeGreaterThan(0);
    expect(results.requests.by_code['500']).toBe(results.requests.total);
  });
});
