/**
 * The report's "Cross-zone traffic" section: per edge, the share of calls a pod in another zone
 * answered, over time, and what the transfer between zones costs. Locality load balancing keeps
 * the share near 0 while the caller's zone has healthy pods; a failover shows as a step up.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResultsJson } from '../results.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import { edgeLines } from './charts.js';
import { num } from './escape.js';
import { emptyNote, figure, note, section } from './page.js';
import { renderSvg } from './render.js';
import { durationText } from './scenario.js';

/** Share of calls (%) per edge answered from another zone, per window; undefined when no call crossed zones. */
export function crossZoneShare(ts: TimeSeriesJson): TopLevelSpec | undefined {
  const crossing = ts.edges.filter((e) => e.cross_zone_share);
  if (crossing.length === 0) return undefined;
  return edgeLines(
    ts,
    crossing,
    'share',
    (e, i) => Math.round((e.cross_zone_share?.[i] ?? 0) * 10000) / 100,
    { title: 'calls answered in another zone (%)', scale: { domain: [0, 100] } },
    160,
  );
}

export function crossZoneSection(r: ResultsJson, ts: TimeSeriesJson): string {
  const chart = crossZoneShare(ts);
  const cz = r.resources.cross_zone as ResultsJson['resources']['cross_zone'] | undefined;
  const cost = cz
    ? note(
        `${num(cz.requests)} requests (${num(100 * cz.share, 1)} % of those pods answered) crossed zones, carrying ${num(cz.gb, 3)} GB of requests and responses: $${num(cz.usd, 4)} over the run at $${num(cz.usd_per_gb, 3)}/GB, $${num(cz.monthly_usd, 2)} a month at this rate (profile prices.crossZoneGbUsd; spec.cost.crossZoneGbUsd overrides it).`,
      )
    : '';
  return section(
    'cross-zone',
    'Cross-zone share',
    'a line near 0 means locality load balancing keeps calls in the caller’s zone; a step up is a failover to another zone (each crossing adds the cross-zone latency and is billed per GB).',
    (chart
      ? figure(renderSvg(chart)) +
        note(`Share of each edge's calls answered by a pod in another zone, per ${durationText(ts.window_s)} window.`)
      : emptyNote(
          'No call crossed zones: every answer came from a pod in the caller’s zone (all nodes in one zone, or locality load balancing kept traffic local). Give nodes zones in spec.cluster.nodes to see it.',
        )) + cost,
  );
}
