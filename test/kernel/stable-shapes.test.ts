/**
 * stableRecord() and DOUBLE_ZERO keep the hidden classes of a run's long-lived objects the same
 * in the next run, so code optimised in a process's first run is not thrown away in its second
 * (src/kernel/stable-shapes.ts). Checked in a child process with V8's natives syntax, against
 * what an object literal and a field started at the integer 0 do. test/sim/second-run.test.ts
 * checks the whole request path.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOUBLE_ZERO, stableRecord } from '../../src/kernel/stable-shapes.js';

const MODULE = fileURLToPath(new URL('../../dist/kernel/stable-shapes.js', import.meta.url));

/** Runs `body` (with stableRecord and DOUBLE_ZERO in scope) under --allow-natives-syntax; returns what it prints. */
function natives(body: string): string {
  const script = `import(${JSON.stringify(MODULE)}).then(({ stableRecord, DOUBLE_ZERO }) => { ${body} });`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe('stableRecord', () => {
  it('holds the same fields, in the same order, in an object of its own', () => {
    const fields = { a: 1, b: 'two', c: { three: 3 } };
    const r = stableRecord(fields);
    expect(r).not.toBe(fields);
    expect(Object.entries(r)).toEqual(Object.entries(fields));
    expect(r.c).toBe(fields.c);
    expect(Object.getPrototypeOf(r)).not.toBe(Object.prototype);
  });

  it('keeps code optimised on a first run valid in the second, where an object literal does not', () => {
    // Each "run" makes its own Clock and the record holding it, as simulate() does; `read` is
    // optimised on the first run's record, then called on the second run's.
    const out = natives(`
      class Clock { constructor() { this.now = 0.5; } }
      const optimised = (f) => (%GetOptimizationStatus(f) & 16) !== 0;
      for (const [name, make] of [['literal', (clock) => ({ clock, n: 1 })], ['stableRecord', (clock) => stableRecord({ clock, n: 1 })]]) {
        const read = new Function('r', 'return r.clock.now;');
        const first = make(new Clock());
        %PrepareFunctionForOptimization(read);
        read(first); read(first);
        %OptimizeFunctionOnNextCall(read);
        read(first);
        const before = optimised(read);
        make(new Clock());
        make(new Clock());
        console.log(name, before, optimised(read));
      }
    `);
    expect(out).toBe('literal true false\nstableRecord true true');
  });
});

describe('DOUBLE_ZERO', () => {
  it('is zero, adds as zero and prints as 0', () => {
    expect(DOUBLE_ZERO === 0).toBe(true);
    expect(DOUBLE_ZERO + 2.5).toBe(2.5);
    expect(JSON.stringify({ x: DOUBLE_ZERO })).toBe('{"x":0}');
    expect(String(DOUBLE_ZERO)).toBe('0');
    expect(DOUBLE_ZERO.toFixed(2)).toBe('0.00');
  });

  it("keeps a class's map once its field takes a fraction, where an integer 0 deprecates it", () => {
    const out = natives(`
      class FromZero { usedUs = 0; }
      class FromDoubleZero { usedUs = DOUBLE_ZERO; }
      for (const C of [FromZero, FromDoubleZero]) {
        const first = new C();
        const fresh = new C();
        first.usedUs += 0.25;
        console.log(C.name, %HaveSameMap(new C(), fresh));
      }
    `);
    expect(out).toBe('FromZero false\nFromDoubleZero true');
  });
});
