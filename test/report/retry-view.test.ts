/**
 * Retry amplification at each hop. Every hop of scenarios/retry-storm-depth.yaml retries 5xx twice
 * (3 tries per hop, istio/api networking/v1alpha3/virtual_service.proto HTTPRetry `attempts`), and
 * an app answers 500 when its own call fails, so a leaf that fails every request is tried
 * 3^depth times per end-user request: 3 at api, 9 at orders, 27 at ledger. Each retry is an
 * upstream request of its own (Envoy's upstream_rq_retry counts them, and the pods answer them).
 */
import { describe, expect, it } from 'vitest';
import { buildResults } from '../../src/report/results.js';
import { retryAmplification } from '../../src/report/html/retry-view.js';
import { simulate } from '../../src/sim/simulate.js';
import { TimeSeriesObserver } from '../../src/telemetry/timeseries.js';
import { scenarioFromFile } from '../dataplane/run-scenario.js';

describe('retry amplification view', () => {
  const scenario = scenarioFromFile('scenarios/retry-storm-depth.yaml');

  it('climbs to 3, 9 and 27 attempts per end-user request at depth 1, 2 and 3 while the leaf fails', () => {
    const ts = new TimeSeriesObserver(scenario.durationUs, scenario.warmupUs);
    const results = buildResults(simulate(scenario, { observers: [ts] }));
    const view = retryAmplification(ts.toJson(), results);
    expect(view).toBeDefined();
    const peak = Object.fromEntries(view!.totals.map((t) => [t.service, t.peak]));
    expect(peak).toEqual({ web: 1, api: 3, orders: 9, ledger: 27 });
  });

  it('is left out when nothing retried (mode none has no proxy to retry)', () => {
    const ts = new TimeSeriesObserver(scenario.durationUs, scenario.warmupUs);
    const results = buildResults(simulate(scenario, { mode: 'none', observers: [ts] }));
    expect(retryAmplification(ts.toJson(), results)).toBeUndefined();
  });
});
