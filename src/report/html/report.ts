/**
 * report.html for `meshsim run`: a summary header (scenario, description, key numbers as cards),
 * then the service graph, latency and requests over simulated time, traffic per edge, ejections /
 * faults / crashes per pod, CPU and memory by component, tables, the scenario itself, and how to
 * load the other files into Prometheus, Grafana and Jaeger. One self-contained file; every chart
 * is static SVG; byte-for-byte the same for the same run.
 */
import { MESH_COMPONENTS } from '../../modes/registry.js';
import type { Scenario } from '../../config/model.js';
import type { ResultsJson } from '../results.js';
import type { TimelineEvent } from '../../record/timeline.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import {
  edgeErrors,
  edgeTraffic,
  ejectionTimeline,
  podTraffic,
  successLatency,
  versionSplit,
  flagsOverTime,
  latencyOverTime,
  podIntervals,
  requestsByCode,
  resourceBars,
} from './charts.js';
import { esc, ms, num, pct } from './escape.js';
import { cards, descriptionHtml, emptyNote, figure, note, page, section, table, type Card } from './page.js';
import { beginDocument, renderSvg } from './render.js';
import { measuredSeconds } from './graph-layout.js';
import { retryAmplification } from './retry-view.js';
import { poolClusters, poolOccupancyChart } from './pool-view.js';
import { traceWaterfall } from './trace-view.js';
import type { TraceSamples } from '../trace-samples.js';
import { serviceGraphSvg } from './service-graph.js';
import { canarySectionBody } from './canary.js';
import { crossZoneSection } from './cross-zone.js';
import { durationText, scenarioSection } from './scenario.js';
import { hpaSection } from './hpa.js';
import { nodesSection } from './nodes.js';

export interface ReportInput {
  results: ResultsJson;
  series: TimeSeriesJson;
  /** Every timeline event of the run (events.jsonl). */
  events: readonly TimelineEvent[];
  scenario?: Scenario;
  traces?: { count: number; sampleRate: number; dropped: number; samples?: TraceSamples };
  /** ISO instant of simulated t=0 in metrics.om and traces.json. */
  epoch?: string;
  /** End-user p50/p90/p99 (ms) as PromQL's histogram_quantile reads them from Istio's buckets. */
  bucketPercentiles?: { p50: number; p90: number; p99: number };
  /** Names (not paths) of the files written beside report.html. */
  files?: string[];
}

/** The mesh's own components (every component of the mode registry). */
const MESH = MESH_COMPONENTS.map((c) => c.name);

