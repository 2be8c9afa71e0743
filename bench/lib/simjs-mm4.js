// The peer anchor: the same M/M/4 station as bench/scenarios/mm4.yaml (Poisson arrivals at 320/s,
// 4 servers, exponential service of mean 10 ms, rho = 0.8), written with SimJS (npm `simjs`), the
// JavaScript discrete-event library. Its package is a browser bundle that publishes itself as
// `window.Sim`, so a `window` object is defined before loading it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * SimJS's exports (window.Sim after loading the bundle). SimJS ships no types: `any`.
 * @returns {any}
 */
export function loadSimJs() {
  const g = /** @type {{ window?: { Sim?: any } }} */ (/** @type {unknown} */ (globalThis));
  g.window ??= {};
  if (!g.window.Sim) require('simjs/sim.js');
  const Sim = g.window.Sim;
  if (!Sim?.Sim) throw new Error('simjs did not publish window.Sim');
  return Sim;
}

/**
 * One M/M/4 run of `durationS` simulated seconds (time unit: ms, as in SimJS's examples). Returns
 * the served requests and the wall seconds of sim.simulate() alone (model building excluded, as
 * for meshsim's simulate()).
 * @param {number} durationS @param {number} [seed]
 */
export function simJsMm4(durationS, seed = 1) {
  const Sim = loadSimJs();
  const sim = new Sim.Sim();
  const random = new Sim.Random(seed);
  const station = new Sim.Facility('station', Sim.Facility.FCFS, 4);
  const ARRIVALS_PER_MS = 320 / 1000;
  const SERVICE_PER_MS = 1 / 10;
  let served = 0;
  const finished = () => {
    served++;
  };
  const Entity = /** @type {new (...args: unknown[]) => { setTimer(d: number): any, useFacility(f: unknown, d: number): any }} */ (
    Sim.Entity
  );
  class Arrivals extends Entity {
    start() {
      this.setTimer(random.exponential(ARRIVALS_PER_MS)).done(this.arrive, this);
    }
    arrive() {
      this.useFacility(station, random.exponential(SERVICE_PER_MS)).done(finished);
      this.start();
    }
  }
  sim.addEntity(Arrivals);
  const start = process.hrtime.bigint();
  sim.simulate(durationS * 1000);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return { requests: served, wall };
}
