/**
 * comparison.html for `meshsim compare`: the same scenario and seed in every mode, side by side —
 * latency percentiles, p99 over time, CPU, memory and monthly cost per mode, and what each mode
 * adds over `none`. One self-contained file of static SVG; the same bytes for the same runs.
 */
import { MESH_COMPONENTS } from '../../modes/registry.js';
import type { ResultsJson } from '../results.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import { compareLatency, compareLatencyOverTime, compareOverhead, compareResources } from './charts.js';
import { esc, ms, num, pct } from './escape.js';
import { cards, descriptionHtml, emptyNote, figure, note, page, section, table, type Card } from './page.js';
import { beginDocument, renderSvg } from './render.js';
import { durationText } from './scenario.js';

export interface ComparisonInput {
  modes: Record<string, ResultsJson>;
  /** Time series per mode, when the runs were observed. */
  series?: Record<string, TimeSeriesJson>;
}

/** The mesh's own components (every component of the mode registry). */
const MESH = MESH_COMPONENTS.map((c) => c.name);

export function buildComparisonHtml(input: ComparisonInput): string {
  beginDocument();
  const modes = Object.keys(input.modes);
  if (modes.length === 0) throw new Error('comparison without modes');
  const get = (m: string) => input.modes[m]!;
  const first = get(modes[0]!);
  const none = input.modes.none;

  const header = `<header class="top">
<p class="kicker">meshsim comparison</p>
<h1>${esc(first.scenario)} <span class="mode">· ${modes.map((m) => esc(m)).join(' vs ')}</span></h1>
<ul class="chips">${modes.map((m) => `<li class="mode-${esc(m)}">mode <b>${esc(m)}</b></li>`).join('')}<li>profile <b>${esc(first.profile)}</b></li><li>seed <b>${esc(first.seed)}</b></li><li>simulated <b>${esc(durationText(first.simulated.duration_s))}</b></li><li>warmup <b>${esc(durationText(first.simulated.warmup_s))}</b></li></ul>
<div class="desc">${first.description?.trim() ? descriptionHtml(first.description) : '<p>(no description)</p>'}<p>Every mode got the same arrivals and the same service times (common random numbers), so the differences below are the mesh, not noise.</p></div>
</header>`;

  const modeCards: Card[] = modes.map((m) => {
    const r = get(m);
    const meshCpu = MESH.reduce((n, c) => n + (r.resources.by_component[c]?.cpu_cores ?? 0), 0);
    const dP99 = none && m !== 'none' ? r.latency_ms.p99 - none.latency_ms.p99 : undefined;
    return {
      label: `${m} · p99`,
      value: ms(r.latency_ms.p99),
      sub: `${dP99 === undefined ? `p50 ${ms(r.latency_ms.p50)}` : `${dP99 >= 0 ? '+' : ''}${ms(dP99)} vs none`} · mesh ${num(meshCpu, 3)} cores · $${num(r.resources.total.monthly_cost_usd, 2)}/mo`,
      tone: m === 'none' ? undefined : 'mesh',
    };
  });

  const sections: string[] = [];
  sections.push(
    section(
      'table',
      'Side by side',
      'the difference from none in brackets: that is what each data plane costs for this workload.',
      comparisonTable(input.modes),
    ),
  );

  sections.push(
    section(
      'latency',
      'End-user latency per mode',
      "how far each mode's bars rise above none's; the tail (p99, p99.9) usually grows more than the median.",
      figure(renderSvg(compareLatency(input.modes))),
    ),
  );

  const overTime = input.series ? compareLatencyOverTime(input.series, 'p99') : undefined;
  if (overTime) {
    sections.push(
      section(
        'latency-time',
        'p99 over simulated time per mode',
        'whether the gap between the modes is steady or opens up under bursts, faults or ejections.',
        figure(renderSvg(overTime)) +
          note(
            `p99 of the end-user requests sent in each time window (log histogram, ±2%)${first.simulated.warmup_s > 0 ? '; the grey band is the warmup' : ''}.`,
          ),
      ),
    );
  }

  sections.push(
    section(
      'resources',
      'CPU, memory and monthly cost per mode',
      "the stacked proxy components (sidecar, ztunnel, waypoint, istiod) above the apps' own share.",
      figure(renderSvg(compareResources(input.modes))),
    ),
  );

  const overhead = compareOverhead(input.modes);
  sections.push(
    section(
      'overhead',
      'Overhead over none',
      'added latency per percentile and added CPU, memory and cost per mode, relative to the same run without a mesh.',
      overhead
        ? figure(renderSvg(overhead))
        : emptyNote(
            'Mode none is not among the compared modes, so there is no baseline to subtract: run meshsim compare with --modes none,… to see the overhead.',
          ),
    ),
  );

  const footer = `meshsim ${esc(first.meshsim)} · ${esc(first.scenario)} · seed ${esc(first.seed)} · ${modes.map((m) => esc(m)).join(', ')} — simulated: every number comes from a model of the cluster, not from a cluster.`;
  return page(
    `${first.scenario} · ${modes.join(' vs ')} — meshsim comparison`,
    header + cards(modeCards, Math.min(4, Math.max(2, modes.length))),
    sections.join('\n'),
    footer,
  );
}

