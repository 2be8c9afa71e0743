/** HorizontalPodAutoscaler YAML: loaded with the scenario, bad ones are positioned errors (exit 2). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../dataplane/run-scenario.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-hpa-input-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });
const ramp = readFileSync(repoPath('scenarios/hpa-ramp.yaml'), 'utf8');
const variant = (name: string, from: string, to: string) => {
  expect(ramp).toContain(from);
  const file = join(tmp, name);
  writeFileSync(file, ramp.replace(from, to));
  return file;
};
const lineOf = (file: string, text: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('HorizontalPodAutoscaler input', () => {
  it('loads an autoscaling/v2 HPA targeting a service Deployment', () => {
    expect(cli('validate', repoPath('scenarios/hpa-ramp.yaml')).status).toBe(0);
  });

  it('rejects an HPA whose scaleTargetRef names an unknown Deployment, at that name', () => {
    const file = variant('unknown.yaml', '        name: web\n', '        name: checkout\n');
    const r = cli('run', file, '--out', join(tmp, 'out1'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${file}:${lineOf(file, 'name: checkout')}:15: error: HorizontalPodAutoscaler web: scaleTargetRef.name: unknown Deployment "checkout"`,
    );
  });

  it('rejects minReplicas > maxReplicas, at minReplicas', () => {
    const file = variant('minmax.yaml', 'minReplicas: 2', 'minReplicas: 30');
    const r = cli('validate', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(
      `${file}:${lineOf(file, 'minReplicas: 30')}:20: error: HorizontalPodAutoscaler web: spec.minReplicas: minReplicas (30) must be less than or equal to maxReplicas (24)`,
    );
  });

  it('rejects an unknown field in the HPA spec', () => {
    const file = variant('field.yaml', '      minReplicas: 2', '      minReplica: 2');
    const r = cli('validate', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/error: HorizontalPodAutoscaler web: .*minReplica/);
  });
});
