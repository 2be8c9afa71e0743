/**
 * What a sweep worker thread's bundle (dist/bundle/point.cjs, scripts/bundle.mjs) exports: the
 * worker loop, and runPoint for the warm-up that makes the bundle's code cache
 * (scripts/code-cache.mjs). Why a bundle of its own: cli/launch.ts, POINT_BUNDLE.
 */
export { serveSweepJobs } from './worker-loop.js';
export { runPoint } from './point.js';
