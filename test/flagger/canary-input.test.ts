/**
 * Flagger Canary YAML (flagger.app/v1beta1) loads wherever Istio YAML loads; mistakes are positioned
 * errors (exit 2), Flagger fields the simulator does not model are positioned warnings.
 * Field names: fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-canary-input-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });
const promote = readFileSync(repoPath('scenarios/canary-promote.yaml'), 'utf8');
const variant = (name: string, from: string, to: string) => {
  expect(promote).toContain(from);
  const file = join(tmp, name);
  writeFileSync(file, promote.replace(from, to));
  return file;
};
const lineOf = (file: string, text: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('Flagger Canary input', () => {
  it('the shipped canary scenarios validate', () => {
    for (const f of ['scenarios/canary-promote.yaml', 'scenarios/canary-rollback.yaml'])
      expect(cli('validate', repoPath(f)).status).toBe(0);
  });

  it('rejects a targetRef naming an unknown Deployment, at the name, listing the Deployments', () => {
    const file = variant('unknown.yaml', '        name: checkout-v1\n', '        name: checkout\n');
    const r = cli('run', file, '--out', join(tmp, 'out1'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${file}:${lineOf(file, '        name: checkout')}:15: error: Canary checkout: targetRef.name: unknown Deployment "checkout" in namespace default`,
    );
    expect(r.stderr).toContain('Deployments are: web-v1, web, checkout-v1, checkout-v2');
  });

  it('rejects an unknown field, at that field', () => {
    const file = variant('field.yaml', '        threshold: 2\n', '        treshold: 2\n');
    const r = cli('validate', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`${file}:${lineOf(file, 'treshold')}:9: error: Canary checkout:`);
    expect(r.stdout).toMatch(/treshold/);
  });

  it('rejects a DaemonSet target (only Deployments are modelled) and stepWeights that do not increase', () => {
    const ds = cli('validate', variant('ds.yaml', '        kind: Deployment\n', '        kind: DaemonSet\n'));
    expect(ds.status).toBe(2);
    expect(ds.stdout).toContain('targetRef.kind: only Deployment targets are modelled, got DaemonSet');
    const steps = cli('validate', variant('steps.yaml', '        stepWeight: 10\n', '        stepWeights: [10, 5]\n'));
    expect(steps.status).toBe(2);
    expect(steps.stdout).toContain('stepWeights must increase');
  });

  it('warns, at the field, about Flagger features it does not model (webhooks) and custom metrics', () => {
    const file = variant(
      'hooks.yaml',
      '        metrics:\n',
      '        webhooks:\n        - name: load-test\n          url: http://flagger-loadtester.test/\n        metrics:\n        - name: error-budget\n          templateRef: {name: budget}\n',
    );
    const r = cli('validate', file);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain(
      `${file}:${lineOf(file, 'webhooks:')}:9: warning: Canary checkout: spec.analysis.webhooks is not modelled`,
    );
    expect(r.stdout + r.stderr).toContain(`metric "error-budget" is not one of Flagger's built-in metrics`);
  });
});
