/**
 * `meshsim sweep --k8s-job DIR`: the manifests validate against the Kubernetes OpenAPI schema
 * (kubernetes-models, offline), and running every shard's own command locally with
 * JOB_COMPLETION_INDEX set, then the merge Job's command, gives the unsharded sweep.json byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoPath } from '../dataplane/run-scenario.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshsim-k8s-job-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [repoPath('bin/meshsim.js'), ...args], { encoding: 'utf8' });
const SWEEP = ['--set', 'spec.workload[0].rate=100,300', '--seeds', '2', '--duration', '5s'];

describe('meshsim sweep --k8s-job', () => {
  const dir = join(tmp, 'manifests');
  const gen = cli(
    'sweep',
    repoPath('scenarios/three-tier.yaml'),
    ...SWEEP,
    '--k8s-job',
    dir,
    '--k8s-shards',
    '3',
    '--k8s-image',
    'example.com/meshsim:0.1.0',
  );
  const read = (f: string) => parse(readFileSync(join(dir, f), 'utf8'));

  it('writes a ConfigMap, a PVC, an Indexed Job and a merge Job that validate against the Kubernetes schema', () => {
    expect(gen.status, gen.stderr).toBe(0);
    const job = read('job.yaml');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(3);
    new ConfigMap(read('configmap.yaml')).validate();
    new PersistentVolumeClaim(read('pvc.yaml')).validate();
    new Job(job).validate();
    new Job(read('merge-job.yaml')).validate();
    expect(() => new Job({ ...job, spec: { ...job.spec, completions: 'three' } }).validate()).toThrow();
  });

  it('running every shard with JOB_COMPLETION_INDEX set, then the merge, equals the unsharded sweep byte for byte', () => {
    expect(gen.status, gen.stderr).toBe(0);
    const root = join(tmp, 'cluster');
    // The ConfigMap volume, as the kubelet lays it out.
    const cm = read('configmap.yaml');
    const job = read('job.yaml');
    const volume = job.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'scenario');
    for (const item of volume.configMap.items as { key: string; path: string }[]) {
      const path = join(root, 'scenario', item.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, cm.data[item.key]);
    }
    // `meshsim` on the PATH, as the image has it.
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'meshsim'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('bin/meshsim.js')}" "$@"\n`);
    chmodSync(join(bin, 'meshsim'), 0o755);
    const local = (script: string) => script.replaceAll('/scenario/', `${root}/scenario/`).replaceAll('/results', `${root}/results`);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const [sh, flag, script] = job.spec.template.spec.containers[0].command as string[];
    for (let i = 0; i < job.spec.completions; i++) {
      const r = spawnSync(sh!, [flag!, local(script!)], {
        encoding: 'utf8',
        env: { ...env, JOB_COMPLETION_INDEX: String(i) },
      });
      expect(r.status, r.stderr).toBe(0);
    }
    const merge = read('merge-job.yaml').spec.template.spec.containers[0].command as string[];
    const merged = spawnSync(merge[0]!, [merge[1]!, local(merge[2]!)], { encoding: 'utf8', env });
    expect(merged.status, merged.stderr).toBe(0);
    const whole = join(tmp, 'whole');
    expect(cli('sweep', repoPath('scenarios/three-tier.yaml'), ...SWEEP, '--workers', '1', '--out', whole).status).toBe(0);
    const expected = readFileSync(join(whole, 'sweep.json'), 'utf8');
    expect(merged.stdout).toBe(expected);
    expect(readFileSync(join(root, 'results', 'merged', 'sweep.json'), 'utf8')).toBe(expected);
  });
});
