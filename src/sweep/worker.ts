/** A sweep worker thread: runs the points it is given and posts each result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../config/diagnostics.js';
import { runPoint, type PointJob } from './point.js';

for (const job of workerData as PointJob[]) {
  try {
    parentPort?.postMessage({ ok: runPoint(job) });
  } catch (e) {
    parentPort?.postMessage(
      e instanceof InputError ? { input: e.diagnostics } : { fail: e instanceof Error ? (e.stack ?? e.message) : String(e) },
    );
    break;
  }
}
