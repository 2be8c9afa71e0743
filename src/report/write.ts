/** Atomic file output: write a temp file beside the target, then rename it into place. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OutputSet } from './file-sink.js';

let tmpCounter = 0;

export function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.meshsim-${process.pid}-${tmpCounter++}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** Writes a set of files as one output set (file-sink.ts): the whole set is in place, or none of it. */
export function writeAll(dir: string, files: Record<string, string>): string[] {
  const set = new OutputSet(dir);
  try {
    for (const [name, content] of Object.entries(files)) set.text(name, content);
    return set.commit();
  } catch (e) {
    set.abort();
    throw e;
  }
}

export const stableJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
