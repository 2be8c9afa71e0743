/**
 * The connection-pool occupancy view on Istio's circuit-breaking task (scenarios/circuit-breaking.yaml:
 * maxConnections 1, http1MaxPendingRequests 1). Envoy's breakers count per client proxy and cluster
 * (envoy source/common/upstream/resource_manager_impl.h), pending requests stop at the limit
 * (conn_pool_base.cc newStreamImpl), and each worker's pool opens its first connection over
 * max_connections (tryCreateNewConnection), so the busiest sidecar's connections reach workers x
 * hosts = 2 while pending never passes 1.
 */
import { describe, expect, it } from 'vitest';
import { buildResults } from '../../src/report/results.js';
import { poolClusters, poolOccupancyChart } from '../../src/report/html/pool-view.js';
import { renderSvg } from '../../src/report/html/render.js';
import { simulate } from '../../src/sim/simulate.js';
import { TimeSeriesObserver } from '../../src/telemetry/timeseries.js';
import { scenarioFromFile } from '../dataplane/run-scenario.js';

describe('connection-pool occupancy view', () => {
  const scenario = scenarioFromFile('scenarios/circuit-breaking.yaml');
  const ts = new TimeSeriesObserver(scenario.durationUs, scenario.warmupUs);
  const results = buildResults(simulate(scenario, { observers: [ts] }));
  const json = ts.toJson();

  it('records connections, pending and overflows per destination cluster against its limits, bounded by the buckets', () => {
    const [p] = poolClusters(json);
    expect(p?.cluster).toBe('outbound|8000||httpbin.default.svc.cluster.local');
    expect(p?.limits).toMatchObject({ maxConnections: 1, maxPending: 1 });
    expect(p?.connections).toHaveLength(json.buckets.length);
    expect(Math.max(...p!.connections)).toBe(2); // one per worker over maxConnections 1: the leeway
    expect(Math.max(...p!.pending)).toBe(1);
    expect(p!.overflows.reduce((a, b) => a + b, 0)).toBe(results.requests.by_flag.UO);
  });

  it('renders as SVG with the limit lines', () => {
    const svg = renderSvg(poolOccupancyChart(json, poolClusters(json)));
    expect(svg).toContain('<svg');
  });

  it('is empty without a DestinationRule limit or an overflow', () => {
    const free = {
      ...json,
      pools: json.pools?.map((p) => ({
        ...p,
        limits: { maxConnections: 2 ** 32 - 1, maxPending: 2 ** 32 - 1, maxRequests: 2 ** 32 - 1 },
        overflows: p.overflows.map(() => 0),
      })),
    };
    expect(poolClusters(free)).toEqual([]);
  });
});
