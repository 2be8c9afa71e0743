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
import { HubbleMetricsObserver, LinkerdMetricsObserver, type MetricsSource } from '../telemetry/mesh-metrics.js';
import { meshMode } from '../modes/registry.js';
import type { RunObserver } from '../telemetry/observer.js';
import { TimeSeriesObserver } from '../telemetry/timeseries.js';
import { DEFAULT_TRACE_SAMPLE_RATE, TraceObserver } from '../telemetry/traces.js';
import type { buildReportHtml } from './html/report.js';
import { istioBucketPercentiles } from './prometheus-quantile.js';
import { writeOpenMetrics } from './openmetrics.js';
import { stableJson } from './write.js';
import { derivedFamilies, toPrometheusText } from './prometheus.js';
import type { ResultsJson } from './results.js';
import { writeTracesJson } from './traces-json.js';
import { traceSamples } from './trace-samples.js';
import { accessLog } from './access-log.js';
import { ALL_OUTPUTS, outputFileNames, type OutputName } from './output-set.js';

export interface RunObservers {
  series: TimeSeriesObserver;
  metrics: MetricsSource;
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
  const reporter = meshMode(mode).metricReporter ?? 'istio';
  const metrics: MetricsSource =
    reporter === 'linkerd'
      ? new LinkerdMetricsObserver(scenario, warmupUs)
      : reporter === 'hubble'
        ? new HubbleMetricsObserver(scenario, warmupUs)
        : new IstioMetricsObserver(scenario, { countFromUs: warmupUs, mode });
  const traces = new TraceObserver({
    seed: o.seed ?? scenario.seed,
    network: scenario.network,
    sampleRate: o.traceSampleRate ?? DEFAULT_TRACE_SAMPLE_RATE,
    fromUs: warmupUs,
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

/** Where rendered files go: whole texts, or line-by-line streams (a file on disk, or a string in tests). */
export interface FileTarget {
  text(name: string, content: string): void;
  /** A stream for `name`: call the returned function with each piece, in order. */
  stream(name: string): (piece: string) => void;
}

/**
 * Writes the chosen files (default: all) of a finished run to `target`, in a fixed order:
 * results.json, events.jsonl, access.log, metrics.prom, metrics.om, traces.json, report.html.
 * metrics.om and events.jsonl are streamed; `report` is needed when report.html is one of them.
 */
export function writeRunFiles(
  target: FileTarget,
  state: SimulationState,
  results: ResultsJson,
  obs: RunObservers,
  epoch: { iso: string; ms: number },
  report?: ReportBuilder,
  outputs: ReadonlySet<OutputName> = ALL_OUTPUTS,
): void {
  if (outputs.has('results')) target.text('results.json', stableJson(results));
  if (outputs.has('events')) {
    const line = target.stream('events.jsonl');
    for (const e of state.timeline.events) line(`${JSON.stringify(e)}\n`);
  }
  if (outputs.has('access-log')) target.text('access.log', accessLog(obs.traces.sampledCalls(), state.mode, epoch.ms));
  if (outputs.has('metrics')) {
    obs.metrics.finish(state.durationUs);
    const families = [...obs.metrics.families(), ...derivedFamilies(results, state.scenario, obs.metrics.scrapeTimesUs)];
    target.text('metrics.prom', toPrometheusText(families));
    writeOpenMetrics(families, epoch.ms, target.stream('metrics.om'));
  }
  const traces = outputs.has('traces') || outputs.has('report') ? obs.traces.traces() : [];
  if (outputs.has('traces')) writeTracesJson(traces, epoch.ms, target.stream('traces.json'));
  if (outputs.has('report')) {
    if (!report) throw new Error('writeRunFiles: report.html needs the report builder');
    target.text(
      'report.html',
      report({
        results,
        series: obs.series.toJson(),
        events: state.timeline.events,
        scenario: state.scenario,
        traces: { count: traces.length, sampleRate: obs.traces.sampleRate, dropped: obs.traces.dropped, samples: traceSamples(traces) },
        epoch: epoch.iso,
        files: outputFileNames(outputs),
        bucketPercentiles: istioBucketPercentiles(state.endUser.latency),
      }),
    );
  }
}

/** The files beside results.json and events.jsonl as strings (tests and small runs). */
export function renderRunFiles(
  state: SimulationState,
  results: ResultsJson,
  obs: RunObservers,
  epoch: { iso: string; ms: number },
  report?: ReportBuilder,
  outputs: ReadonlySet<OutputName> = ALL_OUTPUTS,
): Partial<RunFiles> {
  const texts = new Map<string, string[]>();
  const target: FileTarget = {
    text: (name, content) => void texts.set(name, [content]),
    stream: (name) => {
      const parts: string[] = [];
      texts.set(name, parts);
      return (piece) => void parts.push(piece);
    },
  };
  const rest = new Set(outputs);
  rest.delete('results');
  rest.delete('events');
  writeRunFiles(target, state, results, obs, epoch, report, rest);
  return Object.fromEntries([...texts].map(([name, parts]) => [name, parts.join('')]));
}
