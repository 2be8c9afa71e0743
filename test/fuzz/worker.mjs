// Runs mutants through the real CLI entry point (dist/cli/main.js) inside a worker thread of the
// fuzzing process, capturing what it prints and any Node warning it triggers.
import { parentPort as port, workerData } from 'node:worker_threads';
import process from 'node:process';

if (!port) throw new Error('run me as a worker thread');
const parentPort = port;
const { main } = await import(workerData.mainUrl);

let out = '';
let err = '';
const cap = (/** @type {string} */ s, /** @type {unknown} */ chunk) => (s.length > 200_000 ? s : s + String(chunk));
process.stdout.write = (/** @type {unknown} */ chunk) => ((out = cap(out, chunk)), true);
process.stderr.write = (/** @type {unknown} */ chunk) => ((err = cap(err, chunk)), true);
/** @type {string[]} */
const warnings = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`.slice(0, 300)));

parentPort.on('message', async (/** @type {{ id: number, argv: string[] }} */ job) => {
  out = '';
  err = '';
  warnings.length = 0;
  let code;
  let thrown;
  try {
    code = await main(['node', 'meshsim', ...job.argv]);
  } catch (e) {
    thrown = e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  parentPort.postMessage({ id: job.id, code, thrown, stdout: out, stderr: err, warnings: [...warnings] });
});
parentPort.postMessage({ ready: true });
