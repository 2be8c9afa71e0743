/**
 * Units at the config edge (src/config/units.ts): Istio-style durations into microseconds,
 * Kubernetes CPU quantities into cores and memory quantities into bytes — and the same through
 * the real scenario loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDuration, parseBytes, parseCpu, parseDuration } from '../../src/config/units.js';
import { loadScenario } from '../../src/analysis/load.js';

describe('parseDuration', () => {
  it.each([
    ['250us', 250],
    ['250µs', 250],
    ['20ms', 20_000],
    ['1.5s', 1_500_000],
    ['2m', 120_000_000],
    ['1h', 3_600_000_000],
    ['0s', 0],
    ['500ns', 0.5],
    ['.5s', 500_000],
    ['90s', 90_000_000],
    [' 20ms ', 20_000],
  ])('parses %j as %d microseconds', (text, us) => {
    expect(parseDuration(text)).toBe(us);
  });

  it.each(['5x', '', 's', '10', '-1s', '1 s', '1.5.s', '1S', '1ms5', 'ms', '1e3ms', '+1s', '1,5s', 'NaNs', 'Infinitys'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [250, '250us'],
    [20_000, '20ms'],
    [1_500_000, '1500ms'],
    [120_000_000, '2m'],
    [3_600_000_000, '1h'],
    [90_000_000, '90s'],
    [1_234, '1.234ms'],
    [2_500_000, '2500ms'],
  ])('formats %d microseconds as %j', (us, text) => {
    expect(formatDuration(us)).toBe(text);
  });

  it.each([250, 1_234, 20_000, 1_500_000, 120_000_000, 3_600_000_000, 90_000_000, 7_200_000_000, 1])(
    'round-trips %d microseconds through parseDuration',
    (us) => {
      expect(parseDuration(formatDuration(us))).toBe(us);
    },
  );
});

describe('parseCpu', () => {
  it.each([
    ['500m', 0.5],
    ['100m', 0.1],
    ['2000m', 2],
    ['2', 2],
    ['0.5', 0.5],
    ['1.5', 1.5],
    ['64', 64],
    [' 250m ', 0.25],
  ])('parses %j as %d cores', (text, cores) => {
    expect(parseCpu(text)).toBeCloseTo(cores, 12);
  });

  it('accepts a plain YAML number as cores', () => {
    expect(parseCpu(2)).toBe(2);
    expect(parseCpu(0.25)).toBe(0.25);
  });

  it.each(['', 'm', '-1', '1k', '500M', 'one', '1.2.3', '500 m'])('rejects %j', (text) => {
    expect(parseCpu(text)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseCpu(-1)).toBeUndefined();
    expect(parseCpu(Number.NaN)).toBeUndefined();
    expect(parseCpu(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('parseBytes', () => {
  it.each([
    ['256Mi', 256 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['1Ki', 1024],
    ['2Ti', 2 * 1024 ** 4],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['1k', 1_000],
    ['1M', 1_000_000],
    ['2G', 2_000_000_000],
    ['1T', 1e12],
    ['1500', 1500],
    ['0', 0],
  ])('parses %j as %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it('accepts a plain YAML number as bytes', () => {
    expect(parseBytes(4096)).toBe(4096);
  });

  it.each(['', 'Mi', '-1Mi', '256MB', '256mi', '1 Gi', 'lots', '1Gib'])('rejects %j', (text) => {
    expect(parseBytes(text)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseBytes(-5)).toBeUndefined();
    expect(parseBytes(Number.NaN)).toBeUndefined();
  });
});

describe('units through the scenario loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshsim-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('converts durations to microseconds, CPU to cores and memory to bytes', () => {
    const file = join(dir, 'units.yaml');
    writeFileSync(
      file,
      `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: units}
spec:
  duration: 2m
  warmup: 1.5s
  cluster:
    nodes:
      - {name: n0, cpu: 500m, memory: 256Mi}
      - {name: n1, cpu: "2", memory: 1Gi}
      - {name: n2, cpu: 4, memory: 1500}
    network: {sameNode: 250us, sameZone: 20ms, crossZone: 1h}
  services:
    - name: api
      serviceTime: {distribution: uniform, min: 250us, max: 20ms}
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {cpu: "1.5", memory: 1Gi}
  workload:
    - {name: users, target: api, rate: 1}
`,
    );
    const { scenario } = loadScenario(file);
    expect(scenario.durationUs).toBe(120_000_000);
    expect(scenario.warmupUs).toBe(1_500_000);
    expect(scenario.network).toEqual({ sameNodeUs: 250, sameZoneUs: 20_000, crossZoneUs: 3_600_000_000 });
    expect(scenario.nodes.map((n) => [n.cpu, n.memoryBytes])).toEqual([
      [0.5, 256 * 1024 ** 2],
      [2, 1024 ** 3],
      [4, 1500],
    ]);
    const api = scenario.services[0];
    expect(api?.versions[0]?.serviceTime).toEqual({ kind: 'uniform', min: 250, max: 20_000 });
    expect(api?.resources).toEqual({
      requestCpu: 0.1,
      requestMemoryBytes: 64 * 1024 ** 2,
      limitCpu: 1.5,
      limitMemoryBytes: 1024 ** 3,
    });
  });

  it('applies the documented defaults: 8 cores, 32Gi, 100m and 128Mi requests', () => {
    const file = join(dir, 'defaults.yaml');
    writeFileSync(
      file,
      `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: defaults}
spec:
  duration: 1s
  cluster: {nodes: [{name: n0}]}
  services: [{name: api}]
  workload: [{name: users, target: api, rate: 1}]
`,
    );
    const { scenario } = loadScenario(file);
    expect(scenario.nodes[0]).toMatchObject({ cpu: 8, memoryBytes: 32 * 1024 ** 3 });
    expect(scenario.services[0]?.resources).toMatchObject({ requestCpu: 0.1, requestMemoryBytes: 128 * 1024 ** 2 });
    expect(scenario.warmupUs).toBe(0);
  });
});
