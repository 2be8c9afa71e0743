/**
 * Workload drivers: open loop (Poisson or constant gaps, with a rate that may ramp or step) and
 * closed loop (users who send, wait for the answer, think, and send again).
 * Arrivals come from the stream `arrivals/<workload>` alone, so they are the same in every mode.
 */
import { exponential, samplerFor } from '../kernel/distributions.js';
import type { RandomStreams, Uniform } from '../kernel/random.js';
import type { Simulator } from '../kernel/simulator.js';
import type { RateSegment, RequestShape, WorkloadModel } from '../config/model.js';

export type SendRequest = (req: RequestShape, done: () => void) => void;

/** Request rate (req/s) at time t (µs) of a piecewise-linear schedule. */
export function rateAt(segments: readonly RateSegment[], t: number): number {
  let last = segments[segments.length - 1]!;
  for (const s of segments) {
    if (t < s.startUs) break;
    if (t < s.endUs) {
      if (s.fromRate === s.toRate || !Number.isFinite(s.endUs)) return s.fromRate;
      return s.fromRate + ((s.toRate - s.fromRate) * (t - s.startUs)) / (s.endUs - s.startUs);
    }
    last = s;
  }
  return last.toRate;
}

function requestPicker(w: WorkloadModel, u: Uniform): () => RequestShape {
  const reqs = w.requests;
  if (reqs.length === 1) {
    const only = reqs[0] as RequestShape;
    return () => only;
  }
  const total = reqs.reduce((s, r) => s + r.weight, 0);
  return () => {
    let x = u() * total;
    for (const r of reqs) if ((x -= r.weight) < 0) return r;
    return reqs[reqs.length - 1]!;
  };
}

export function startWorkload(sim: Simulator, streams: RandomStreams, w: WorkloadModel, horizonUs: number, send: SendRequest): void {
  const arrivals = streams.stream(`arrivals/${w.name}`);
  const pick = requestPicker(w, streams.stream(`mix/${w.name}`));
  const model = w.arrivals;
  const noop = () => {};

  if (model.kind === 'closed') {
    const think = samplerFor(model.thinkTime);
    const thinkStream = streams.stream(`think/${w.name}`);
    const user = (): void => {
      if (sim.now > horizonUs) return;
      send(pick(), () => sim.schedule(think.sample(thinkStream), user, undefined));
    };
    for (let i = 0; i < model.users; i++) sim.schedule(0, user, undefined);
    return;
  }

  const { segments, maxRate } = model;
  if (maxRate <= 0) return;
  const steady = segments.length === 1 && segments[0]!.fromRate === segments[0]!.toRate;
  const meanGapUs = 1e6 / maxRate;

  /** Next arrival after t: inverse transform when the rate is steady, thinning (Lewis & Shedler) when it varies. */
  const nextPoisson = (t: number): number => {
    for (;;) {
      t += exponential(arrivals, meanGapUs);
      if (t > horizonUs || steady || arrivals() * maxRate < rateAt(segments, t)) return t;
    }
  };
  const nextConstant = (t: number): number => {
    const r = rateAt(segments, t);
    if (r > 0) return t + 1e6 / r;
    const later = segments.find((s) => s.startUs > t && Math.max(s.fromRate, s.toRate) > 0);
    return later ? later.startUs : Infinity;
  };
  const next = model.process === 'poisson' ? nextPoisson : nextConstant;

  const arrive = (): void => {
    const t = next(sim.now);
    if (t <= horizonUs) sim.at(t, arrive, undefined);
    send(pick(), noop);
  };
  const first = model.process === 'poisson' ? nextPoisson(0) : nextConstant(0) - (rateAt(segments, 0) > 0 ? 1e6 / rateAt(segments, 0) : 0);
  if (first <= horizonUs) sim.at(first, arrive, undefined);
}
