/**
 * Calibration acceptance: scenarios/istio-perf-benchmark.yaml (fortio → server on another node,
 * HTTP/1.1, 1 KB each way, 1000 rps, 2 proxy workers, mTLS) reproduces Istio's published
 * per-1000-rps figures (https://istio.io/latest/docs/ops/deployment/performance-and-scalability/):
 *
 *   sidecar   0.20 vCPU, 60 MB per sidecar       (Istio 1.24)
 *   ztunnel   0.06 vCPU, 12 MB per ztunnel       (Istio 1.24)
 *   waypoint  0.25 vCPU, 60 MB                   (Istio 1.24)
 *   latency   +0.228 ms P90 for two sidecars (1.20), +0.17 ms P90 for two ztunnels (1.22)
 *
 * Resources within 10%, latency within 25%. CPU is normalised by the measured request rate, so the
 * figure is per 1000 rps whatever the scenario's exact rate; memory is MiB × 1.048576 = MB.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ResultsJson } from '../../src/report/results.js';
import { measuredRate, perInstance, repoPath, run, scenarioFromFile, scenarioFromYaml } from './run-scenario.js';

const BENCHMARK = 'scenarios/istio-perf-benchmark.yaml';

const PUBLISHED = {
  sidecar: { vcpuPer1000Rps: 0.2, memoryMB: 60 },
  ztunnel: { vcpuPer1000Rps: 0.06, memoryMB: 12 },
  waypoint: { vcpuPer1000Rps: 0.25, memoryMB: 60 },
  twoSidecarsP90Ms: 0.228,
  twoZtunnelsP90Ms: 0.17,
};
const RESOURCE_TOLERANCE = 0.1;
const LATENCY_TOLERANCE = 0.25;

/** The benchmark with a waypoint for the server (ambient L4+L7), built from the shipped file. */
function waypointVariantYaml(): string {
  const doc = parseDocument(readFileSync(repoPath(BENCHMARK), 'utf8'));
  doc.setIn(['metadata', 'name'], 'istio-perf-benchmark-waypoint');
  doc.setIn(['spec', 'mesh', 'mode'], 'ambient');
  doc.setIn(['spec', 'mesh', 'waypoints'], ['fortio-server']);
  return String(doc);
}

/** vCPU per proxy instance per 1000 requests/s actually served. */
function vcpuPer1000Rps(r: ResultsJson, component: string): number {
  return (perInstance(r, component).cpuCores * 1000) / measuredRate(r);
}

function expectWithin(measured: number, published: number, tolerance: number): void {
  expect(Math.abs(measured - published) / published, `measured ${measured}, published ${published}`).toBeLessThanOrEqual(tolerance);
}

describe('istio-perf-benchmark reproduces the published 1000-rps figures', () => {
  const results: Record<'none' | 'sidecar' | 'ambient' | 'waypoint', ResultsJson> = {} as never;

  beforeAll(() => {
    const scenario = scenarioFromFile(BENCHMARK);
    results.none = run(scenario, { mode: 'none' });
    results.sidecar = run(scenario, { mode: 'sidecar' });
    results.ambient = run(scenario, { mode: 'ambient' });
    results.waypoint = run(scenarioFromYaml(waypointVariantYaml(), 'istio-perf-benchmark-waypoint.yaml'));
  });

  it('runs the benchmark at 1000 rps without errors in every mode', () => {
    for (const r of Object.values(results)) {
      expect(r.requests.failed).toBe(0);
      expect(measuredRate(r)).toBeGreaterThan(950);
      expect(measuredRate(r)).toBeLessThan(1050);
    }
    expect(results.waypoint.mode).toBe('ambient');
  });

  it('sidecar: 0.20 vCPU and 60 MB per sidecar per 1000 rps (±10%)', () => {
    const r = results.sidecar;
    // fortio's sidecar and the server's sidecar.
    expect(r.resources.by_component.sidecar?.instances).toBe(2);
    expectWithin(vcpuPer1000Rps(r, 'sidecar'), PUBLISHED.sidecar.vcpuPer1000Rps, RESOURCE_TOLERANCE);
    expectWithin(perInstance(r, 'sidecar').memoryMB, PUBLISHED.sidecar.memoryMB, RESOURCE_TOLERANCE);
  });

  it('ztunnel: 0.06 vCPU and 12 MB per ztunnel per 1000 rps (±10%)', () => {
    const r = results.ambient;
    // One ztunnel per node; the benchmark has two.
    expect(r.resources.by_component.ztunnel?.instances).toBe(2);
    expect(r.resources.by_component.sidecar).toBeUndefined();
    expectWithin(vcpuPer1000Rps(r, 'ztunnel'), PUBLISHED.ztunnel.vcpuPer1000Rps, RESOURCE_TOLERANCE);
    expectWithin(perInstance(r, 'ztunnel').memoryMB, PUBLISHED.ztunnel.memoryMB, RESOURCE_TOLERANCE);
  });

  it('waypoint: 0.25 vCPU and 60 MB per 1000 rps (±10%)', () => {
    const r = results.waypoint;
    expect(r.resources.by_component.waypoint?.instances).toBe(1);
    expectWithin(vcpuPer1000Rps(r, 'waypoint'), PUBLISHED.waypoint.vcpuPer1000Rps, RESOURCE_TOLERANCE);
    expectWithin(perInstance(r, 'waypoint').memoryMB, PUBLISHED.waypoint.memoryMB, RESOURCE_TOLERANCE);
  });

  it('two sidecars add +0.228 ms at P90 over no mesh (±25%)', () => {
    expectWithin(results.sidecar.latency_ms.p90 - results.none.latency_ms.p90, PUBLISHED.twoSidecarsP90Ms, LATENCY_TOLERANCE);
  });

  it('two ztunnels add +0.17 ms at P90 over no mesh (±25%)', () => {
    expectWithin(results.ambient.latency_ms.p90 - results.none.latency_ms.p90, PUBLISHED.twoZtunnelsP90Ms, LATENCY_TOLERANCE);
  });

  it('orders the data planes as the published charts do: none < ambient L4 < sidecar, and a waypoint adds to L4', () => {
    const p90 = (r: ResultsJson) => r.latency_ms.p90;
    expect(p90(results.none)).toBeLessThan(p90(results.ambient));
    expect(p90(results.ambient)).toBeLessThan(p90(results.sidecar));
    expect(p90(results.waypoint)).toBeGreaterThan(p90(results.ambient));
  });
});