export function buildReportHtml(input: ReportInput): string {
  beginDocument();
  const r = input.results;
  const ts = input.series;
  const q = r.requests;
  const window = measuredSeconds(r);
  const failRate = q.total ? q.failed / q.total : 0;
  const meshCpu = MESH.reduce((n, c) => n + (r.resources.by_component[c]?.cpu_cores ?? 0), 0);
  const meshMem = MESH.reduce((n, c) => n + (r.resources.by_component[c]?.memory_mib ?? 0), 0);
  const meshCost = MESH.reduce((n, c) => n + (r.resources.by_component[c]?.monthly_cost_usd ?? 0), 0);
  const outlierEvents = r.outlier?.events ?? [];
  const ejections = outlierEvents.filter((e) => e.type === 'outlier_eject' || e.action === 'eject').length;
  const flags = Object.entries(q.by_flag).filter(([, n]) => n > 0);

  const keyCards: Card[] = [
    { label: 'End-user requests', value: num(q.total), sub: `${num(q.total / window, 1)} req/s measured`, tone: 'info' },
    {
      label: 'Succeeded',
      value: q.total + q.unfinished ? pct(q.succeeded, q.total + q.unfinished, failRate > 0 && failRate < 0.0001 ? 3 : 2) : '–',
      sub: `${num(q.failed)} failed${q.unfinished ? `, ${num(q.unfinished)} unfinished` : ''}`,
      tone: failRate === 0 && q.unfinished === 0 ? 'good' : failRate < 0.01 && q.unfinished === 0 ? 'warn' : 'bad',
    },
    // Requests still in flight at the end are not in the total: a red tile so they cannot hide.
    ...(q.unfinished > 0
      ? [
          {
            label: 'Unfinished',
            value: num(q.unfinished),
            sub: r.unfinished[0] ? `stuck at ${r.unfinished[0].source} → ${r.unfinished[0].destination}` : 'still in flight at the end',
            tone: 'bad' as const,
          },
        ]
      : []),
    { label: 'Latency p50', value: ms(r.latency_ms.p50), sub: `mean ${ms(r.latency_ms.mean)}` },
    { label: 'Latency p99', value: ms(r.latency_ms.p99), sub: `p90 ${ms(r.latency_ms.p90)}` },
    { label: 'Latency p99.9', value: ms(r.latency_ms.p999), sub: `max ${ms(r.latency_ms.max)}` },
    r.mode === 'none'
      ? { label: 'Mesh CPU · memory', value: 'none', sub: 'no proxies in mode none', tone: 'mesh' }
      : { label: 'Mesh CPU', value: `${num(meshCpu, 3)} cores`, sub: `${num(meshMem, 0)} MiB memory`, tone: 'mesh' },
    {
      label: 'Monthly cost',
      value: `$${num(r.resources.total.monthly_cost_usd, 2)}`,
      sub: r.mode === 'none' ? 'apps only' : `mesh $${num(meshCost, 2)}`,
    },
    {
      label: 'Outlier ejections',
      value: num(ejections),
      sub: flags.length ? `flags ${flags.map(([f, n]) => `${f} ${num(n)}`).join(', ')}` : 'no Envoy response flags',
      tone: ejections ? 'warn' : undefined,
    },
  ];

  const header = `<header class="top">
<p class="kicker">meshsim run report</p>
<h1>${esc(r.scenario)} <span class="mode">· ${esc(r.mode)}</span></h1>
<ul class="chips"><li class="mode-${esc(r.mode)}">mode <b>${esc(r.mode)}</b></li><li>profile <b>${esc(r.profile)}</b></li><li>seed <b>${esc(r.seed)}</b></li><li>simulated <b>${esc(durationText(r.simulated.duration_s))}</b></li><li>warmup <b>${esc(durationText(r.simulated.warmup_s))}</b></li><li><b>${esc(num(r.simulated.events))}</b> events</li></ul>
<div class="desc">${r.description?.trim() ? descriptionHtml(r.description) : '<p>(no description)</p>'}</div>
</header>
${cards(keyCards)}`;

  const sections: string[] = [];

  // Run-time warnings for the mode that ran (the same lines `run` printed on stderr).
  if (r.warnings.length)
    sections.push(
      section(
        'warnings',
        `Warnings (${r.warnings.length})`,
        'what did not work as the configuration suggests in this run, in this mode.',
        `<ul class="warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`,
      ),
    );

  sections.push(
    section(
      'graph',
      'Service graph',
      'red or amber edges are where failures start; the thickest edge carries the most calls; a padlock means every call on that edge was mTLS.',
      figure(serviceGraphSvg(r)) +
        note(
          `Rates are calls per second over the measured window (${durationText(window)} after warmup); error share and p99 are per edge, as the calling app saw them after any proxy retries.`,
        ),
    ),
  );

  sections.push(
    section(
      'latency',
      'End-user latency over time',
      'the gap between p99 and p50: queueing, a slow pod or an ejection shows in the tail first, and a step in p50 means every request got slower.',
      figure(renderSvg(latencyOverTime(ts))) +
        note(
          `Percentiles of the end-user requests sent in each ${durationText(ts.window_s)} window (about ${num(ts.windows.length ? ts.windows.reduce((n, w) => n + w.requests, 0) / ts.windows.length : 0)} requests each), from a log histogram (±2%).${ts.warmup_s > 0 ? ' The grey band is the warmup, left out of the totals above.' : ''}`,
        ) +
        bucketNote(r, input.bucketPercentiles),
    ),
  );

  const okChart = successLatency(ts);
  if (okChart) {
    sections.push(
      section(
        'latency-ok',
        'Latency of successful requests',
        'fast failures (an immediate 503 UO or UH, a 403) pull percentiles down and look like an improvement; the dashed lines leave them out, as k6 reports expected_response:true.',
        figure(renderSvg(okChart)) + note('Solid: every end-user request; dashed: only those that succeeded (status below 400).'),
      ),
    );
  }

  const flagChart = flagsOverTime(ts);
  sections.push(
    section(
      'requests',
      'Requests by status code and response flag',
      'any colour but green is a failed request; response flags say which proxy decision caused it (UO overflow, UH no healthy upstream, URX retries exhausted, UT timeout, FI injected fault).',
      figure(renderSvg(requestsByCode(ts))) +
        (flagChart
          ? `<h3>Requests with Envoy response flags</h3>${figure(renderSvg(flagChart))}`
          : emptyNote(
              'No end-user request carried an Envoy response flag: no overflow, no missing upstream, no timeout, no retry limit hit.',
            )),
    ),
  );

  const errChart = edgeErrors(ts);
  const versionChart = versionSplit(ts);
  sections.push(
    section(
      'edges',
      'Traffic per edge',
      'each caller→service edge: rates that drop while another rises are traffic moving (weights, ejections); the error chart shows which hop fails first.',
      figure(renderSvg(edgeTraffic(ts))) +
        note(`Calls per second in ${durationText(ts.window_s)} windows, by when they were sent.`) +
        (errChart ? `<h3>Failed calls per edge</h3>${figure(renderSvg(errChart))}` : emptyNote('No call failed on any edge.')) +
        (versionChart
          ? `<h3>Traffic by destination version</h3>${figure(renderSvg(versionChart))}${note('The canary view: how each edge splits over the versions that answered it, as VirtualService weights, header matches and ejections decide.')}`
          : ''),
    ),
  );

  const retry = retryAmplification(ts, r);
  if (retry) {
    sections.push(
      section(
        'retries',
        'Retry amplification',
        'attempts each service answered per end-user request: 1 means no retries; when every hop retries a failing leaf, the deeper hops climb to (attempts + 1)^depth, and the leaf drowns in its callers’ retries.',
        figure(renderSvg(retry.spec)) +
          note(
            `Over the measured window, attempts per end-user request: ${retry.totals
              .map((t) => `${t.service} ${num(t.perRequest, 2)} (highest window ${num(t.peak, 1)})`)
              .join(', ')}. Fan-out counts too: a service called twice per request shows 2 without any retry.`,
          ),
      ),
    );
  }

  const pools = poolClusters(ts);
  if (pools.length) {
    const overflowed = pools.reduce((n, p) => n + p.overflows.reduce((a, b) => a + b, 0), 0);
    sections.push(
      section(
        'pools',
        'Connection pools vs DestinationRule limits',
        'where a blue connections line sits on or above its dashed maxConnections line and the amber pending line reaches http1MaxPendingRequests, new requests are answered 503 UO at once (the red band); connections above the line are the per-worker leeway: each Envoy worker opens its first connection to a host whatever the limit.',
        figure(renderSvg(poolOccupancyChart(ts, pools))) +
          note(
            `Per destination cluster, the most connections and pending requests any one client sidecar held in each ${num(ts.bucket_s, 3)} s bucket (limits count per client sidecar, over all its workers); ${num(overflowed)} circuit-breaker overflows in all. Envoy stats: upstream_cx_overflow, upstream_rq_pending_overflow in results.json clusters.`,
          ),
      ),
    );
  }

  const samples = input.traces?.samples;
  const waterfall = samples ? traceWaterfall(samples) : undefined;
  if (samples && waterfall) {
    sections.push(
      section(
        'traces',
        'Sampled traces',
        'one trace id should run from the edge to the deepest call; a service that does not forward the trace headers (traceparent, x-b3-*, x-request-id) cuts it there, and its calls start traces of their own that Jaeger or Tempo cannot join to the request.',
        figure(renderSvg(waterfall)) +
          note(
            `${num(input.traces?.count ?? 0)} traces sampled (${num(100 * (input.traces?.sampleRate ?? 0), 2)}% of requests, in traces.json)${samples.brokenCount ? `; ${num(samples.brokenCount)} of them begin mid-request` : ', all of them from the edge'}. Bars outlined red failed (5xx or reset).`,
          ),
      ),
    );
  }
  const canaries = r.canaries ?? [];
  if (canaries.length)
    sections.push(
      section(
        'canary',
        'Canary weight vs error rate',
        'each step up of the black weight line is an analysis interval whose checks passed; a red error-rate point above the amber limit is a failed check, and after threshold of them Flagger rolls back to 0%, while a canary that holds maxWeight through one more check is promoted.',
        canarySectionBody(canaries, r.simulated.duration_s, renderSvg) +
          note(
            'Points are what Flagger read at each interval: the canary pods\' request-success-rate (reporter="destination") over the metric interval. A new weight reaches the sidecars after istiod\'s push (config_propagated in the timeline).',
          ),
      ),
    );

  sections.push(crossZoneSection(r, ts));

  const allPods = Object.values(r.services)
    .flatMap((s) => Object.keys(s.pods ?? {}))
    .sort();
  const { intervals } = podIntervals(input.events, r.simulated.duration_s);
  const anyPodEvent = intervals.length > 0 || input.events.some((e) => e.type === 'outlier_eject' || e.type === 'outlier_uneject');
  sections.push(
    section(
      'ejections',
      'Outlier ejections, faults and crashes per pod',
      'red segments are pods outlier detection took out of load balancing, numbered with how long each lasted (Envoy ejects for base time × ejections so far, so a pod that keeps failing stays out longer each time); green triangles mark its returns; the amber fault or black crash that caused them lies below.',
      (anyPodEvent
        ? ''
        : emptyNote(
            'Nothing happened to any pod in this run: no fault or crash was scheduled and outlier detection ejected no host. To see ejections, give a service a DestinationRule with trafficPolicy.outlierDetection and add a fault with errorRate (or crash) on one of its pods.',
          )) +
        figure(renderSvg(ejectionTimeline(input.events, allPods, ts))) +
        timelineTable(input.events),
    ),
  );

  const perPod = podTraffic(ts, input.events);
  if (perPod) {
    sections.push(
      section(
        'pods',
        'Requests per pod over time',
        "each service's pods stacked: an ejected, crashed or unready pod's band thins to zero while the others take its share, and widens again when it returns; shaded bands mark when each pod was ejected (red), faulted (amber) or crashed (black).",
        figure(renderSvg(perPod)) +
          note(
            `Calls each pod answered per second in ${durationText(ts.window_s)} windows, by when they were sent (every caller together: one sidecar may still send while another has ejected the pod).`,
          ),
      ),
    );
  }

  // HorizontalPodAutoscalers: desired / current / Ready replicas and the metric against its target (./hpa.ts).
  const hpa = hpaSection(r);
  if (hpa) sections.push(hpa);
  // The cluster autoscaler: node count, node CPU against cores with saturation bands (./nodes.ts).
  const nodes = nodesSection(r);
  if (nodes) sections.push(nodes);

  sections.push(
    section(
      'resources',
      'CPU and memory by component',
      r.mode === 'none'
        ? "the apps' own use: run the same scenario with --mode sidecar or ambient (or meshsim compare) to see what a mesh adds."
        : "the proxies' share next to the apps' own: that is what the mesh costs, in cores, memory and money.",
      figure(renderSvg(resourceBars(r))) + resourceTable(r),
    ),
  );

  sections.push(
    section(
      'services',
      'Services and edges',
      'error share and p99 per service (time in the service, queueing included) and per edge (as the caller saw it); retries are proxy retries sent towards the service.',
      servicesTable(r) + `<h3>Edges</h3>${edgesTable(r)}`,
    ),
  );

  if (input.scenario) sections.push(scenarioSection(input.scenario));

  sections.push(filesSection(input));

  const footer = `meshsim ${esc(r.meshsim)} · ${esc(r.scenario)} · mode ${esc(r.mode)} · seed ${esc(r.seed)} — simulated: every number comes from a model of the cluster, not from a cluster.`;
  return page(`${r.scenario} · ${r.mode} — meshsim report`, header, sections.join('\n'), footer);
}

