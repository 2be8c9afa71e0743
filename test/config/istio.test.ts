/**
 * Istio / Kubernetes YAML as users hand it over: the sample configs load unmodified, Istio's own
 * validation errors come out positioned in the user's file (inside an inline block too), and
 * config that will not do what it seems to gets a warning.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const BIN = repoPath('bin/meshsim.js');
const FIXTURES = repoPath('../shared/fixtures/istio');
const tmp = mkdtempSync(join(tmpdir(), 'meshsim-istio-'));
let n = 0;

function cli(args: string[]) {
  const p = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
}

/** A scenario whose inline istio block starts on line 13 (content on line 14). */
function scenarioWith(istio: string, mode = 'sidecar'): string {
  const file = join(tmp, `s${n++}.yaml`);
  writeFileSync(
    file,
    `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: istio-check}
spec:
  duration: 5s
  mesh: {mode: ${mode}}
  services:
    - name: reviews
      versions: [{name: v1, replicas: 2}, {name: v2, replicas: 1}]
  workload:
    - name: users
      target: reviews
      rate: 10
  istio: |
${istio
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`,
  );
  return file;
}

// The fixtures live in ../shared beside the repository (as in CI); without it these tests skip.
const fixtures = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(FIXTURES, f))
  : [];

describe.skipIf(fixtures.length === 0)('Istio sample configs load unmodified (../shared/fixtures/istio)', () => {
  it.each(fixtures.map((f) => [f.split('/').pop(), f]))('%s passes meshsim validate', (_name, file) => {
    const r = cli(['validate', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/: error: /);
  });

  it('all of them together (Bookinfo manifests define the services the routes use)', () => {
    const r = cli(['validate', ...fixtures]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).not.toMatch(/destination host "reviews" is not a service/);
    // The sample with a rule after a catch-all gets Istio's warning.
    expect(r.stdout).toMatch(
      /fault-injection-details-v1\.yaml:\d+:\d+: warning: .*rule #1 not used \(only the last rule can have no matches\)/,
    );
  });
});

describe("Istio's validation, positioned in the scenario file", () => {
  it('a negative weight inside the inline block points at its line in the scenario', () => {
    const file = scenarioWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weight: -5
`);
    const r = cli(['run', file, '--out', join(tmp, 'out-w')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${file}:23:19: error: VirtualService default/reviews: weight -5 < 0`);
  });

  it.each([
    ['retryOn: 5xxx', '"5xxx" is not a valid retryOn policy'],
    ['attempts: 0\n      perTryTimeout: 1s', 'http retry policy configured when attempts are set to 0 (disabled)'],
    ['attempts: -1', 'attempts cannot be negative'],
  ])('retries {%s} is rejected: %s', (retries, message) => {
    const file = scenarioWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
    retries:
      ${retries.includes('attempts') ? retries : `attempts: 2\n      ${retries}`}
`);
    const r = cli(['run', file, '--out', join(tmp, `out-r${n}`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error: .*${message.replace(/[()]/g, '\\$&')}`),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown mTLS mode and a negative connection limit are errors with the right lines', () => {
    const file = scenarioWith(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICTT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: -1}}
`);
    const r = cli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`:19:\\d+: error: .*mtls.mode: unknown value`));
    expect(r.stdout).toMatch(new RegExp(`:27:\\d+: error: .*max connections must be non-negative`));
  });

  it('an unknown field in a VirtualService is an error; an unmodelled kind is a warning', () => {
    const bad = cli([
      'validate',
      scenarioWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  htp: []
`),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/error: .*unknown field "htp"/);
    const warn = cli([
      'validate',
      scenarioWith(`
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm}
spec: {address: 10.9.0.1}
`),
    ]);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toMatch(/warning: WorkloadEntry .* is not modelled/);
  });
});

describe('warnings where config will not do what it seems to', () => {
  const vs = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v5}}]
`;
  it('a subset no DestinationRule defines (IST0101)', () => {
    expect(cli(['validate', scenarioWith(vs)]).stdout).toMatch(/Referenced host\+subset in destinationrule not found: "reviews\+v5"/);
  });

  it('L7 config for a service without a waypoint in ambient mode', () => {
    const r = cli(['validate', scenarioWith(vs, 'ambient')]);
    expect(r.stdout).toMatch(/ambient mode: service reviews has no waypoint, so ztunnel ignores this VirtualService/);
  });

  it('an L7 AuthorizationPolicy bound to ztunnel', () => {
    const r = cli([
      'validate',
      scenarioWith(
        `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules: [{to: [{operation: {methods: [GET]}}]}]
`,
        'ambient',
      ),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: AuthorizationPolicy default\/get-only: .*ztunnel/);
  });

  it('the deprecated consecutiveErrors field', () => {
    const r = cli([
      'validate',
      scenarioWith(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection: {consecutiveErrors: 5, maxEjectionPercent: 100}
`),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: .*consecutive errors is deprecated/);
  });
});
