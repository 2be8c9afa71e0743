/** `meshsim explain`: the run as a time-ordered story. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const explain = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), 'explain', ...args], { encoding: 'utf8' });

describe('meshsim explain', () => {
  it('tells the fault, each ejection and return in time order, and what users saw', () => {
    const r = explain(repoPath('scenarios/outlier-ejection.yaml'));
    expect(r.status).toBe(0);
    const times = [...r.stdout.matchAll(/^t=(\d+\.\d+)s/gm)].map((m) => Number(m[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(r.stdout).toMatch(/fault starts: errorRate 1 status 503 on payment pod 0/);
    expect(r.stdout).toMatch(
      /ejects payment-v1-0 from outbound\|8080\|\|payment\.default\.svc\.cluster\.local: CONSECUTIVE_5XX \(ejection #1/,
    );
    expect(r.stdout).toMatch(/brings payment-v1-0 back/);
    expect(r.stdout).toMatch(/In all: \d+ end-user requests/);
  });

  it('explains the response flags that occurred', () => {
    const r = explain(repoPath('scenarios/circuit-breaking.yaml'), '--duration', '5s');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/UO × \d+ .*circuit breaker was full/);
  });

  it('rejects bad flags like run does', () => {
    const r = explain(repoPath('scenarios/mm1.yaml'), '--mode', 'bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: --mode: unknown mode "bogus"/);
  });
});
