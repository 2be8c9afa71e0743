/**
 * The files a run writes beside results.json — metrics.prom, metrics.om, traces.json and
 * report.html — from the observers that watched it. The CLI creates the observers before the
 * run (`runObservers`), passes `list` to simulate(), then renders everything here.
 */
import type { MeshMode, Scenario } from '../config/model.js';
import type { SimulationState } from '../sim/simulate.js';
import { IstioMetricsObserver } from '../telemetry/istio-metrics.js';
import type { RunObserver } from '../telemetry/observer.js';
import { TimeSeriesObserver } from '../telemetry/timeseries.js';
import { DEFAULT_TRACE_SAMPLE_RATE, TraceObserver } from '../telemetry/traces.js';
import { buildReportHtml } from './html/report.js';
import { toOpenMetrics } from './openmetrics.js';
import { derivedFamilies, toPrometheusText } from './prometheus.js';
import type { ResultsJson } from './results.js';
import { tracesJson } from './traces-json.js';
import { accessLog } from './access-log.js';

export interface RunObservers {
  series: TimeSeriesObserver;
  metrics: IstioMetricsObserver;
  traces: TraceObserver;
  /** For RunOptions.observers. */
  list: RunObserver[];
}

export interface ObserveOptions {
  seed?: number;
  mode?: MeshMode;
  durationUs?: number;
  traceSampleRate?: number;
}

/** Observers for one run; seed, mode and duration resolve as simulate() resolves them. */
export function runObservers(scenario: Scenario, o: ObserveOptions = {}): RunObservers {
  const durationUs = o.durationUs ?? scenario.durationUs;
  const warmupUs = Math.min(scenario.warmupUs, durationUs);
  const mode = o.mode ?? scenario.mesh.mode;
  const series = new TimeSeriesObserver(durationUs, warmupUs);
  const metrics = new IstioMetricsObserver(scenario, { countFromUs: warmupUs, mode });
  const traces = new TraceObserver({
    seed: o.seed ?? scenario.seed,
    network: scenario.network,
    sampleRate: o.traceSampleRate ?? DEFAULT_TRACE_SAMPLE_RATE,
  });
  return { series, metrics, traces, list: [series, metrics, traces] };
}

export interface RunFiles {
  'access.log': string;
  'metrics.prom': string;
  'metrics.om': string;
  'traces.json': string;
  'report.html': string;
}

export function renderRunFiles(
  state: SimulationState,
  results: ResultsJson,
  obs: RunObservers,
  epoch: { iso: string; ms: number },
): RunFiles {
  obs.metrics.finish(state.durationUs);
  const families = [...obs.metrics.families(), ...derivedFamilies(results, state.scenario, obs.metrics.scrapeTimesUs)];
  const traces = obs.traces.traces();
  return {
    'access.log': accessLog(obs.traces.sampledCalls(), state.mode, epoch.ms),
    'metrics.prom': toPrometheusText(families),
    'metrics.om': toOpenMetrics(families, epoch.ms),
    'traces.json': tracesJson(traces, epoch.ms),
    'report.html': buildReportHtml({
      results,
      series: obs.series.toJson(),
      events: state.timeline.events,
      scenario: state.scenario,
      traces: { count: traces.length, sampleRate: obs.traces.sampleRate, dropped: obs.traces.dropped },
      epoch: epoch.iso,
      files: ['results.json', 'report.html', 'metrics.prom', 'metrics.om', 'traces.json', 'events.jsonl', 'access.log'],
    }),
  };
}
