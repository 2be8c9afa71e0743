// Bad input files are positioned errors, never crashes or hangs: directories, devices, FIFOs,
// oversized files, non-UTF-8 bytes; CR-only files read as YAML 1.2 says (CR is a line break).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES, decodeInput, readInputText, resolveBeside } from '../../src/config/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'meshsim-input-'));
const problemOf = (file: string) => {
  const r = readInputText(file, 'scenario');
  return r.ok ? undefined : r.problem.message;
};

describe('reading input files', () => {
  it('refuses a directory and a character device before reading anything (EISDIR, /dev/zero)', () => {
    expect(problemOf(dir)).toBe('cannot read scenario: it is a directory');
    expect(problemOf('/dev/zero')).toMatch(/not a regular file/);
  });

  it('refuses a FIFO without blocking on it', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(problemOf(fifo)).toMatch(/not a regular file/);
  });

  it('refuses a file over the size limit', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20));
    expect(problemOf(big)).toMatch(/16\.0 MiB limit/);
  });

  it('names a missing file', () => {
    expect(problemOf(join(dir, 'nope.yaml'))).toBe('cannot read scenario: no such file');
  });

  it('normalises CR and CR LF line breaks to LF (YAML 1.2 §5.4)', () => {
    const r = decodeInput('f', Buffer.from('a: 1\rb: 2\r\nc: 3\n'));
    expect(r).toEqual({ ok: true, text: 'a: 1\nb: 2\nc: 3\n' });
  });

  it('refuses UTF-16, NUL bytes and invalid UTF-8 with the position of the bad byte', () => {
    expect(decodeInput('f', Buffer.from([0xff, 0xfe, 0x61, 0]))).toMatchObject({
      ok: false,
      problem: { message: expect.stringMatching(/UTF-16/) },
    });
    expect(decodeInput('f', Buffer.from('a: 1\nb: \0'))).toMatchObject({ ok: false, problem: { line: 2, col: 4 } });
    expect(decodeInput('f', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]))).toMatchObject({
      ok: false,
      problem: { line: 1, col: 4, message: expect.stringMatching(/invalid UTF-8 \(byte 0xe9\)/) },
    });
  });
});

describe('istioFiles paths', () => {
  const scenario = join(dir, 'tree', 'scn.yaml');
  mkdirSync(join(dir, 'tree', 'istio'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'istio', 'a.yaml'), 'x: 1\n');
  writeFileSync(join(dir, 'outside.yaml'), 'x: 1\n');
  symlinkSync(join(dir, 'outside.yaml'), join(dir, 'tree', 'istio', 'link.yaml'));

  it('resolve relative to the scenario file, inside its directory tree', () => {
    expect(resolveBeside(scenario, 'istio/a.yaml', false)).toEqual({ path: join(dir, 'tree', 'istio', 'a.yaml') });
  });

  it('may not leave the scenario directory, by .., an absolute path or a symbolic link, unless allowed', () => {
    expect(resolveBeside(scenario, '../outside.yaml', false)).toHaveProperty('error');
    expect(resolveBeside(scenario, '/etc/passwd', false)).toHaveProperty('error');
    expect(resolveBeside(scenario, 'istio/link.yaml', false)).toHaveProperty('error');
    expect(resolveBeside(scenario, '../outside.yaml', true)).toEqual({ path: join(dir, 'outside.yaml') });
  });
});