function resourceTable(r: ResultsJson): string {
  const rows: (string | { html: string })[][] = Object.entries(r.resources.by_component).map(([c, u]) => [
    c,
    num(u.instances),
    num(u.cpu_cores, 3),
    num(u.memory_mib, 1),
    `$${num(u.monthly_cost_usd, 2)}`,
  ]);
  const t = r.resources.total;
  rows.push([{ html: '<b>total</b>' }, num(t.instances), num(t.cpu_cores, 3), num(t.memory_mib, 1), `$${num(t.monthly_cost_usd, 2)}`]);
  return table(
    [
      { label: 'component', left: true },
      { label: 'instances' },
      { label: 'CPU (cores)' },
      { label: 'memory (MiB)' },
      { label: 'cost / month' },
    ],
    rows,
  );
}

function servicesTable(r: ResultsJson): string {
  const rows = Object.entries(r.services).map(([name, s]) => {
    const fails = s.requests.failed;
    return [
      name,
      num(Object.keys(s.pods ?? {}).length),
      num(s.requests.total),
      { html: esc(pct(fails, s.requests.total)), cls: fails ? 'bad' : '' },
      ms(s.latency_ms.p50),
      ms(s.latency_ms.p99),
      num(s.retries),
    ];
  });
  return table(
    [
      { label: 'service', left: true },
      { label: 'pods' },
      { label: 'requests' },
      { label: 'errors' },
      { label: 'p50' },
      { label: 'p99' },
      { label: 'retries' },
    ],
    rows,
  );
}

