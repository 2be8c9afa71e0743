// Machine instructions per simulated end-user request, counted by valgrind: about the same number
// on a quiet machine and a noisy one (repeats agree within ~1–4%: count twice or more), where
// wall-clock A/B runs of the same code on the shared build machines spread ±5% to ±30% per run.
// For comparing two builds of a change to the hot path; it measures work done, not time (cache
// misses and branch mispredictions do not show), so confirm a gain with timed runs too. Needs
// Debian's `valgrind`.
//
//   node bench/instructions.js [distDir ...]            (default: this checkout's dist/)
//   SCENARIO=bench/scenarios/mm4.yaml SHORT=300 LONG=900 node bench/instructions.js
//
// Each build runs simulate() of the scenario twice in fresh processes under `valgrind --tool=
// cachegrind`, for SHORT and LONG simulated seconds; start-up, loading and most compiling are
// the same in both, so (instructions of the long run − those of the short run) / (its extra
// requests) is the steady state's cost per request. V8 runs under the build's own flags
// (dist/cli/v8-flags.js), single-threaded, with fixed hash and random seeds and a fixed GC
// schedule, so the count does not depend on timing.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scenario = resolve(process.env.SCENARIO ?? join(root, 'bench', 'scenarios', 'three-tier-sidecar.yaml'));
const short = Number(process.env.SHORT ?? 25);
const long = Number(process.env.LONG ?? 65);
const dists = process.argv.slice(2).length ? process.argv.slice(2).map((d) => resolve(d)) : [join(root, 'dist')];

/** The settings every count runs under, beside the build's own V8 flags (its dist/cli/v8-flags.js, as `meshsim` runs). */
const DETERMINISTIC_V8 = ['--single-threaded', '--hash-seed=1', '--random-seed=1', '--predictable-gc-schedule'];

/** The V8 flags `dist` runs under (a build older than V8_FLAGS_AFTER_START has V8_FLAGS alone). @param {string} dist @returns {Promise<string[]>} */
const buildFlags = async (dist) => {
  const flags = await import(pathToFileURL(join(dist, 'cli', 'v8-flags.js')).href);
  return [...flags.V8_FLAGS, ...(flags.V8_FLAGS_AFTER_START ?? [])];
};

/** simulate() of `scenario` for `seconds`, printing "requests" (the child's program). */
const child = (/** @type {string} */ dist, /** @type {number} */ seconds) => `
const { loadScenario } = await import(${JSON.stringify(pathToFileURL(join(dist, 'analysis', 'load.js')).href)});
const { simulate } = await import(${JSON.stringify(pathToFileURL(join(dist, 'sim', 'simulate.js')).href)});
const state = simulate(loadScenario(${JSON.stringify(scenario)}).scenario, { durationUs: ${seconds * 1e6} });
console.log('requests ' + state.endUser.total);`;

/** Instructions and requests of one run under valgrind. */
function count(/** @type {string} */ dist, /** @type {string[]} */ flags, /** @type {number} */ seconds) {
  const r = spawnSync(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      '--smc-check=all-non-file',
      process.execPath,
      ...flags,
      ...DETERMINISTIC_V8,
      '--input-type=module',
      '-e',
      child(dist, seconds),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.error) throw new Error(`valgrind: ${r.error.message} (Debian: apt-get install valgrind)`);
  const requests = Number(/^requests (\d+)$/m.exec(r.stdout)?.[1]);
  const instructions = Number(/I\s+refs:\s+([\d,]+)/.exec(r.stderr)?.[1]?.replaceAll(',', ''));
  if (r.status !== 0 || !requests || !instructions)
    throw new Error(`run under valgrind failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { requests, instructions };
}

console.log(`instructions per request, ${scenario} (${short} s and ${long} s simulated, valgrind)`);
for (const dist of dists) {
  const flags = await buildFlags(dist);
  const a = count(dist, flags, short);
  const b = count(dist, flags, long);
  const perRequest = (b.instructions - a.instructions) / (b.requests - a.requests);
  console.log(`${dist}: ${Math.round(perRequest).toLocaleString('en-US')} instructions/request [${a.requests} -> ${b.requests} requests]`);
}
