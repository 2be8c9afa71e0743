/**
 * The report's node view for runs with `cluster.autoscale`: the node count the cluster autoscaler
 * kept, and CPU used against the nodes' cores and the pods' requests, with red bands over the
 * intervals where a node's CPU demand exceeded its cores (saturation).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResultsJson } from '../results.js';
import { FULL_WIDTH } from './charts.js';
import { esc } from './escape.js';
import { figure, note, section } from './page.js';
import { renderSvg } from './render.js';
import { BAD, CATEGORICAL, MUTED, VL_CONFIG } from './theme.js';

type Timeline = NonNullable<ResultsJson['cluster']['autoscale']>['timeline'];

const timeX = (durationS: number) => ({
  field: 't',
  type: 'quantitative' as const,
  title: 'simulated time (s)',
  scale: { domain: [0, durationS], nice: false, zero: true },
});

/** Red bands over the scan intervals in which some node saturated. */
function saturationBands(tl: Timeline, interval: number): object {
  const bands = tl
    .filter((x) => x.saturated_nodes.length > 0)
    .map((x) => ({ from: x.t_s - interval, to: x.t_s, nodes: x.saturated_nodes.join(', ') }));
  return {
    data: { values: bands },
    mark: { type: 'rect', color: BAD, opacity: 0.12 },
    encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
  };
}

export function nodeCountChart(tl: Timeline, durationS: number): TopLevelSpec {
  return {
    config: VL_CONFIG,
    width: FULL_WIDTH,
    height: 140,
    layer: [
      {
        data: { values: [{ t: 0, n: tl[0]?.nodes ?? 0 }, ...tl.map((x) => ({ t: x.t_s, n: x.nodes }))] },
        mark: { type: 'line', interpolate: 'step-before', strokeWidth: 2, color: CATEGORICAL[0] },
        encoding: {
          x: timeX(durationS),
          y: { field: 'n', type: 'quantitative', title: 'nodes', scale: { zero: true }, axis: { tickMinStep: 1 } },
        },
      },
    ],
  };
}

export function nodeCpuChart(tl: Timeline, durationS: number, interval: number): TopLevelSpec {
  const series = ['cores', 'requested', 'used'];
  const rows = tl.flatMap((x) => [
    { t: x.t_s, series: 'cores', v: x.cpu_cores },
    { t: x.t_s, series: 'requested', v: x.cpu_requested_cores },
    { t: x.t_s, series: 'used', v: x.cpu_used_cores },
  ]);
  return {
    config: VL_CONFIG,
    width: FULL_WIDTH,
    height: 200,
    layer: [
      saturationBands(tl, interval),
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'step-before', strokeWidth: 2 },
        encoding: {
          x: timeX(durationS),
          y: { field: 'v', type: 'quantitative', title: 'CPU (cores)', scale: { zero: true } },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: series, range: [MUTED, CATEGORICAL[3]!, CATEGORICAL[0]!] },
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** The section, or nothing without the cluster autoscaler. */
export function nodesSection(r: ResultsJson): string | undefined {
  const a = r.cluster.autoscale;
  if (!a || a.timeline.length === 0) return undefined;
  const interval = a.timeline.length > 1 ? a.timeline[1]!.t_s - a.timeline[0]!.t_s : a.timeline[0]!.t_s;
  const saturated = a.timeline.filter((x) => x.saturated_nodes.length > 0).length;
  return section(
    'nodes',
    'Nodes over time (cluster autoscaler)',
    'the node count steps up a scan plus the provisioning delay after pods go Pending; used CPU close to the cores, or red bands, mean nodes saturate (requests set too low for what the pods use); requested close to the cores is what makes the autoscaler add nodes.',
    figure(renderSvg(nodeCountChart(a.timeline, r.simulated.duration_s))) +
      figure(renderSvg(nodeCpuChart(a.timeline, r.simulated.duration_s, interval))) +
      note(
        `Sampled at every ${interval} s scan: nodes alive, their allocatable cores, the cores the pods on them request (DaemonSets included) and the CPU used over the interval. Red bands: intervals in which over 10 % of a node's CPU work ran stretched because demand exceeded its cores (${saturated} of ${a.timeline.length}). Nodes ${a.nodes_initial} at the start, ${a.nodes_max} at most, ${r.cluster.nodes} at the end; ${a.node_hours} node-hours, $${r.cluster.node_monthly_cost_usd} a month at this average (min ${a.min}, max ${a.max}, provisioning ${esc(a.provisioning_delay_s)} s).`,
      ),
  );
}