function edgesTable(r: ResultsJson): string {
  const window = measuredSeconds(r);
  const rows = r.edges.map((e) => {
    const failed = Object.entries(e.by_code).reduce((n, [c, k]) => (Number(c) >= 400 || Number(c) < 100 ? n + k : n), 0);
    const codes = Object.entries(e.by_code)
      .map(([c, n]) => `${c}: ${num(n)}`)
      .join(' · ');
    const flags = Object.entries(e.by_flag ?? {})
      .filter(([, n]) => n > 0)
      .map(([f, n]) => `${f}: ${num(n)}`)
      .join(' · ');
    return [
      `${e.source} → ${e.destination}`,
      num(e.requests),
      num(e.requests / window, 1),
      { html: esc(pct(failed, e.requests)), cls: failed ? 'bad' : '' },
      ms(e.latency_ms.p50),
      ms(e.latency_ms.p99),
      e.mtls ? 'yes' : 'no',
      flags ? `${codes} — ${flags}` : codes,
    ];
  });
  return table(
    [
      { label: 'edge', left: true },
      { label: 'calls' },
      { label: 'calls/s' },
      { label: 'errors' },
      { label: 'p50' },
      { label: 'p99' },
      { label: 'mTLS' },
      { label: 'codes and flags', left: true },
    ],
    rows,
  );
}

