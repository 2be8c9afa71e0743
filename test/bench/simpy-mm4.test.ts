// The SimPy 3 peer of `npm run bench` (bench/lib/simpy_mm4.py) simulates the same M/M/4 station
// as bench/scenarios/mm4.yaml: its mean response and wait agree with M/M/c queueing theory (Erlang C,
// Kleinrock, Queueing Systems vol. 1, §3.5). Skipped where /usr/bin/python3 has no SimPy 3
// (Debian: apt-get install python3-simpy3).
import { describe, expect, it } from 'vitest';
import { MM4_THEORY, mmcTheory, simPyAvailable, simPyMm4 } from '../../bench/lib/simpy-mm4.js';

describe('M/M/c theory used to check the bench peers', () => {
  it('reduces to M/M/1 (Wq = rho / (mu - lambda)) for one server', () => {
    const t = mmcTheory(80, 100, 1);
    expect(t.erlangC).toBeCloseTo(0.8, 12);
    expect(t.meanWaitMs).toBeCloseTo((1000 * 0.8) / 20, 9);
    expect(t.meanResponseMs).toBeCloseTo(50, 9);
  });

  it('gives the M/M/4 rho = 0.8 bench model a mean wait of about 7.46 ms', () => {
    expect(MM4_THEORY.erlangC).toBeCloseTo(0.5964, 4);
    expect(MM4_THEORY.meanWaitMs).toBeCloseTo(7.455, 3);
    expect(MM4_THEORY.meanResponseMs).toBeCloseTo(17.455, 3);
  });
});

describe.skipIf(!simPyAvailable())('SimPy 3 M/M/4 peer (bench/lib/simpy_mm4.py)', () => {
  // 300 simulated seconds, ~96,000 requests, well under a second of Python. The run is seeded, so
  // the figures are fixed; the tolerances are those of the estimate, which at rho = 0.8 is noisy
  // (successive waits are strongly correlated): a few % on the response, more on the wait alone.
  const DURATION_S = 300;
  const run = simPyAvailable() ? simPyMm4(DURATION_S, 1) : undefined;

  it('is SimPy 3 and serves about 320 requests per simulated second', () => {
    expect(run?.version).toMatch(/^3\./);
    expect(run?.requests).toBeGreaterThan(320 * DURATION_S * 0.98);
    expect(run?.requests).toBeLessThan(320 * DURATION_S * 1.02);
  });

  it('has the M/M/4 mean response (10 ms service + Erlang C wait) within 6%', () => {
    expect(Math.abs((run?.meanResponseMs ?? 0) / MM4_THEORY.meanResponseMs - 1)).toBeLessThan(0.06);
    expect(Math.abs((run?.meanWaitMs ?? 0) / MM4_THEORY.meanWaitMs - 1)).toBeLessThan(0.2);
  });
});
