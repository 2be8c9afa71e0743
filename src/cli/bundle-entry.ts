/**
 * What the command line's bundle (dist/bundle/cli.cjs, scripts/bundle.mjs) exports: the command
 * line itself and what starts before it. Sweep worker threads run a bundle of their own
 * (sweep/point-bundle-entry.ts).
 */
export { main } from './main.js';
export { prestart } from './prestart.js';
