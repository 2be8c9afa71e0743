/**
 * objectArray() hands out arrays V8 already stores as arrays of objects, so optimised code that
 * pushed objects into the arrays of one run is not thrown away at the next run's fresh arrays
 * (src/kernel/object-array.ts). Checked in a child process with V8's natives syntax: the map
 * (which carries the elements kind) of every objectArray() is the one a `[]` has once it held an
 * object and a hole, whatever other objectArray()s went through.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { objectArray } from '../../src/kernel/object-array.js';

const MODULE = fileURLToPath(new URL('../../dist/kernel/object-array.js', import.meta.url));

/** Runs `body` (with objectArray in scope) under --allow-natives-syntax; returns what it prints. */
function natives(body: string): string {
  const script = `import(${JSON.stringify(MODULE)}).then(({ objectArray }) => { ${body} });`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe('objectArray', () => {
  it('is empty and works as any array', () => {
    const a = objectArray<{ n: number }>();
    expect(a).toEqual([]);
    a.push({ n: 1 }, { n: 2 });
    expect(a.pop()).toEqual({ n: 2 });
    expect(a).toEqual([{ n: 1 }]);
  });

  it("has the map of a [] that took an object and a hole, not a fresh []'s (small integers)", () => {
    const out = natives(`
      const widest = []; widest[1] = {}; widest.length = 0;
      const a = objectArray();
      const b = objectArray(); b.push({}, {}); b.pop();
      const c = objectArray();
      console.log([%HaveSameMap(a, widest), %HaveSameMap(b, widest), %HaveSameMap(c, widest), %HaveSameMap([], widest)].join(' '));
      console.log([%HasObjectElements(a), %HasHoleyElements(a), %HasSmiElements([])].join(' '));
    `);
    expect(out).toBe('true true true false\ntrue true true');
  });
});
