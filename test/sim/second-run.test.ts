/**
 * A process that simulates more than once (sweep, compare, capacity) keeps the request path's
 * optimised code from its first run: in the second, no function is deoptimised because an object
 * of the run changed the hidden classes or field types the code was compiled for
 * (src/kernel/stable-shapes.ts says how that happened). Each mode runs three-tier twice in a
 * child process under `node --trace-deopt`; V8 prints "marking dependent code" for each function
 * it throws away that way. --no-lazy-feedback-allocation gives every function its feedback at its
 * first call, as the command line's bundle ends up doing, so the second run is where an object
 * literal's boilerplate is made. Nor is the pod's serveNow deoptimised because the second run's
 * service-time sampler is another function than the first's ("wrong call target").
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODE_NAMES } from '../../src/modes/registry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');
const SCENARIO = join(ROOT, 'scenarios', 'three-tier.yaml');

/** Two runs of `mode` (30 s simulated, seeds 1 and 2); what V8 deoptimised by dependency in each. */
function dependentDeopts(mode: string): string[][] {
  const script = `
    const { loadScenario } = await import(${JSON.stringify(join(DIST, 'analysis', 'load.js'))});
    const { simulate } = await import(${JSON.stringify(join(DIST, 'sim', 'simulate.js'))});
    const { buildResults } = await import(${JSON.stringify(join(DIST, 'report', 'results.js'))});
    const { writeSync } = await import('node:fs');
    for (const seed of [1, 2]) {
      writeSync(1, '=== run\\n');
      buildResults(simulate(loadScenario(${JSON.stringify(SCENARIO)}).scenario, { seed, mode: ${JSON.stringify(mode)}, durationUs: 30e6 }));
    }`;
  const r = spawnSync(process.execPath, ['--no-lazy-feedback-allocation', '--trace-deopt', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return markedRuns(r);
}

/** Per run (split at "=== run"), the functions V8 marked for deoptimisation by a dependency. */
function markedRuns(r: SpawnSyncReturns<string>): string[][] {
  return perRun(r, (l) => (l.startsWith('[marking dependent code') ? (/SharedFunctionInfo ([^>]*)>/.exec(l)?.[1] ?? l) : undefined));
}

/** Per run (split at "=== run"), what `pick` finds in each line of V8's output (undefined: nothing). */
function perRun(r: SpawnSyncReturns<string>, pick: (line: string) => string | undefined): string[][] {
  if (r.status !== 0) throw new Error(r.stderr);
  const runs = r.stdout.split('=== run\n').slice(1);
  return runs.map((text) => text.split('\n').flatMap((l) => pick(l) ?? []));
}

/**
 * Three runs of `scenario` (30 s simulated, seeds 1-3) as a sweep worker thread runs its points: the
 * worker's own bundle (dist/bundle/point.cjs), with V8's usual lazy feedback; what V8 deoptimised
 * by dependency in each. A scenario with one service makes its service, version and call models
 * once per run, so their literals reach their boilerplates in the second run.
 */
function dependentDeoptsInWorkerBundle(scenario: string): string[][] {
  return markedRuns(workerBundleRuns(scenario));
}

/** Three points of `scenario` through the worker's bundle under `node --trace-deopt` (dependentDeoptsInWorkerBundle). */
function workerBundleRuns(scenario: string): SpawnSyncReturns<string> {
  const script = `
    const { loadPointBundle } = require(${JSON.stringify(join(DIST, 'bundle', 'launch.cjs'))});
    const { readFileSync, writeSync } = require('node:fs');
    const { runPoint } = loadPointBundle();
    const text = readFileSync(${JSON.stringify(scenario)}, 'utf8');
    for (const index of [0, 1, 2]) {
      writeSync(1, '=== run\\n');
      runPoint({ file: ${JSON.stringify(scenario)}, text, paths: {}, point: { index, params: {}, seed: index + 1 }, durationUs: 30e6 });
    }`;
  return spawnSync(process.execPath, ['--trace-deopt', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

describe('a second run in one process', () => {
  it.each(MODE_NAMES)('keeps the first run’s optimised code in mode %s', (mode) => {
    const [first, second] = dependentDeopts(mode);
    expect(first).toBeDefined();
    expect(second).toEqual([]);
  });

  it.each(['mm1.yaml', 'mmc.yaml'])('keeps it in a sweep worker’s bundle, for a scenario of one service (%s)', (file) => {
    const [first, second, third] = dependentDeoptsInWorkerBundle(join(ROOT, 'scenarios', file));
    expect(first).toBeDefined();
    expect(second).toEqual([]);
    expect(third).toEqual([]);
  });

  it('calls a service time sampler of every run through the same function: a pod serving a request is not deoptimised for it', () => {
    // A sampler was a closure, a new function in each run: the pod's serveNow, compiled with the
    // first run's inlined, was deoptimised in the second ("wrong call target").
    const wrongTarget = perRun(workerBundleRuns(join(ROOT, 'scenarios', 'mm1.yaml')), (l) =>
      l.includes('reason: wrong call target') ? /<JSFunction (\S+)/.exec(l)?.[1] : undefined,
    );
    expect(wrongTarget).toHaveLength(3);
    for (const run of wrongTarget) expect(run).not.toContain('serveNow');
  });
});