const EVENT_LABELS: Record<string, string> = {
  outlier_eject: 'ejected',
  outlier_uneject: 'returned',
  config_applied: 'config applied',
  config_propagated: 'config reached proxies',
  fault_start: 'fault starts',
  fault_end: 'fault ends',
  pod_crash: 'crash',
  pod_restart: 'restart',
  pod_not_ready: 'NotReady',
  pod_ready: 'Ready',
  endpoint_removed: 'endpoint removed',
  endpoint_added: 'endpoint added',
  container_restart: 'container restart',
  pod_deleted: 'pod deleted',
  pod_created: 'pod created',
  pod_evicted: 'pod evicted',
  node_failure: 'node stops',
  node_not_ready: 'node NotReady',
  istiod_down: 'istiod down',
  istiod_up: 'istiod up',
  cert_rotation: 'certificates rotated',
};

/** One line a person reads for a timeline event; other events fall back to key=value. */
function eventDetail(e: TimelineEvent): string {
  const type = e.type;
  if (type === 'outlier_eject' || type === 'outlier_uneject') {
    const by = e.proxy ? ` by ${String(e.proxy)}` : '';
    const why = e.ejection_type
      ? ` (${String(e.ejection_type)}${e.num_ejections !== undefined ? `, ejection #${String(e.num_ejections)}` : ''})`
      : '';
    return `${String(e.pod ?? '')}${by}${why}`;
  }
  if (type === 'fault_start' || type === 'fault_end')
    return `${String(e.fault ?? '')}${e.pods ? ` — ${String(e.pods).split(',').join(', ')}` : ''}`;
  if (type === 'pod_crash' || type === 'pod_restart') return String(e.pod ?? '');
  return Object.entries(e)
    .filter(([k, v]) => k !== 't_s' && k !== 'type' && v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('  ');
}

function timelineTable(events: readonly TimelineEvent[]): string {
  const shown = events.filter((e) => e.type !== 'cert_rotation');
  if (shown.length === 0) return '';
  const limit = 60;
  const rows = shown.slice(0, limit).map((e) => [num(e.t_s, 3), EVENT_LABELS[e.type] ?? e.type, eventDetail(e)]);
  return (
    `<h3>Events</h3>${table(
      [
        { label: 't (s)', left: true },
        { label: 'event', left: true },
        { label: 'details', left: true },
      ],
      rows,
    )}` + (shown.length > limit ? note(`${shown.length - limit} more events in events.jsonl.`) : '')
  );
}

function filesSection(input: ReportInput): string {
  const r = input.results;
  const files = input.files ?? ['results.json', 'metrics.prom', 'metrics.om', 'traces.json', 'events.jsonl'];
  const describe: Record<string, string> = {
    'results.json': 'every number on this page, as JSON (CONTRACT.md §3)',
    'metrics.prom': 'Istio metrics at the end of the run (Prometheus text format 0.0.4)',
    'metrics.om': 'the same series every 15 s of simulated time (OpenMetrics), for backfilling Prometheus',
    'traces.json': input.traces
      ? `${num(input.traces.count)} sampled traces (${num(100 * input.traces.sampleRate, 2)}% of requests), OTLP/JSON`
      : 'sampled traces, OTLP/JSON',
    'events.jsonl': 'faults, crashes, ejections and config changes, one JSON object per line',
    'access.log':
      "Envoy access-log lines of the sampled requests (the traces' x-request-ids) in Istio's default TEXT format, one per proxy that logged the call: code, response flags, upstream host, durations",
    'report.html': 'this page',
  };
  // Every file written has a line that says what it holds (a test checks none is left blank).
  const list = files.map((f) => `<li><code>${esc(f)}</code> — ${esc(describe[f] ?? 'written by this run')}</li>`).join('');
  const epoch = input.epoch ?? '2026-01-01T00:00:00Z';
  const cmds = [
    "# check the snapshot (promtool exits 3 on one lint, 'use base unit \"seconds\"' for Istio's own",
    '# istio_request_duration_milliseconds: expected), then backfill the series into a Prometheus data directory',
    'promtool check metrics < metrics.prom',
    'promtool tsdb create-blocks-from openmetrics metrics.om ./prometheus-data',
    '# start Prometheus on it (needs its retention to reach back to the epoch)',
    'prometheus --storage.tsdb.path=./prometheus-data --storage.tsdb.retention.time=100y',
    '# push the traces to Jaeger, Tempo or an OpenTelemetry Collector (OTLP/HTTP)',
    "curl -H 'Content-Type: application/json' --data-binary @traces.json http://localhost:4318/v1/traces",
  ].join('\n');
  return section(
    'files',
    'Load it into your own tools',
    `simulated t=0 is ${epoch} in metrics.om and traces.json (--epoch); query Prometheus around that instant, e.g. sum by (destination_service_name, response_code) (rate(istio_requests_total{reporter="source"}[1m])).`,
    `<ul class="files">${list}</ul><pre>${esc(cmds)}</pre>` +
      note(
        `Counters count calls that started after the warmup, like results.json (mode ${r.mode}: ${r.mode === 'none' ? 'no proxies exist, the series are what sidecars would have reported' : 'source- and destination-reported series'}).`,
      ),
  );
}

/** Exact percentiles beside what a Grafana panel over Istio's histogram buckets would show. */
function bucketNote(r: ResultsJson, b: ReportInput['bucketPercentiles']): string {
  if (!b || r.requests.total === 0) return '';
  const pair = (name: string, exact: number, fromBuckets: number) => `${name} ${ms(exact)} exact vs ${ms(fromBuckets)} from buckets`;
  return note(
    `What Grafana will show: histogram_quantile over istio_request_duration_milliseconds interpolates inside Envoy's coarse buckets (…, 5, 10, 25, 50, 100, 250 ms, …), so for these requests it reads ${pair('p50', r.latency_ms.p50, b.p50)}, ${pair('p90', r.latency_ms.p90, b.p90)}, ${pair('p99', r.latency_ms.p99, b.p99)}. results.json and the tiles above are exact (full distribution).`,
  );
}
