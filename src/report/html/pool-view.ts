/**
 * The connection-pool occupancy view: per destination cluster, the most open connections and
 * pending requests any one client sidecar held, against the DestinationRule's limits (dashed
 * lines), with the circuit-breaker overflows (503 UO) below. Envoy's breakers count per client
 * proxy and cluster, while each worker's pool to a host may open its first connection over
 * max_connections (envoy source/common/conn_pool/conn_pool_base.cc, tryCreateNewConnection;
 * docs/root/intro/arch_overview/upstream/circuit_breaking.rst), so connections can sit above the
 * line by up to workers × hosts.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { PoolSeriesJson } from '../../record/pool-occupancy.js';
import type { TimeSeriesJson } from '../../telemetry/timeseries.js';
import { FULL_WIDTH, timeAxis, vl } from './charts.js';
import { VL_CONFIG } from './theme.js';

/** Istio's "unset" threshold (2^32 − 1): no line is drawn for it. */
const UNLIMITED = 2 ** 32 - 1;
/** At most this many clusters are drawn (those with limits or overflows first). */
const MAX_CLUSTERS = 6;

const SERIES = ['connections', 'pending'] as const;
const COLORS = { connections: '#2563eb', pending: '#d97706' };

/** The clusters worth a chart: a DestinationRule limit or an overflow; undefined when none. */
export function poolClusters(ts: TimeSeriesJson): PoolSeriesJson[] {
  const limited = (p: PoolSeriesJson) =>
    p.limits.maxConnections < UNLIMITED || p.limits.maxPending < UNLIMITED || p.limits.maxRequests < UNLIMITED;
  const overflows = (p: PoolSeriesJson) => p.overflows.reduce((a, b) => a + b, 0);
  return (ts.pools ?? [])
    .filter((p) => limited(p) || overflows(p) > 0)
    .sort((a, b) => overflows(b) - overflows(a) || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))
    .slice(0, MAX_CLUSTERS);
}

export function poolOccupancyChart(ts: TimeSeriesJson, pools: PoolSeriesJson[]): TopLevelSpec {
  const t = (i: number) => Math.round(i * ts.bucket_s * 1e6) / 1e6;
  const charts = pools.map((p) => {
    const rows = p.connections.flatMap((_, i) => SERIES.map((s) => ({ t: t(i), series: s, value: p[s][i] ?? 0 })));
    const limits = [
      ...(p.limits.maxConnections < UNLIMITED
        ? [{ series: 'connections', limit: p.limits.maxConnections, label: `maxConnections ${p.limits.maxConnections}` }]
        : []),
      ...(p.limits.maxPending < UNLIMITED
        ? [{ series: 'pending', limit: p.limits.maxPending, label: `http1MaxPendingRequests ${p.limits.maxPending}` }]
        : []),
    ];
    const overflowRows = p.overflows.map((n, i) => ({ t: t(i), rate: Math.round((n / ts.bucket_s) * 1000) / 1000 }));
    const color = { field: 'series', type: 'nominal', title: null, scale: { domain: [...SERIES], range: SERIES.map((s) => COLORS[s]) } };
    return {
      vconcat: [
        {
          title: { text: p.cluster, subtitle: `${p.proxies} client proxies · busiest one shown`, anchor: 'start', fontSize: 12 },
          width: FULL_WIDTH - 80,
          height: 150,
          layer: [
            {
              data: { values: rows },
              mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
              encoding: {
                x: timeAxis(ts.duration_s),
                y: { field: 'value', type: 'quantitative', title: 'per client proxy' },
                color,
                tooltip: [
                  { field: 'series', type: 'nominal' },
                  { field: 't', type: 'quantitative', title: 'from (s)' },
                  { field: 'value', type: 'quantitative', title: 'most at once' },
                ],
              },
            },
            ...(limits.length
              ? [
                  {
                    data: { values: limits },
                    mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
                    encoding: {
                      y: { field: 'limit', type: 'quantitative' },
                      color,
                      tooltip: [{ field: 'label', type: 'nominal', title: 'limit' }],
                    },
                  },
                ]
              : []),
          ],
        },
        {
          width: FULL_WIDTH - 80,
          height: 60,
          data: { values: overflowRows },
          mark: { type: 'area', interpolate: 'step-after', color: '#dc2626', opacity: 0.7 },
          encoding: {
            x: timeAxis(ts.duration_s),
            y: { field: 'rate', type: 'quantitative', title: '503 UO /s' },
            tooltip: [
              { field: 't', type: 'quantitative', title: 'from (s)' },
              { field: 'rate', type: 'quantitative', title: 'overflows per second' },
            ],
          },
        },
      ],
    };
  });
  return vl({ config: VL_CONFIG, vconcat: charts, resolve: { scale: { color: 'independent' } } });
}
