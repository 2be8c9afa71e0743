/** capacity.html: latency and errors against the varied quantity, the answer (the knee) marked, every point listed. */
import type { TopLevelSpec } from 'vega-lite';
import { esc } from '../report/html/escape.js';
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
  const answers = runs.filter(([, r]) => r.answer !== null).map(([mode, r]) => ({ x: r.answer, mode }));
  return {
    width: 460,
    height: 220,
    title,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: vary },
          y: { field: 'y', type: 'quantitative', title: field === 'p99_ms' ? 'p99 latency (ms, worst seed)' : 'errors (%, worst seed)' },
          color: { field: 'mode', type: 'nominal', title: 'mode' },
          shape: { field: 'result', type: 'nominal', title: 'SLO' },
        },
      },
      {
        data: { values: answers },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: { x: { field: 'x', type: 'quantitative' }, color: { field: 'mode', type: 'nominal' } },
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
      p.mean_ms.toFixed(3),
      p.p99_ms.toFixed(3),
      `${(100 * p.error_rate).toFixed(3)}%`,
      p.failed.join('; '),
    ]),
  );
  const body = [
    section(
      'charts',
      'Against the varied quantity',
      'the dashed line is the answer: the last value that meets the SLO (the knee).',
      [chart(runs, c.vary, 'p99_ms', 'p99 latency'), chart(runs, c.vary, 'error_rate', 'errors')].map((s) => figure(renderSvg(s))).join(''),
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
          { label: 'mean ms' },
          { label: 'p99 ms' },
          { label: 'errors' },
          { label: 'why it failed', left: true },
        ],
        rows,
      ),
    ),
  ].join('\n');
  return page(`meshsim capacity · ${c.scenario}`, header, body, `meshsim ${esc(c.meshsim)}`);
}
