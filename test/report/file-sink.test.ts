/** Streamed output files: bounded buffers, temporary names, renamed into place together or not at all. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputSet } from '../../src/report/file-sink.js';
import { loadScenario } from '../../src/analysis/load.js';
import { toOpenMetrics, writeOpenMetrics } from '../../src/report/openmetrics.js';
import { runObservers } from '../../src/report/outputs.js';
import { toOtlpTraces, writeTracesJson } from '../../src/report/traces-json.js';
import { simulate } from '../../src/sim/simulate.js';
import { repoPath } from '../dataplane/run-scenario.js';
import type { MetricFamily } from '../../src/telemetry/istio-metrics.js';

const dir = () => mkdtempSync(join(tmpdir(), 'meshsim-sink-'));

describe('OutputSet', () => {
  it('shows no file under its final name until commit, then all of them', () => {
    const d = dir();
    const set = new OutputSet(d);
    const big = set.file('big.txt');
    for (let i = 0; i < 200_000; i++) big.write(`line ${i}\n`); // > 1 MiB: flushed several times
    set.text('small.json', '{}\n');
    expect(readdirSync(d).filter((f) => !f.endsWith('.tmp'))).toEqual([]);
    expect(set.commit()).toEqual([join(d, 'big.txt'), join(d, 'small.json')]);
    expect(readdirSync(d).sort()).toEqual(['.meshsim-output', 'big.txt', 'small.json']); // the manifest is written last
    const text = readFileSync(join(d, 'big.txt'), 'utf8');
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    expect(text.endsWith('line 199999\n')).toBe(true);
  });

  it('leaves the directory as it was on abort', () => {
    const d = dir();
    const set = new OutputSet(d);
    set.file('a.txt').write('partial');
    set.abort();
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('writeOpenMetrics', () => {
  it('streams exactly the bytes toOpenMetrics returns', () => {
    const fam: MetricFamily = {
      name: 'h',
      type: 'histogram',
      help: 'a histogram',
      unit: 'milliseconds',
      buckets: [1, 5],
      series: [
        {
          labels: [['a', 'x']],
          points: [
            { tUs: 0, hist: { counts: Float64Array.from([0, 0, 0]), count: 0, sum: 0 } },
            { tUs: 15e6, hist: { counts: Float64Array.from([1, 2, 3]), count: 6, sum: 40.5 } },
          ],
        },
      ],
    };
    const pieces: string[] = [];
    writeOpenMetrics([fam], 0, (p) => pieces.push(p));
    expect(pieces.join('')).toBe(toOpenMetrics([fam], 0));
    expect(pieces.join('')).toContain('h_bucket{a="x",le="5.0"} 3 15\nh_bucket{a="x",le="+Inf"} 6 15\nh_count{a="x"} 6 15\n');
    expect(pieces[pieces.length - 1]).toBe('# EOF\n');
  });
});

describe('writeTracesJson', () => {
  it('streams the bytes of JSON.stringify(toOtlpTraces(…)) and a newline', () => {
    const { scenario } = loadScenario(repoPath('scenarios/three-tier.yaml'));
    const obs = runObservers(scenario, { mode: 'sidecar', durationUs: 8e6, traceSampleRate: 0.2 });
    simulate(scenario, { mode: 'sidecar', durationUs: 8e6, observers: obs.list });
    const traces = obs.traces.traces();
    expect(traces.length).toBeGreaterThan(10);
    const pieces: string[] = [];
    writeTracesJson(traces, 0, (p) => pieces.push(p));
    expect(pieces.length).toBeGreaterThan(traces.length);
    expect(pieces.join('')).toBe(`${JSON.stringify(toOtlpTraces(traces, 0))}\n`);
  });
});
