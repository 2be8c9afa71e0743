// In-process measurements of meshsim's simulation: simulated requests per wall second of
// simulate() alone, the share of that time spent in garbage collection, and the time to build a
// large cluster.
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { loadScenario } from '#dist/analysis/load.js';
import { simulate } from '#dist/sim/simulate.js';

const secondsSince = (/** @type {bigint} */ start) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * Sums the durations of the GC pauses Node reports while `fn` runs (ms → s).
 * @template T @param {() => T} fn @returns {Promise<{ out: T, gcS: number }>}
 */
async function withGcTime(fn) {
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  const out = fn();
  await setTimeout(100); // the observer's entries arrive on a later turn of the event loop
  obs.disconnect();
  return { out, gcS: gcMs / 1000 };
}

/**
 * simulate() of `file` for `durationUs`, best of `reps` after a short warm-up run. Returns
 * requests/s (end-user requests finished), events/s and the GC share of the best run.
 * @param {string} file
 * @param {{ durationUs: number, warmupUs: number, reps?: number, mode?: import('#dist/config/model.js').MeshMode }} o
 * @returns {Promise<{ wall: number, requests: number, events: number, gcS: number }>}
 */
export async function simulationRate(file, { durationUs, warmupUs, reps = 3, mode }) {
  const { scenario } = loadScenario(file);
  simulate(scenario, { durationUs: warmupUs, mode });
  /** @type {{ wall: number, requests: number, events: number, gcS: number } | undefined} */
  let best;
  for (let i = 0; i < reps; i++) {
    globalThis.gc?.();
    const { out, gcS } = await withGcTime(() => {
      const start = process.hrtime.bigint();
      const state = simulate(scenario, { durationUs, mode });
      return { wall: secondsSince(start), requests: state.endUser.total, events: state.sim.processed };
    });
    const r = { ...out, gcS };
    if (!best || r.requests / r.wall > best.requests / best.wall) best = r;
  }
  if (!best) throw new Error('no repetitions');
  return best;
}

/** A scenario text with `services` services of `replicas` pods each on `nodes` nodes, sidecar mode. */
/** @param {number} services @param {number} replicas @param {number} nodes */
export function bigClusterYaml(services, replicas, nodes) {
  const lines = [
    'apiVersion: meshsim.dev/v1alpha1',
    'kind: Scenario',
    `metadata: {name: bench-cluster-${services * replicas}}`,
    'spec:',
    '  seed: 1',
    '  duration: 1s',
    '  mesh: {mode: sidecar}',
    `  cluster: {nodes: ${nodes}}`,
    '  services:',
  ];
  for (let s = 0; s < services; s++) {
    const next = s % 5 === 4 ? '' : `, calls: [{service: s${s + 1}}]`;
    lines.push(`    - {name: s${s}, replicas: ${replicas}, serviceTime: {distribution: exponential, mean: 2ms}${next}}`);
  }
  lines.push('  workload:');
  for (let s = 0; s < services; s += 5) lines.push(`    - {name: w${s}, target: s${s}, rate: 1}`);
  return `${lines.join('\n')}\n`;
}

/** Wall seconds to load `file` and to build its world (simulate() of a 1 µs run: setup, ~no events). */
/** @param {string} file */
export async function clusterBuild(file) {
  let start = process.hrtime.bigint();
  const { scenario } = loadScenario(file);
  const loadS = secondsSince(start);
  start = process.hrtime.bigint();
  const state = simulate(scenario, { durationUs: 1 });
  const buildS = secondsSince(start);
  const pods = state.cluster.serviceList.reduce((n, s) => n + s.pods.length, 0);
  return { loadS, buildS, pods };
}
