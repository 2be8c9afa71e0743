/**
 * The files a run writes beside results.json — metrics.prom, metrics.om, traces.json,
 * access.log and report.html — from the observers that watched it. The CLI creates the observers
 * before the run (`runObservers`), passes `list` to simulate(), then renders everything here.
 * Only the observers the chosen outputs need watch the run; the HTML report's renderer (and Vega
 * with it) is handed in by the caller, which imports it only when report.html is wanted.
 */
import type { MeshMode, Scenario } from '../config/model.js';
import type { SimulationState } from '../sim/simulate.js';
import { IstioMetricsObserver } from '../telemetry/istio-metrics.js';
import type { RunObserver } from '../telemetry/observer.js';
import { TimeSeriesObserver } from '../telemetry/timeseries.js';
import { DEFAULT_TRACE_SAMPLE_RATE, TraceObserver } from '../telemetry/traces.js';
import type { buildReportHtml } from './html/report.js';
import { toOpenMetrics } from './openmetrics.js';
import { derivedFamilies, toPrometheusText } from './prometheus.js';
import type { ResultsJson } from './results.js';
import { tracesJson } from './traces-json.js';
import { accessLog } from './access-log.js';
import { ALL_OUTPUTS, outputFileNames, type OutputName } from './output-set.js';

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
  /** What will be written (default: everything); observers nothing needs are left out of `list`. */
  outputs?: ReadonlySet<OutputName>;
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
  const wanted = o.outputs ?? ALL_OUTPUTS;
  const list: RunObserver[] = [];
  if (wanted.has('report')) list.push(series);
  if (wanted.has('metrics')) list.push(metrics);
  if (wanted.has('traces') || wanted.has('access-log') || wanted.has('report')) list.push(traces);
  return { series, metrics, traces, list };
}

export interface RunFiles {
  'access.log': string;
  'metrics.prom': string;
  'metrics.om': string;
  'traces.json': string;
  'report.html': string;
}

/** The report renderer (html/report.ts), imported by the caller only when report.html is written. */
export type ReportBuilder = typeof buildReportHtml;

/** Renders the chosen files (default: all five); `report` is needed when report.html is one of them. */
export function renderRunFiles(
  state: SimulationState,
  results: ResultsJson,
  obs: RunObservers,
  epoch: { iso: string; ms: number },
  report?: ReportBuilder,
  outputs: ReadonlySet<OutputName> = ALL_OUTPUTS,
): Partial<RunFiles> {
  const files: Partial<RunFiles> = {};
  if (outputs.has('access-log')) files['access.log'] = accessLog(obs.traces.sampledCalls(), state.mode, epoch.ms);
  if (outputs.has('metrics')) {
    obs.metrics.finish(state.durationUs);
    const families = [...obs.metrics.families(), ...derivedFamilies(results, state.scenario, obs.metrics.scrapeTimesUs)];
    files['metrics.prom'] = toPrometheusText(families);
    files['metrics.om'] = toOpenMetrics(families, epoch.ms);
  }
  const traces = outputs.has('traces') || outputs.has('report') ? obs.traces.traces() : [];
  if (outputs.has('traces')) files['traces.json'] = tracesJson(traces, epoch.ms);
  if (outputs.has('report')) {
    if (!report) throw new Error('renderRunFiles: report.html needs the report builder');
    files['report.html'] = report({
      results,
      series: obs.series.toJson(),
      events: state.timeline.events,
      scenario: state.scenario,
      traces: { count: traces.length, sampleRate: obs.traces.sampleRate, dropped: obs.traces.dropped },
      epoch: epoch.iso,
      files: outputFileNames(outputs),
    });
  }
  return files;
}
