/**
 * The report's "Replicas over time (HPA)" view: for every HorizontalPodAutoscaler of the run, the
 * replicas it asked for (desired), the pods its target had (current) and the Ready ones at each
 * 15 s sync, and each metric against its target, as `kubectl describe hpa` shows them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { HpaJson, ResultsJson } from '../results.js';
import { FULL_WIDTH } from './charts.js';
import { esc } from './escape.js';
import { figure, note, section } from './page.js';
import { renderSvg } from './render.js';
import { BAD, CATEGORICAL, MUTED, VL_CONFIG } from './theme.js';

const SERIES = ['desired', 'current', 'ready'];
const COLOURS = [CATEGORICAL[0]!, CATEGORICAL[1]!, CATEGORICAL[2]!];

const timeX = (durationS: number) => ({
  field: 't',
  type: 'quantitative' as const,
  title: 'simulated time (s)',
  scale: { domain: [0, durationS], nice: false, zero: true },
});

/** Desired, current and Ready replicas at each sync, as steps. */
export function replicasChart(h: HpaJson, durationS: number): TopLevelSpec {
  const rows = h.samples.flatMap((s) => [
    { t: s.t_s, series: 'desired', n: s.desired },
    { t: s.t_s, series: 'current', n: s.current },
    { t: s.t_s, series: 'ready', n: s.ready },
  ]);
  const bounds = [
    { y: h.min_replicas, label: `minReplicas ${h.min_replicas}` },
    { y: h.max_replicas, label: `maxReplicas ${h.max_replicas}` },
  ];
  return {
    config: VL_CONFIG,
    width: FULL_WIDTH,
    height: 200,
    layer: [
      {
        data: { values: bounds },
        mark: { type: 'rule', color: MUTED, strokeDash: [2, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: bounds },
        mark: { type: 'text', color: MUTED, align: 'left', dx: 4, dy: -6, fontSize: 10 },
        encoding: { x: { datum: 0, type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: timeX(durationS),
          y: { field: 'n', type: 'quantitative', title: 'replicas', scale: { zero: true } },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain: SERIES, range: COLOURS } },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: {
              domain: SERIES,
              range: [
                [1, 0],
                [5, 3],
                [2, 2],
              ],
            },
          },
        },
      },
    ],
  };
}

/** Each metric's current value (what the sync saw) against its target, dashed. */
export function metricChart(h: HpaJson, durationS: number): TopLevelSpec | undefined {
  const rows: { t: number; metric: string; v: number }[] = [];
  const targets = new Map<string, number>();
  for (const s of h.samples)
    for (const m of s.metrics) {
      targets.set(m.name, m.target);
      if (m.current !== null) rows.push({ t: s.t_s, metric: m.name, v: m.current });
    }
  if (rows.length === 0) return undefined;
  const names = [...targets.keys()];
  return {
    config: VL_CONFIG,
    width: FULL_WIDTH,
    height: 180,
    layer: [
      {
        data: { values: names.map((n) => ({ metric: n, target: targets.get(n) })) },
        mark: { type: 'rule', color: BAD, strokeDash: [6, 4] },
        encoding: { y: { field: 'target', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2, point: { size: 14, filled: true } },
        encoding: {
          x: timeX(durationS),
          y: { field: 'v', type: 'quantitative', title: 'metric (% of request for Utilization)', scale: { zero: true } },
          color: { field: 'metric', type: 'nominal', title: null, scale: { domain: names, range: CATEGORICAL.slice(3) } },
        },
      },
    ],
  };
}

/** The section, or nothing when the run had no HPA. */
export function hpaSection(r: ResultsJson): string | undefined {
  const hpas = Object.entries(r.hpa ?? {});
  if (hpas.length === 0) return undefined;
  const body = hpas
    .map(([name, h]) => {
      const last = h.samples[h.samples.length - 1];
      const metric = metricChart(h, r.simulated.duration_s);
      return (
        `<h3>HorizontalPodAutoscaler ${esc(name)} → Deployment ${esc(h.target)} (service ${esc(h.service)})</h3>` +
        figure(renderSvg(replicasChart(h, r.simulated.duration_s))) +
        (metric ? figure(renderSvg(metric)) : '') +
        note(
          `Syncs every 15 s; desired = what the HPA set spec.replicas to, current = the target's pods not terminating, ready = those Ready (taking traffic once their endpoint reaches the proxies). Bounds ${h.min_replicas}–${h.max_replicas}; at the end ${last ? `${last.desired} desired, ${last.ready} ready` : 'no sync'}. The dashed red line is each metric's target.`,
        )
      );
    })
    .join('');
  return section(
    'hpa',
    'Replicas over time (HPA)',
    'the desired line steps up when the metric crosses its target by more than the 10 % tolerance; ready follows a few seconds later (startup, sidecar, readiness) and the metric falls back as new pods take traffic. Scale-down waits 5 minutes after the last high recommendation.',
    body,
  );
}
