/** access.log: Istio's default TEXT access-log format for the sampled requests. */
import { describe, expect, it } from 'vitest';
import { accessLog } from '../../src/report/access-log.js';
import { simulate } from '../../src/sim/simulate.js';
import { TraceObserver } from '../../src/telemetry/traces.js';
import { scenarioFromFile } from '../dataplane/run-scenario.js';

/** Istio's EnvoyTextLogFormat, field by field, after the proxy name meshsim puts first. */
const LINE =
  /^(\S+) \[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(\S+) (\S+) (HTTP\/1\.1|HTTP\/2)" (\d+) (\S+) (\S+) - "-" (\d+) (\d+) (\d+) (\S+) "-" "meshsim" "([0-9a-f-]{36})" "(\S+)" "(\S+)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/;

function logFor(file: string, mode: 'sidecar' | 'none' | 'ambient') {
  const scenario = scenarioFromFile(file);
  const traces = new TraceObserver({ seed: scenario.seed, network: scenario.network, sampleRate: 0.05 });
  simulate(scenario, { mode, observers: [traces], durationUs: 10e6 });
  return accessLog(traces.sampledCalls(), mode, Date.UTC(2026, 0, 1));
}

describe('access.log', () => {
  it("writes an outbound and an inbound line per sampled call in sidecar mode, in Istio's format", () => {
    const lines = logFor('scenarios/three-tier.yaml', 'sidecar').trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(l).toMatch(LINE);
    const outbound = lines.filter((l) => (LINE.exec(l)?.[16] ?? '').startsWith('outbound|'));
    const inbound = lines.filter((l) => (LINE.exec(l)?.[16] ?? '').startsWith('inbound|'));
    expect(outbound.length).toBe(inbound.length);
    // Inbound lines over mTLS carry the SNI Istio uses between sidecars.
    expect(inbound.every((l) => /outbound_\.\d+_\._\.\S+\.svc\.cluster\.local default$/.test(l))).toBe(true);
  });

  it('shows the overflow detail and flag for circuit-breaker rejections', () => {
    const log = logFor('scenarios/circuit-breaking.yaml', 'sidecar');
    expect(log).toMatch(/" 503 UO upstream_reset_before_response_started\{overflow\} - "-" 256 81 /);
  });

  it('is empty without proxies (mode none)', () => {
    expect(logFor('scenarios/three-tier.yaml', 'none')).toBe('');
  });
});
