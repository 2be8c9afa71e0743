/**
 * "Canary weight vs error rate": for each Flagger Canary, the traffic weight Flagger gave the
 * canary after each analysis interval (a step line) against the canary's error rate that interval's
 * check read (100 − request-success-rate), with the limit the success-rate check allows, and the
 * rollback or promotion marked. Data: results.json `canaries` (sim/canary.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CanaryRun } from '../../sim/canary.js';
import { base, timeAxis, vl } from './charts.js';
import { BAD, INK, MUTED, OK, WARN } from './theme.js';

const SERIES = ['canary weight (%)', 'canary error rate (%)'];

export function canaryChart(c: CanaryRun, durationS: number): TopLevelSpec {
  const errorLimit = c.success_rate_min === undefined ? undefined : Math.round((100 - c.success_rate_min) * 1000) / 1000;
  const rows: { t: number; series: string; value: number }[] = [{ t: 0, series: SERIES[0]!, value: 0 }];
  const marks: { t: number; label: string }[] = [];
  for (const k of c.ticks) {
    rows.push({ t: k.t_s, series: SERIES[0]!, value: k.weight });
    if (k.success_rate !== undefined) rows.push({ t: k.t_s, series: SERIES[1]!, value: Math.round((100 - k.success_rate) * 1000) / 1000 });
    if (k.action === 'rollback') marks.push({ t: k.t_s, label: 'rollback' });
    if (k.action === 'promote') marks.push({ t: k.t_s, label: 'promote' });
    if (k.action === 'halt') marks.push({ t: k.t_s, label: `failed check ${k.failed_checks}` });
  }
  rows.push({ t: durationS, series: SERIES[0]!, value: c.weight });
  const byColor = { domain: SERIES, range: [INK, BAD] };
  return vl({
    ...base(),
    title: {
      text: `Canary ${c.namespace}/${c.name} (${c.target}${c.revision ? ` → ${c.revision}` : ''}): ${c.phase}`,
      anchor: 'start',
      fontSize: 12,
    },
    layer: [
      {
        data: { values: rows.filter((r) => r.series === SERIES[0]) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: timeAxis(durationS),
          y: { field: 'value', type: 'quantitative', title: 'percent', scale: { domain: [0, 100] } },
          color: { field: 'series', type: 'nominal', title: null, scale: byColor },
        },
      },
      {
        data: { values: rows.filter((r) => r.series === SERIES[1]) },
        mark: { type: 'line', point: true, strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: null, scale: byColor },
        },
      },
      ...(errorLimit === undefined
        ? []
        : [
            {
              data: { values: [{ y: errorLimit, label: `error-rate limit ${errorLimit}%` }] },
              mark: { type: 'rule', color: WARN, strokeDash: [4, 3] },
              encoding: { y: { field: 'y', type: 'quantitative' } },
            },
          ]),
      {
        data: { values: marks },
        mark: { type: 'rule', color: MUTED, strokeDash: [2, 2] },
        encoding: { x: { field: 't', type: 'quantitative' } },
      },
      {
        data: { values: marks },
        mark: { type: 'text', angle: 270, align: 'left', dx: 4, dy: -4, fontSize: 10 },
        encoding: {
          x: { field: 't', type: 'quantitative' },
          y: { datum: 55 },
          text: { field: 'label' },
          color: { value: c.phase === 'Failed' ? BAD : OK },
        },
      },
    ],
  });
}

/** The report section: one chart per Canary, or nothing when the run had none. */
export function canarySectionBody(canaries: readonly CanaryRun[], durationS: number, render: (spec: TopLevelSpec) => string): string {
  return canaries.map((c) => `<figure>${render(canaryChart(c, durationS))}</figure>`).join('');
}
