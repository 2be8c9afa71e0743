/** sweep.html: the grid's results as a table and a chart of p99 and cost along the first axis. */
import type { TopLevelSpec } from 'vega-lite';
import { esc } from '../report/html/escape.js';
import { figure, page, section, table } from '../report/html/page.js';
import { beginDocument, renderSvg } from '../report/html/render.js';
import type { SweepJson } from './sweep.js';

function chart(s: SweepJson, field: 'p99' | 'cost', title: string): TopLevelSpec | undefined {
  const axis = s.axes[0];
  if (!axis) return undefined;
  const colour = s.axes[1]?.path;
  const values = s.points.map((p) => ({
    x: String(p.params[axis.path]),
    series: colour ? String(p.params[colour]) : 'all',
    seed: p.seed,
    y: field === 'p99' ? p.latency_ms.p99 : p.resources.monthly_cost_usd,
  }));
  return {
    width: 420,
    height: 220,
    title,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: axis.path, sort: axis.values.map(String) },
      y: {
        field: 'y',
        type: 'quantitative',
        aggregate: 'mean',
        title: field === 'p99' ? 'p99 latency (ms, mean over seeds)' : 'monthly cost ($, mean over seeds)',
      },
      color: { field: 'series', type: 'nominal', title: colour ?? '' },
    },
  };
}

export function sweepHtml(s: SweepJson): string {
  beginDocument();
  const charts = [chart(s, 'p99', 'p99 latency'), chart(s, 'cost', 'monthly cost')].filter((c): c is TopLevelSpec => c !== undefined);
  const axes = s.axes.map((a) => a.path);
  const rows = s.points.map((p) => [
    ...axes.map((a) => String(p.params[a])),
    String(p.seed),
    p.mode,
    String(p.requests.total),
    `${(100 * p.requests.error_rate).toFixed(3)}%`,
    p.latency_ms.p50.toFixed(3),
    p.latency_ms.p99.toFixed(3),
    p.resources.cpu_cores.toFixed(3),
    p.resources.memory_mib.toFixed(1),
    p.resources.monthly_cost_usd.toFixed(2),
  ]);
  const header = `<header class="top"><p class="kicker">meshsim sweep</p><h1>${esc(s.scenario)}</h1><p class="desc">${esc(`${s.points.length} of ${s.total_points} points${s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : ''}; axes ${axes.join(', ') || 'none'}; seeds ${s.seeds.join(', ')}.`)}</p></header>`;
  const body = [
    charts.length
      ? section(
          'charts',
          'Along the first axis',
          'how the tail and the cost move as the swept value grows; each line is a value of the second axis.',
          charts.map((c) => figure(renderSvg(c))).join(''),
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
          { label: 'p50 ms' },
          { label: 'p99 ms' },
          { label: 'CPU cores' },
          { label: 'memory MiB' },
          { label: '$/month' },
        ],
        rows,
      ),
    ),
  ].join('\n');
  return page(`meshsim sweep · ${s.scenario}`, header, body, `meshsim ${esc(s.meshsim)}`);
}
