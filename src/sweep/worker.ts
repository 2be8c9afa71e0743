/**
 * A sweep worker thread: claims points from the queue it shares with the main thread and the other
 * workers (sweep.ts), runs each and posts its result back; exits when the queue is empty. Imports
 * only the simulator side (point.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runQueue, type PointQueue } from './sweep.js';

runQueue(workerData as PointQueue, (m) => parentPort?.postMessage(m));
