/** `--outputs LIST` (README.md "meshsim run"): names of outputs and the files they stand for. */
import { describe, expect, it } from 'vitest';
import { ALL_OUTPUTS, outputFileNames, parseOutputs } from '../../src/report/output-set.js';

describe('--outputs', () => {
  it('takes output names or file names, and all', () => {
    expect(parseOutputs('results,metrics')).toEqual(new Set(['results', 'metrics']));
    expect(parseOutputs('results.json, report.html')).toEqual(new Set(['results', 'report']));
    expect(parseOutputs('all')).toEqual(ALL_OUTPUTS);
  });

  it('rejects unknown names and an empty list with a message listing the outputs', () => {
    expect(parseOutputs('resuts')).toMatch(/unknown output "resuts" \(outputs: results, report, metrics, traces, events, access-log/);
    expect(parseOutputs(' , ')).toMatch(/at least one/);
  });

  it('lists files in the order report.html shows them', () => {
    expect(outputFileNames(ALL_OUTPUTS)).toEqual([
      'results.json',
      'report.html',
      'metrics.prom',
      'metrics.om',
      'traces.json',
      'events.jsonl',
      'access.log',
    ]);
    expect(outputFileNames(new Set(['metrics']))).toEqual(['metrics.prom', 'metrics.om']);
  });
});
