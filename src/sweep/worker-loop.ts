/**
 * A sweep worker thread (pool.ts PointWorkers): started before the jobs are known, it loads the
 * simulator at once, then for each batch of jobs it is sent claims points from the queue it
 * shares with the other workers, posting each result back, and says when it finds the queue
 * empty. It lives until the pool closes, or ends after the batch the pool marks last. Imports
 * only the simulator side (point.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchMessage, Drained, Loaded } from './pool.js';
import { runQueue } from './sweep.js';

/** Takes batches of jobs from the main thread until the pool closes, or until its last batch. */
export function serveSweepJobs(): void {
  parentPort?.postMessage({ loaded: true } satisfies Loaded);
  parentPort?.on('message', ({ jobs, last }: BatchMessage) => {
    runQueue({ jobs, counters: workerData as Int32Array }, (m) => parentPort?.postMessage(m));
    parentPort?.postMessage({ drained: true } satisfies Drained);
    // Nothing else keeps the thread's event loop alive: the thread ends (pool.ts dispatch).
    if (last) parentPort?.close();
  });
}
