/**
 * A sweep worker thread: runs each point the main thread posts (one at a time, from the shared
 * queue in sweep.ts) and posts its result back. Imports only the simulator side (point.ts).
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../config/diagnostics.js';
import { runPoint, type PointJob } from './point.js';

parentPort?.on('message', (job: PointJob) => {
  try {
    parentPort?.postMessage({ ok: runPoint(job) });
  } catch (e) {
    parentPort?.postMessage(
      e instanceof InputError ? { input: e.diagnostics } : { fail: e instanceof Error ? (e.stack ?? e.message) : String(e) },
    );
  }
});
