/**
 * Which sampled traces the report draws (see html/trace-view.ts): kept apart from the chart code so
 * that writing run files does not load the report's modules.
 */
import type { TraceModel } from '../telemetry/traces.js';

/** How many of the first sampled traces are looked at to pick the ones shown. */
const LOOK_AT = 200;

export interface TraceSamples {
  /** An end-user trace: among the first sampled ones, the one with the most spans (the fullest path). */
  complete?: TraceModel;
  /** A trace that began mid-request, because `brokenBy` did not forward the trace headers. */
  broken?: TraceModel;
  /** How many of the sampled traces began mid-request. */
  brokenCount: number;
}

/** Picks the traces the report draws; deterministic (first by start, ties by fewer spans later). */
export function traceSamples(traces: readonly TraceModel[]): TraceSamples {
  let complete: TraceModel | undefined;
  let broken: TraceModel | undefined;
  let brokenCount = 0;
  traces.forEach((t, i) => {
    if (t.brokenBy !== undefined) {
      brokenCount++;
      if (i < LOOK_AT && (!broken || t.spans.length > broken.spans.length)) broken = t;
    } else if (i < LOOK_AT && (!complete || t.spans.length > complete.spans.length)) complete = t;
  });
  return { complete, broken, brokenCount };
}