function comparisonTable(c: Record<string, ResultsJson>): string {
  const modes = Object.keys(c);
  const base = c.none;
  const get = (m: string) => c[m]!;
  const rows: (string | { html: string; cls?: string })[][] = [];
  const cell = (m: string, value: (r: ResultsJson) => number, fmt: (x: number) => string) => {
    const v = value(get(m));
    if (!base || m === 'none') return { html: esc(fmt(v)) };
    const d = v - value(base);
    const cls = d > 0 ? 'up' : d < 0 ? 'down' : '';
    return { html: `${esc(fmt(v))}<span class="delta ${cls}">(${d >= 0 ? '+' : '−'}${esc(fmt(Math.abs(d)))})</span>` };
  };
  const row = (label: string, value: (r: ResultsJson) => number, fmt: (x: number) => string) =>
    rows.push([label, ...modes.map((m) => cell(m, value, fmt))]);
  rows.push(['requests', ...modes.map((m) => num(get(m).requests.total))]);
  rows.push(['errors', ...modes.map((m) => pct(get(m).requests.failed, get(m).requests.total, 3))]);
  for (const [k, label] of [
    ['p50', 'latency p50'],
    ['p90', 'latency p90'],
    ['p99', 'latency p99'],
    ['p999', 'latency p99.9'],
  ] as const)
    row(label, (r) => r.latency_ms[k], ms);
  const comps = [...new Set(modes.flatMap((m) => Object.keys(get(m).resources.by_component)))];
  for (const comp of comps) {
    rows.push([`${comp} instances`, ...modes.map((m) => num(get(m).resources.by_component[comp]?.instances ?? 0))]);
    row(
      `${comp} CPU (cores)`,
      (r) => r.resources.by_component[comp]?.cpu_cores ?? 0,
      (x) => num(x, 3),
    );
    row(
      `${comp} memory (MiB)`,
      (r) => r.resources.by_component[comp]?.memory_mib ?? 0,
      (x) => num(x, 1),
    );
  }
  row(
    'total CPU (cores)',
    (r) => r.resources.total.cpu_cores,
    (x) => num(x, 3),
  );
  row(
    'total memory (MiB)',
    (r) => r.resources.total.memory_mib,
    (x) => num(x, 1),
  );
  row(
    'monthly cost (USD)',
    (r) => r.resources.total.monthly_cost_usd,
    (x) => `$${num(x, 2)}`,
  );
  row(
    'connections opened',
    (r) => r.connections?.opened ?? 0,
    (x) => num(x),
  );
  return table([{ label: '', left: true }, ...modes.map((m) => ({ label: m }))], rows);
}
