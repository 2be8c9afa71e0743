/**
 * `meshsim import` round trips (issue 15): simulate a shipped scenario, import what it exported —
 * its metrics through a real Prometheus (backfilled with promtool, queried over the HTTP API), and
 * its traces.json — with Kubernetes manifests of the same services, simulate the import, and
 * compare per edge (rate within 5%) and per service (p50 within 15%).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsJson } from '../../src/report/results.js';
import { repoPath } from '../dataplane/run-scenario.js';

const meshsim = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'meshsim-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Manifests for three-tier's services, as `kubectl get deploy,svc,ns -o yaml` prints them (a List). */
export const THREE_TIER_MANIFESTS = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: default, labels: {istio-injection: enabled}}
${[
  ['frontend', 3, '250m', '256Mi'],
  ['catalog', 3, '500m', '512Mi'],
  ['inventory', 2, '250m', '256Mi'],
]
  .map(
    ([name, replicas, cpu, mem]) => `- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: ${name}-v1, namespace: default, uid: 0b1c, resourceVersion: "12"}
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}, version: v1}}
      spec:
        containers:
        - name: ${name}
          image: example/${name}:1
          resources: {requests: {cpu: ${cpu}, memory: ${mem}}}
          readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}
  status: {readyReplicas: ${replicas}}
- apiVersion: v1
  kind: Service
  metadata: {name: ${name}, namespace: default}
  spec:
    selector: {app: ${name}}
    ports: [{name: http, port: 8080, targetPort: 8080}]`,
  )
  .join('\n')}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: default}
  data: {a: b}
`;

const results = (out: string) => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsJson;
const rateOf =
  (r: ResultsJson, warmupS = 5) =>
  (e: ResultsJson['edges'][number]) =>
    e.requests / (r.simulated.duration_s - warmupS);

/** Per-edge rate and per-service p50 errors of the imported run against the original. */
function compareRuns(original: ResultsJson, imported: ResultsJson) {
  const rate = rateOf(original);
  const rateI = rateOf(imported);
  const edges = original.edges.map((e) => {
    const twin = imported.edges.find((x) => x.source === e.source && x.destination === e.destination);
    return { edge: `${e.source} → ${e.destination}`, error: twin ? rateI(twin) / rate(e) - 1 : Infinity };
  });
  const services = Object.entries(original.services).map(([name, s]) => {
    const twin = imported.services[name];
    return { service: name, error: twin ? twin.latency_ms.p50 / s.latency_ms.p50 - 1 : Infinity };
  });
  return { edges, services };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('prometheus did not become ready');
}

const manifests = join(dir, 'three-tier-manifests.yaml');
writeFileSync(manifests, THREE_TIER_MANIFESTS);

describe('round trip through a real Prometheus', () => {
  const havePrometheus = existsSync('/usr/bin/prometheus') && existsSync('/usr/bin/promtool');
  it.skipIf(!havePrometheus)('three-tier: metrics.om backfilled, queried over the HTTP API, imported and simulated again', async () => {
    const orig = join(dir, 'tt');
    expect(meshsim('run', repoPath('scenarios/three-tier.yaml'), '--outputs', 'results,metrics', '--out', orig, '--quiet').status).toBe(0);
    const tsdb = join(dir, 'tsdb');
    const backfill = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(orig, 'metrics.om'), tsdb], {
      encoding: 'utf8',
    });
    expect(backfill.status, backfill.stderr).toBe(0);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, 'global: {scrape_interval: 15s}\nscrape_configs: []\n');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // The backfilled samples are from 2026-01-01 (meshsim's default --epoch): keep them whatever today's date.
    const prom = spawn(
      '/usr/bin/prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=100y',
      ],
      { stdio: 'ignore' },
    );
    let imported;
    try {
      await waitReady(url, prom);
      const out = join(dir, 'tt-prom.yaml');
      // The window: after the 5 s warm-up's first scrape (t=15 s) to the end (t=60 s).
      imported = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const c = spawn(
          process.execPath,
          [
            repoPath('bin/meshsim.js'),
            'import',
            '--manifests',
            manifests,
            '--metrics',
            url,
            '--window',
            '2026-01-01T00:00:15Z,2026-01-01T00:01:00Z',
            '--out',
            out,
            '--check',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    } finally {
      prom.kill('SIGTERM');
    }
    expect(imported.status, imported.stderr).toBe(0);
    console.log(`meshsim import --metrics ${url} --check:\n${imported.stdout}`);
    const out = join(dir, 'tt-prom.yaml');
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*schema\/scenario\.schema\.json$/);
    expect(meshsim('validate', out).status).toBe(0);
    const again = join(dir, 'tt-prom-run');
    expect(meshsim('run', out, '--outputs', 'results', '--out', again, '--quiet').status).toBe(0);
    const cmp = compareRuns(results(orig), results(again));
    console.log('Prometheus round trip:', JSON.stringify(cmp));
    for (const e of cmp.edges) expect(Math.abs(e.error), e.edge).toBeLessThan(0.05);
    for (const s of cmp.services) expect(Math.abs(s.error), s.service).toBeLessThan(0.15);
    // The manifests' replicas, not guesses.
    const r = results(again);
    expect(Object.fromEntries(Object.entries(r.services).map(([k, v]) => [k, Object.keys(v.pods).length]))).toEqual({
      catalog: 3,
      frontend: 3,
      inventory: 2,
    });
  });
});

describe('round trip through traces.json', () => {
  it('three-tier for 600 s (about 1,100 sampled traces): imported and simulated again', () => {
    const orig = join(dir, 'tt600');
    expect(
      meshsim('run', repoPath('scenarios/three-tier.yaml'), '--duration', '600s', '--outputs', 'results,traces', '--out', orig, '--quiet')
        .status,
    ).toBe(0);
    const out = join(dir, 'tt-traces.yaml');
    const imp = meshsim('import', '--manifests', manifests, '--traces', join(orig, 'traces.json'), '--out', out, '--check');
    expect(imp.status, imp.stderr).toBe(0);
    console.log(`meshsim import --traces traces.json --check:\n${imp.stdout}`);
    expect(imp.stderr).toMatch(/service time frontend: lognormal/);
    const again = join(dir, 'tt-traces-run');
    expect(meshsim('run', out, '--outputs', 'results', '--out', again, '--quiet').status).toBe(0);
    const cmp = compareRuns(results(orig), results(again));
    console.log('traces round trip:', JSON.stringify(cmp));
    for (const e of cmp.edges) expect(Math.abs(e.error), e.edge).toBeLessThan(0.05);
    for (const s of cmp.services) expect(Math.abs(s.error), s.service).toBeLessThan(0.15);
  });
});
