/** capacity.html: latency and errors against the varied quantity, the answer (the knee) marked, every point listed. */
import type { TopLevelSpec } from 'vega-lite';
import { esc, ms, num } from '../report/html/escape.js';
import { HALF_WIDTH, seriesScale, VL_CONFIG } from './chart-style.js';
import { figure, page, section, table } from '../report/html/page.js';
import { beginDocument, renderSvg } from '../report/html/render.js';
import type { CapacityJson } from './capacity-run.js';
import type { CapacitySearch } from './capacity.js';

function chart(runs: [string, CapacitySearch][], vary: string, field: 'p99_ms' | 'error_rate', title: string): TopLevelSpec {
  const values = runs.flatMap(([mode, r]) =>
    r.points.map((p) => ({
      x: p.value,
      y: field === 'p99_ms' ? p.p99_ms : 100 * p.error_rate,
      mode,
      result: p.passed ? 'passes' : 'fails',
    })),
  );
  const answers = runs
    .filter(([, r]) => r.answer !== null)
    .map(([mode, r]) => ({ x: r.answer, mode, label: `${mode ? `${mode} ` : ''}${r.answer}` }));
  const colour = seriesScale(runs.map(([mode]) => mode));
  return {
    width: HALF_WIDTH,
    height: 240,
    title,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: vary },
          y: { field: 'y', type: 'quantitative', title: field === 'p99_ms' ? 'p99 latency (ms, worst seed)' : 'errors (%, worst seed)' },
          color: { field: 'mode', type: 'nominal', title: 'mode', scale: colour },
          shape: { field: 'result', type: 'nominal', title: 'SLO', scale: { domain: ['passes', 'fails'], range: ['circle', 'cross'] } },
        },
      },
      {
        data: { values: answers },
        mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 },
        encoding: { x: { field: 'x', type: 'quantitative' }, color: { field: 'mode', type: 'nominal', scale: colour } },
      },
      {
        data: { values: answers },
        mark: { type: 'text', align: 'left', dx: 4, dy: -4, fontSize: 10, y: 0, baseline: 'top' },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          text: { field: 'label' },
          color: { field: 'mode', type: 'nominal', scale: colour },
        },
      },
    ],
  };
}

export function capacityHtml(c: CapacityJson): string {
  beginDocument();
  const runs: [string, CapacitySearch][] = c.modes ? Object.entries(c.modes) : [[c.mode ?? '', c as CapacitySearch]];
  const answerText = runs
    .map(
      ([mode, r]) =>
        `${mode ? `${mode}: ` : ''}${r.answer === null ? 'no value meets the SLO' : `${r.answer} (bracket ${r.bracket?.join('–')})`}`,
    )
    .join('; ');
  const header = `<header class="top"><p class="kicker">meshsim capacity</p><h1>${esc(c.scenario)}</h1><p class="desc">${esc(
    `--vary ${c.vary}, SLO ${c.slo}, ${c.seeds.length} seed(s) per point (a point passes only if every seed passes). Answer: ${answerText}.`,
  )}</p></header>`;
  const rows = runs.flatMap(([mode, r]) =>
    r.points.map((p) => [
      mode,
      String(p.value),
      p.passed ? 'passes' : 'fails',
      ms(p.mean_ms),
      ms(p.p99_ms),
      `${num(100 * p.error_rate, 3)}%`,
      p.failed.join('; '),
    ]),
  );
  const body = [
    section(
      'charts',
      'Against the varied quantity',
      'the dashed line is the answer: the last value that meets the SLO (the knee).',
      figure(
        renderSvg({
          config: VL_CONFIG,
          hconcat: [chart(runs, c.vary, 'p99_ms', 'p99 latency'), chart(runs, c.vary, 'error_rate', 'errors')],
          spacing: 40,
        } as TopLevelSpec),
      ),
    ),
    section(
      'points',
      'Every point the search ran',
      'in value order; the figures are the worst over the seeds.',
      table(
        [
          { label: 'mode', left: true },
          { label: c.vary },
          { label: 'SLO' },
          { label: 'mean' },
          { label: 'p99' },
          { label: 'errors' },
          { label: 'why it failed', left: true },
        ],
        rows,
      ),
    ),
  ].join('\n');
  return page(`meshsim capacity · ${c.scenario}`, header, body, `meshsim ${esc(c.meshsim)}`);
}
