/**
 * Reading a user's input file safely: regular files only (a directory, /dev/zero, a FIFO or a
 * socket is refused before anything is read), at most MAX_INPUT_BYTES, strict UTF-8 text.
 * Line endings are normalised to LF: YAML 1.2 accepts CR LF, CR and LF as line breaks
 * (https://yaml.org/spec/1.2.2/#54-line-break-characters), and the yaml library positions and
 * messages assume LF, so a CR-only file would otherwise read as one huge line.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { InputError, type Diagnostic } from './diagnostics.js';

/** Larger inputs are refused: no real scenario or Istio manifest comes close. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export type InputText = { ok: true; text: string } | { ok: false; problem: Diagnostic };

const problem = (file: string, message: string, line = 1, col = 1): InputText => ({
  ok: false,
  problem: { file, line, col, severity: 'error', message },
});

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Why `file` cannot be read as text input, or its text. `what` names it in messages. */
export function readInputText(file: string, what = 'file'): InputText {
  let fd: number;
  try {
    // stat first: opening a FIFO for reading would block until a writer comes.
    const st = statSync(file);
    if (st.isDirectory()) return problem(file, `cannot read ${what}: it is a directory`);
    if (!st.isFile()) return problem(file, `cannot read ${what}: not a regular file (a device, FIFO or socket)`);
    if (st.size > MAX_INPUT_BYTES) return problem(file, `cannot read ${what}: ${mib(st.size)} is over the ${mib(MAX_INPUT_BYTES)} limit`);
    fd = openSync(file, 'r');
  } catch (e) {
    return problem(file, `cannot read ${what}: ${errnoReason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return problem(file, `cannot read ${what}: not a regular file`);
    // Read at most one byte past the limit: a file that grew since stat is still caught.
    const buf = Buffer.alloc(Math.min(st.size, MAX_INPUT_BYTES) + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_INPUT_BYTES) return problem(file, `cannot read ${what}: over the ${mib(MAX_INPUT_BYTES)} limit`);
    return decodeInput(file, buf.subarray(0, n), what);
  } catch (e) {
    return problem(file, `cannot read ${what}: ${errnoReason(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** Like readInputText, throwing InputError. */
export function readInputFile(file: string, what = 'file'): string {
  const r = readInputText(file, what);
  if (!r.ok) throw new InputError([r.problem]);
  return r.text;
}

/** Bytes → text: UTF-8 only (BOM allowed), no NUL bytes, line endings normalised to LF. */
export function decodeInput(file: string, bytes: Uint8Array, what = 'file'): InputText {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return problem(file, `cannot read ${what}: it is UTF-16 encoded; save it as UTF-8`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const at = position(bytes, nul);
    return problem(file, `cannot read ${what}: binary data (a NUL byte) is not YAML text`, at.line, at.col);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const at = position(bytes, bad);
    return problem(
      file,
      `cannot read ${what}: invalid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16)}); save it as UTF-8`,
      at.line,
      at.col,
    );
  }
  return { ok: true, text: text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text };
}

/** Line and column (1-based) of a byte offset; CR, LF and CR LF each end a line. */
function position(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    const b = bytes[i];
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search on prefixes would be wrong at a cut sequence; a linear scan by sequence is exact.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    try {
      decoder.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return Math.max(0, bytes.length - 1);
}

function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'a component of the path is not a directory';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return code ?? 'unknown error';
}

/**
 * `ref` (from the scenario `file`) resolved relative to the scenario's directory. Unless
 * `allowOutside`, the file (symbolic links followed) must lie inside that directory tree, so a
 * scenario from elsewhere cannot make meshsim read ../../etc/passwd.
 */
export function resolveBeside(file: string, ref: string, allowOutside: boolean): { path: string } | { error: string } {
  const base = resolvePath(file, '..');
  const path = resolvePath(base, ref);
  if (allowOutside) return { path };
  const inside = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  };
  if (!inside(base, path)) return { error: 'outside the scenario directory (pass --allow-outside-files to allow it)' };
  let realBase: string;
  let realPath: string;
  try {
    realBase = realpathSync(base);
    realPath = realpathSync(path);
  } catch {
    return { path }; // a missing file is reported by the reader, with its own reason
  }
  if (!inside(realBase, realPath)) return { error: 'links outside the scenario directory (pass --allow-outside-files to allow it)' };
  return { path };
}
