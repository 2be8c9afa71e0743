/**
 * The sweep worker thread's entry point when the command line runs from the compiled modules; the
 * bundle has its own (dist/bundle/worker.cjs, scripts/bundle.mjs). Both run worker-loop.ts.
 */
import { serveSweepJobs } from './worker-loop.js';

serveSweepJobs();
