/**
 * What the command line's bundle (dist/bundle/cli.cjs, scripts/bundle.mjs) exports: the command
 * line itself, what starts before it, and the loop of a sweep worker thread, so the worker threads
 * run the same bundle (and code cache, cli/launch.ts) as the main thread.
 */
export { main } from './main.js';
export { prestart } from './prestart.js';

/** A sweep worker thread's work (loaded only in worker threads: it pulls in the simulator). */
export const serveSweepJobs = async (): Promise<void> => (await import('../sweep/worker-loop.js')).serveSweepJobs();
