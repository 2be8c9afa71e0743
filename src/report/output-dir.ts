/**
 * An output directory is written as one set: either every file of this run is there, or the
 * previous set is (never a mix). The set is written into a private directory beside `--out` and
 * renamed into place; the previous set is renamed away first and removed afterwards. A directory
 * meshsim did not create (say `--out .`, holding the user's own files) is never moved or removed:
 * there the files are written one by one (each atomically) and the manifest `.meshsim-output`
 * last, after the old manifest was removed first, so a directory without it is incomplete.
 * A lock file beside the directory refuses a second concurrent run into the same `--out`.
 */
import { accessSync, constants, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { closeSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../config/diagnostics.js';
import { excerpt } from '../config/printable.js';

/** Written last in every output set: the files of the set. */
export const MANIFEST = '.meshsim-output';

let counter = 0;

const outProblem = (out: string, message: string) =>
  new InputError([{ file: 'meshsim', line: 1, col: 1, severity: 'error', message: `--out ${excerpt(out, 60)}: ${message}` }]);

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Checks, before anything runs, that `out` can become an output directory (InputError if not). */
export function checkOutDir(out: string): void {
  if (out.trim() === '') throw outProblem(out, 'give a directory');
  const abs = resolve(out);
  let probe = abs;
  // The nearest existing path: the directory itself, or the ancestor that will hold it.
  while (!exists(probe) && dirname(probe) !== probe) probe = dirname(probe);
  let st;
  try {
    st = statSync(probe);
  } catch {
    throw outProblem(out, `${probe === abs ? 'it' : excerpt(probe, 60)} is a broken symbolic link`);
  }
  if (!st.isDirectory()) {
    throw outProblem(out, probe === abs ? 'it is an existing file, not a directory' : `${excerpt(probe, 60)} is a file, not a directory`);
  }
  try {
    accessSync(probe, constants.W_OK | constants.X_OK);
  } catch {
    throw outProblem(out, `${probe === abs ? 'it' : excerpt(probe, 60)} is not writable`);
  }
}

/**
 * Checks `out` and takes its lock, before anything runs: a lock file beside the directory refuses
 * a second concurrent run into the same `--out`. Returns the release (also run at process exit).
 */
export function lockOutDir(out: string): () => void {
  checkOutDir(out);
  const abs = resolve(out);
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const lock = join(parent, `.${basename(abs)}.meshsim-lock`);
  takeLock(lock, out);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSync(lock, { force: true });
  };
  process.on('exit', release);
  return release;
}

function takeLock(lock: string, out: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw outProblem(out, `cannot create its lock file (${(e as NodeJS.ErrnoException).code})`);
    }
    const pid = Number.parseInt(readText(lock) ?? '', 10);
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
      throw outProblem(out, `another meshsim run (pid ${pid}) is writing there; wait for it or choose another --out`);
    }
    rmSync(lock, { force: true }); // stale: its process is gone
  }
  throw outProblem(out, 'another meshsim run keeps taking its lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Missing, an empty directory, or one holding a meshsim manifest — never the working directory. */
export function ownedByMeshsim(dir: string): boolean {
  const abs = resolve(dir);
  const rel = relative(abs, process.cwd());
  if (rel === '' || !rel.startsWith('..')) return false; // the cwd or one of its ancestors
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return true;
  }
  if (!st.isDirectory()) return false;
  const entries = readdirSync(abs);
  return entries.length === 0 || entries.includes(MANIFEST);
}

export const manifestText = (names: string[]): string => `${JSON.stringify({ meshsim: 'output-set', files: names })}\n`;

/**
 * Moves the complete set in `staged` to `dir`: the previous set is renamed away first and
 * removed after, so `dir` holds one whole set or the other, never a mix.
 */
export function swapInto(staged: string, dir: string): void {
  const abs = resolve(dir);
  const old = join(dirname(abs), `.${basename(abs)}.meshsim-old-${process.pid}-${counter++}`);
  const hadOld = exists(abs);
  if (hadOld) renameSync(abs, old);
  try {
    renameSync(staged, abs);
  } catch (e) {
    if (hadOld) renameSync(old, abs);
    throw e;
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
}

/** A private directory beside `dir` to stage a set in. */
export function stagingDir(dir: string): string {
  const abs = resolve(dir);
  mkdirSync(dirname(abs), { recursive: true });
  const staged = join(dirname(abs), `.${basename(abs)}.meshsim-new-${process.pid}-${counter++}`);
  mkdirSync(staged);
  return staged;
}
