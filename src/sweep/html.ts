/** sweep.html: the grid's results as a table and a chart of p99 and cost along the first axis. */
import type { TopLevelSpec } from 'vega-lite';
import { esc, ms, num } from '../report/html/escape.js';
import { allNumeric, HALF_WIDTH, seriesScale, VL_CONFIG } from './chart-style.js';
import { figure, page, section, table } from '../report/html/page.js';
import { loadChartLibraries } from '../report/html/chart-libraries.js';
import type { SweepJson } from './sweep.js';

function chart(s: SweepJson, field: 'p99' | 'cost', title: string): TopLevelSpec | undefined {
  const axis = s.axes[0];
  if (!axis) return undefined;
  const second = s.axes[1]?.path;
  const modes = new Set(s.points.map((p) => p.mode));
  // Series: the second axis, or the mode when several ran; one line otherwise.
  const seriesOf = (p: SweepJson['points'][number]) => (second ? String(p.params[second]) : modes.size > 1 ? p.mode : 'all');
  const numeric = allNumeric(axis.values);
  const values = s.points.map((p) => ({
    x: numeric ? Number(p.params[axis.path]) : String(p.params[axis.path]),
    series: seriesOf(p),
    seed: p.seed,
    y: field === 'p99' ? p.latency_ms.p99 : p.resources.monthly_cost_usd,
  }));
  const colour = seriesScale(values.map((v) => v.series));
  return {
    width: HALF_WIDTH,
    height: 240,
    title,
    data: { values },
    mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 },
    encoding: {
      x: numeric
        ? { field: 'x', type: 'quantitative', title: axis.path, scale: { zero: false } }
        : { field: 'x', type: 'ordinal', title: axis.path, sort: axis.values.map(String) },
      y: {
        field: 'y',
        type: 'quantitative',
        aggregate: 'mean',
        title: field === 'p99' ? 'p99 latency (ms, mean over seeds)' : 'monthly cost ($, mean over seeds)',
        axis: { format: field === 'p99' ? ',.3~f' : '$,.2f' },
      },
      color: { field: 'series', type: 'nominal', title: second ?? (modes.size > 1 ? 'mode' : ''), scale: colour },
    },
  };
}

/** The page. Vega (~0.5 s of CPU to load) is loaded only to draw charts: a sweep of seeds alone has none. */
export async function sweepHtml(s: SweepJson): Promise<string> {
  const charts = [chart(s, 'p99', 'p99 latency'), chart(s, 'cost', 'monthly cost')].filter((c): c is TopLevelSpec => c !== undefined);
  let svg = '';
  if (charts.length) {
    await loadChartLibraries();
    const { beginDocument, renderSvg } = await import('../report/html/render.js');
    beginDocument();
    svg = renderSvg({ config: VL_CONFIG, hconcat: charts, spacing: 40 } as TopLevelSpec);
  }
  const axes = s.axes.map((a) => a.path);
  const rows = s.points.map((p) => [
    ...axes.map((a) => String(p.params[a])),
    String(p.seed),
    p.mode,
    num(p.requests.total),
    `${num(100 * p.requests.error_rate, 3)}%`,
    ms(p.latency_ms.p50),
    ms(p.latency_ms.p99),
    num(p.resources.cpu_cores, 3),
    num(p.resources.memory_mib, 1),
    `$${num(p.resources.monthly_cost_usd, 2)}`,
  ]);
  const header = `<header class="top"><p class="kicker">meshsim sweep</p><h1>${esc(s.scenario)}</h1><p class="desc">${esc(`${s.points.length} of ${s.total_points} points${s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : ''}; axes ${axes.join(', ') || 'none'}; seeds ${s.seeds.join(', ')}.`)}</p></header>`;
  const body = [
    charts.length
      ? section(
          'charts',
          'Along the first axis',
          'how the tail and the cost move as the swept value grows; each line is a value of the second axis.',
          figure(svg),
        )
      : '',
    section(
      'points',
      'Every point',
      'each row is one run (one value of every axis and one seed).',
      table(
        [
          ...axes.map((a) => ({ label: a, left: true })),
          { label: 'seed' },
          { label: 'mode' },
          { label: 'requests' },
          { label: 'errors' },
          { label: 'p50' },
          { label: 'p99' },
          { label: 'CPU cores' },
          { label: 'memory MiB' },
          { label: 'monthly cost' },
        ],
        rows,
      ),
    ),
  ].join('\n');
  return page(`meshsim sweep · ${s.scenario}`, header, body, `meshsim ${esc(s.meshsim)}`);
}
