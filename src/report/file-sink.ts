/**
 * Streamed output files: text goes to disk through a bounded buffer as it is produced, so a long
 * run's metrics.om or events.jsonl never exists as one string in memory. Each file is written
 * under a temporary name in its directory and renamed into place by `OutputSet.commit`, after every
 * file of the set is complete; `abort` removes the temporary files, so a failure leaves the
 * directory as it was.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MANIFEST, manifestText, ownedByMeshsim, stagingDir, swapInto } from './output-dir.js';

/** Bytes (roughly: UTF-16 code units) buffered before a write to disk. */
const BUFFER_CHARS = 1 << 20;

export class FileSink {
  private parts: string[] = [];
  private buffered = 0;
  private fd: number | undefined;

  constructor(readonly tmpPath: string) {
    this.fd = openSync(tmpPath, 'w');
  }

  /** Appends text; flushed to disk whenever about 1 MiB is waiting. */
  write = (text: string): void => {
    this.parts.push(text);
    this.buffered += text.length;
    if (this.buffered >= BUFFER_CHARS) this.flush();
  };

  flush(): void {
    if (this.fd === undefined || this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.buffered = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

let setCounter = 0;

/**
 * The files of one output directory, written as one set. A directory meshsim owns (new, empty, or
 * holding its manifest) is staged whole beside it and swapped into place by `commit`, so it holds
 * this set or the previous one, never a mix (output-dir.ts). Any other directory (the user's own,
 * say `--out .`) is never moved: its files are written as temporaries, renamed into place, and the
 * manifest `.meshsim-output` (removed first) is written last.
 */
export class OutputSet {
  private readonly files = new Map<string, FileSink>();
  private readonly tag = `.meshsim-${process.pid}-${setCounter++}`;
  private readonly staged: string | undefined;

  constructor(readonly dir: string) {
    if (ownedByMeshsim(dir)) this.staged = stagingDir(dir);
    else {
      mkdirSync(dir, { recursive: true });
      rmSync(join(dir, MANIFEST), { force: true });
    }
  }

  /** A streamed file of the set (created now, under a temporary name). */
  file(name: string): FileSink {
    const path = this.staged ? join(this.staged, name) : join(this.dir, `${this.tag}-${name}.tmp`);
    if (this.staged) mkdirSync(dirname(path), { recursive: true });
    const sink = new FileSink(path);
    this.files.set(name, sink);
    return sink;
  }

  /** A file of the set whose whole content is at hand. */
  text(name: string, content: string): void {
    const sink = this.file(name);
    sink.write(content);
    sink.close();
  }

  /** Closes every file and puts the set in place; returns the final paths, in creation order. */
  commit(): string[] {
    for (const sink of this.files.values()) sink.close();
    const names = [...this.files.keys()];
    if (this.staged) {
      writeFileSync(join(this.staged, MANIFEST), manifestText(names));
      swapInto(this.staged, this.dir);
    } else {
      for (const [name, sink] of this.files) renameSync(sink.tmpPath, join(this.dir, name));
      writeFileSync(join(this.dir, MANIFEST), manifestText(names));
    }
    this.files.clear();
    return names.map((n) => join(this.dir, n));
  }

  /** Removes the temporary files (after a failure). */
  abort(): void {
    for (const sink of this.files.values()) {
      try {
        sink.close();
      } finally {
        rmSync(sink.tmpPath, { force: true });
      }
    }
    this.files.clear();
    if (this.staged) rmSync(this.staged, { recursive: true, force: true });
  }
}
