/**
 * Streamed output files: text goes to disk through a bounded buffer as it is produced, so a long
 * run's metrics.om or events.jsonl never exists as one string in memory. Each file is written
 * under a temporary name in its directory and renamed into place by `OutputSet.commit`, after every
 * file of the set is complete; `abort` removes the temporary files, so a failure leaves the
 * directory as it was.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

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

/** The files of one output directory, written as temporaries and renamed into place together. */
export class OutputSet {
  private readonly files = new Map<string, FileSink>();
  private readonly tag = `.meshsim-${process.pid}-${setCounter++}`;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** A streamed file of the set (created now, under a temporary name). */
  file(name: string): FileSink {
    const sink = new FileSink(join(this.dir, `${this.tag}-${name}.tmp`));
    this.files.set(name, sink);
    return sink;
  }

  /** A file of the set whose whole content is at hand. */
  text(name: string, content: string): void {
    const sink = this.file(name);
    sink.write(content);
    sink.close();
  }

  /** Closes every file and renames each into place; returns the final paths, in creation order. */
  commit(): string[] {
    const out: string[] = [];
    for (const sink of this.files.values()) sink.close();
    for (const [name, sink] of this.files) {
      const path = join(this.dir, name);
      renameSync(sink.tmpPath, path);
      out.push(path);
    }
    this.files.clear();
    return out;
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
  }
}
