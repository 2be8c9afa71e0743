// Micro-benchmarks with the `benchmark` package (statistically sampled ops/s): the kernel, a
// load-balancer pick, a latency-histogram record and a VirtualService route match. Each returns
// {value, detail} for the harness in bench/benchmark.js.
import { createRequire } from 'node:module';
import { Simulator } from '#dist/kernel/simulator.js';
import { LoadBalancer } from '#dist/policy/load-balancer.js';
import { LatencyStats } from '#dist/record/latency.js';
import { requestMatches } from '#dist/policy/match.js';
import { prng } from '../../test/kernel/prng.js';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');

/**
 * Runs `fn` under Benchmark.js; `perOp` operations happen per call. Returns ops/s and ±%.
 * @param {string} name @param {() => void} fn @param {{ perOp?: number, quick?: boolean }} [o]
 * @returns {{ value: number, detail: string }}
 */
function measure(name, fn, { perOp = 1, quick = false } = {}) {
  const b = new Benchmark(name, fn, { minSamples: quick ? 5 : 20, maxTime: quick ? 0.5 : 2, initCount: 1 });
  b.run({ async: false });
  if (b.error) throw b.error;
  return { value: b.hz * perOp, detail: `±${b.stats.rme.toFixed(1)}%, ${b.stats.sample.length} samples (benchmark.js)` };
}

/** Kernel: the hold model, 1,000 pending events; one op = 1,000 events. @param {boolean} quick */
export async function kernelMicro(quick) {
  const sim = new Simulator();
  const u = prng(7);
  const hold = () => sim.schedule(-Math.log(1 - u()), hold, undefined);
  for (let i = 0; i < 1000; i++) sim.schedule(-Math.log(1 - u()), hold, undefined);
  // 1,000 pending events advance ~1,000 per unit of simulated time.
  return measure('kernel', () => sim.run(sim.now + 1), { perOp: 1000, quick });
}

/** Envoy LEAST_REQUEST (power of two choices) over 20 hosts. @param {boolean} quick */
export async function lbMicro(quick) {
  /** @type {LoadBalancer<{ name: string, active: number }>} */
  const lb = new LoadBalancer('LEAST_REQUEST', prng(11));
  const hosts = Array.from({ length: 20 }, (_, i) => ({ name: `pod-${i}`, active: i % 3 }));
  const active = (/** @type {{ active: number }} */ h) => h.active;
  let sink = 0;
  const r = measure(
    'lb',
    () => {
      sink += lb.pick(hosts, active).active;
    },
    { quick },
  );
  if (sink < 0) throw new Error('unreachable');
  return r;
}

/** LatencyStats.record: the HDR histogram every request and edge records into. @param {boolean} quick */
export async function histogramMicro(quick) {
  const stats = new LatencyStats();
  const u = prng(13);
  const values = Float64Array.from({ length: 4096 }, () => -5000 * Math.log(1 - u()));
  let i = 0;
  return measure('histogram', () => stats.record(values[i++ & 4095] ?? 0), { quick });
}

/** A VirtualService match block with a uri prefix and an exact header, against a request. @param {boolean} quick */
export async function routeMatchMicro(quick) {
  const match = { uri: { prefix: '/api/v2' }, headers: { 'x-user': { exact: 'jason' } } };
  const req = { method: 'GET', path: '/api/v2/items?page=2', headers: { 'x-user': 'jason' }, requestSize: 0, responseSize: 0 };
  let hits = 0;
  const r = measure(
    'route',
    () => {
      if (requestMatches(match, req)) hits++;
    },
    { quick },
  );
  if (hits === 0) throw new Error('route never matched');
  return r;
}
