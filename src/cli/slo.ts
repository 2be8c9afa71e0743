/** SLO checks from spec.slo against the run's results. */
import type { SloModel } from '../config/model.js';
import type { ResultsJson } from '../report/results.js';
import type { SloCheck } from './summary.js';

export function checkSlo(slo: SloModel | undefined, r: ResultsJson): SloCheck[] {
  if (!slo) return [];
  const checks: SloCheck[] = [];
  const lat = (name: string, limitUs: number | undefined, valueMs: number) => {
    if (limitUs === undefined) return;
    const limitMs = limitUs / 1000;
    checks.push({ name: `${name} < ${limitMs} ms`, ok: valueMs < limitMs, detail: `${valueMs} ms` });
  };
  lat('p50', slo.p50Us, r.latency_ms.p50);
  lat('p90', slo.p90Us, r.latency_ms.p90);
  lat('p99', slo.p99Us, r.latency_ms.p99);
  lat('p99.9', slo.p999Us, r.latency_ms.p999);
  if (slo.successRate !== undefined) {
    // Unfinished requests count as failed: success over total + unfinished.
    const all = r.requests.total + r.requests.unfinished;
    const rate = all ? r.requests.succeeded / all : 1;
    checks.push({ name: `success rate >= ${slo.successRate}`, ok: rate >= slo.successRate, detail: rate.toFixed(5) });
  }
  return checks;
}
