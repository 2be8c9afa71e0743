/**
 * Files meshsim ships beside its code (profiles/, data/, schema/), found from the package root:
 * the nearest folder above this module that holds package.json. The compiled modules
 * (dist/config/…) and the bundle the command line runs (dist/bundle/…, scripts/bundle.mjs) sit at
 * different depths, so a fixed `../..` from import.meta.url would serve only one of them.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The meshsim package root (where package.json is). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`meshsim: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return (root = dir);
}

/** A file or folder the package ships, e.g. `packageFile('profiles')`. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
