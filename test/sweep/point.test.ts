/**
 * A sweep point (src/sweep/point.ts) parses its scenario once for a thread's run of points with
 * the same --set values: the point's result must not depend on which points its thread ran before.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPoint, type PointJob } from '../../src/sweep/point.js';
import { repoPath } from '../dataplane/run-scenario.js';

const file = repoPath('scenarios/mm1.yaml');
const text = readFileSync(file, 'utf8');
const RATE = 'spec.workload[0].rate';
const paths = { [RATE]: ['spec', 'workload', 0, 'rate'] };

/** A point of M/M/1 with the workload's rate set, on `seed`, 60 simulated seconds (20 of them warm-up). */
const job = (rate: number, seed: number, source = text): PointJob => ({
  file,
  text: source,
  paths,
  point: { index: 0, params: { [RATE]: rate }, seed },
  durationUs: 60e6,
});

describe('runPoint', () => {
  it('gives a point the same result whatever its thread ran before (another --set value, the same, another text)', () => {
    const after = (before: PointJob[], point: PointJob) => {
      for (const b of before) runPoint(b);
      return runPoint(point);
    };
    const at50 = after([job(20, 1)], job(50, 2));
    expect(after([job(50, 1)], job(50, 2))).toEqual(at50); // the same values, parsed for the point before
    expect(after([job(50, 3), job(20, 3)], job(50, 2))).toEqual(at50); // other values in between
    expect(at50.params).toEqual({ [RATE]: 50 });
    expect(at50.requests.total).toBeGreaterThan(after([job(20, 4)], job(20, 2)).requests.total * 2);
    // The same file name with another text (an edited scenario) is parsed anew.
    const edited = text.replace('concurrency: 1', 'concurrency: 2');
    expect(after([job(50, 1)], job(50, 2, edited)).latency_ms.mean).toBeLessThan(at50.latency_ms.mean);
  });
});
