/**
 * A sweep worker thread: started before the jobs are known (pool.ts), it loads the simulator at
 * once, then takes the jobs in one message and claims points from the queue it shares with the
 * main thread and the other workers, running each and posting its result back; it exits when the
 * queue is empty. Imports only the simulator side (point.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PointJob } from './point.js';
import { runQueue } from './sweep.js';

parentPort?.once('message', (jobs: PointJob[]) => {
  runQueue({ jobs, counters: workerData as Int32Array }, (m) => parentPort?.postMessage(m));
});
