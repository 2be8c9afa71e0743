// Output sets are atomic (all of a run's files, or all of the previous run's, never a mix), a bad
// --out is refused before anything runs, and a lock refuses a second run into the same --out.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/config/diagnostics.js';
import { MANIFEST, checkOutDir, lockOutDir } from '../../src/report/output-dir.js';
import { writeAll as writeOutputSet } from '../../src/report/write.js';

const dir = mkdtempSync(join(tmpdir(), 'meshsim-out-'));
const messageOf = (f: () => void): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n');
    throw e;
  }
  return '';
};

describe('--out checks', () => {
  it('refuse an existing file and a path under a file', () => {
    writeFileSync(join(dir, 'afile'), 'x');
    expect(messageOf(() => checkOutDir(join(dir, 'afile')))).toMatch(
      /^meshsim:1:1: --out ".*afile": it is an existing file, not a directory$/,
    );
    expect(messageOf(() => checkOutDir(join(dir, 'afile', 'x', 'y')))).toMatch(/afile" is a file, not a directory$/);
  });

  it('accept a new directory under an existing one', () => {
    expect(messageOf(() => checkOutDir(join(dir, 'new', 'deeper')))).toBe('');
  });
});

describe('output sets', () => {
  it('replace the previous set as a whole: no file of the old set survives beside the new one', () => {
    const out = join(dir, 'set');
    writeOutputSet(out, { 'results.json': 'old', 'report.html': 'old' });
    writeOutputSet(out, { 'results.json': 'new' });
    expect(readdirSync(out).sort()).toEqual([MANIFEST, 'results.json']);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe('new');
    expect(readdirSync(dir).filter((f) => f.includes('meshsim-'))).toEqual([]);
  });

  it('never move or delete a directory meshsim did not create: files are written in place, the manifest last', () => {
    const out = join(dir, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    writeOutputSet(out, { 'results.json': 'new' });
    expect(readdirSync(out).sort()).toEqual([MANIFEST, 'notes.txt', 'results.json']);
    expect(JSON.parse(readFileSync(join(out, MANIFEST), 'utf8'))).toEqual({ meshsim: 'output-set', files: ['results.json'] });
  });

  it('refuse a second concurrent run into the same --out, and release the lock afterwards', () => {
    const out = join(dir, 'locked');
    const release = lockOutDir(out);
    expect(messageOf(() => lockOutDir(out))).toMatch(/another meshsim run \(pid \d+\) is writing there/);
    writeOutputSet(out, { 'results.json': '{}' });
    release();
    expect(messageOf(() => lockOutDir(out)())).toBe('');
  });

  it('take over a stale lock left by a process that is gone', () => {
    const out = join(dir, 'stale');
    writeFileSync(join(dir, '.stale.meshsim-lock'), '999999999\n');
    expect(messageOf(() => lockOutDir(out)())).toBe('');
    expect(existsSync(join(dir, '.stale.meshsim-lock'))).toBe(false);
  });
});
