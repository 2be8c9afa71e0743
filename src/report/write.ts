/** Atomic file output: write a temp file beside the target, then rename it into place. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let tmpCounter = 0;

export function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.meshsim-${process.pid}-${tmpCounter++}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** Writes a set of files: all are rendered first, so an error leaves nothing half-written. */
export function writeAll(dir: string, files: Record<string, string>): string[] {
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeAtomic(path, content);
    written.push(path);
  }
  return written;
}

export const stableJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
