/**
 * A sweep as Kubernetes manifests: the scenario (and its istioFiles) in a ConfigMap, an Indexed Job
 * whose pod number i runs shard i+1 of N (`JOB_COMPLETION_INDEX` is 0-based, `--shard` 1-based),
 * results on a shared volume, and a merge Job that joins the shards into one sweep.json.
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode
 * https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static/
 */
import { basename } from 'node:path';
import { stringify } from 'yaml';

export interface K8sJobRequest {
  scenarioName: string;
  /** The scenario file's name and text, and its istioFiles (paths relative to it) with their text. */
  scenarioFile: string;
  scenarioText: string;
  istioFiles: { path: string; text: string }[];
  /** The sweep's own flags, passed on unchanged: --set …, --seeds, --duration. */
  sweepArgs: string[];
  shards: number;
  image: string;
  namespace?: string;
  /** Requests of one shard's pod (it runs its points on one worker). */
  cpu: string;
  memory: string;
  storage: string;
}

/** Where the pods see the scenario and the results. */
export const SCENARIO_DIR = '/scenario';
export const RESULTS_DIR = '/results';

/** POSIX shell single-quoting. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);

/** A DNS-1123 name from the scenario name (Job names end up in pod hostnames: keep them short). */
const objectName = (prefix: string, scenario: string) => `${prefix}-${scenario}`.slice(0, 52).replace(/-+$/, '');

export interface K8sJobFiles {
  'configmap.yaml': string;
  'pvc.yaml': string;
  'job.yaml': string;
  'merge-job.yaml': string;
  'README.md': string;
}

export function k8sJobManifests(r: K8sJobRequest): K8sJobFiles {
  const job = objectName('meshsim-sweep', r.scenarioName);
  const merge = objectName('meshsim-merge', r.scenarioName);
  const cm = objectName('meshsim-scenario', r.scenarioName);
  const pvc = objectName('meshsim-results', r.scenarioName);
  const ns = r.namespace ? { namespace: r.namespace } : {};
  const labels = { 'app.kubernetes.io/name': 'meshsim', 'meshsim.dev/scenario': r.scenarioName };
  const scenarioName = basename(r.scenarioFile);
  // ConfigMap keys are flat; the volume's items put each file back at its relative path.
  const items = [
    { key: 'scenario.yaml', path: scenarioName, text: r.scenarioText },
    ...r.istioFiles.map((f, i) => ({ key: `file-${i}-${basename(f.path).replace(/[^-._a-zA-Z0-9]/g, '_')}`, path: f.path, text: f.text })),
  ];
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: cm, ...ns, labels },
    data: Object.fromEntries(items.map((i) => [i.key, i.text])),
  };
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: pvc, ...ns, labels },
    // Shards run on any node at once, so the volume must be mountable read-write by many.
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: r.storage } } },
  };
  const volumes = [
    { name: 'scenario', configMap: { name: cm, items: items.map((i) => ({ key: i.key, path: i.path })) } },
    { name: 'results', persistentVolumeClaim: { claimName: pvc } },
  ];
  const mounts = [
    { name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true },
    { name: 'results', mountPath: RESULTS_DIR },
  ];
  const container = (name: string, script: string) => ({
    name,
    image: r.image,
    command: ['sh', '-c', script],
    resources: { requests: { cpu: r.cpu, memory: r.memory } },
    volumeMounts: mounts,
  });
  const sweepScript = [
    'exec meshsim sweep',
    shellQuote(`${SCENARIO_DIR}/${scenarioName}`),
    ...r.sweepArgs.map(shellQuote),
    '--workers 1',
    `--shard "$((JOB_COMPLETION_INDEX + 1))/${r.shards}"`,
    `--out "${RESULTS_DIR}/shard-$JOB_COMPLETION_INDEX"`,
  ].join(' ');
  const shardDirs = Array.from({ length: r.shards }, (_, i) => `${RESULTS_DIR}/shard-${i}`).join(' ');
  // The merged sweep.json goes to the volume and to the log, so `kubectl logs` hands it over.
  const mergeScript = `meshsim merge ${shardDirs} --out ${RESULTS_DIR}/merged >&2 && cat ${RESULTS_DIR}/merged/sweep.json`;
  const indexed = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job, ...ns, labels },
    spec: {
      completionMode: 'Indexed',
      completions: r.shards,
      parallelism: r.shards,
      backoffLimit: r.shards * 2,
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [container('meshsim', sweepScript)], volumes } },
    },
  };
  const mergeJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: merge, ...ns, labels },
    spec: {
      backoffLimit: 2,
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [container('merge', mergeScript)], volumes } },
    },
  };
  const n = r.namespace ? ` -n ${r.namespace}` : '';
  const readme = `# meshsim sweep of ${r.scenarioName} on Kubernetes

${r.shards} shards, one pod each (an Indexed Job: pod i runs \`--shard i+1/${r.shards}\`), results on the
ReadWriteMany volume \`${pvc}\`, then a merge Job joins them into the same sweep.json a single
machine would write.

\`\`\`sh
# 1. the image (from the meshsim repository; push it where the cluster can pull it)
docker build -t ${r.image} . && docker push ${r.image}
# 2. the sweep
kubectl apply${n} -f configmap.yaml -f pvc.yaml -f job.yaml
kubectl wait${n} --for=condition=complete --timeout=24h job/${job}
# 3. the merge; its log is the merged sweep.json
kubectl apply${n} -f merge-job.yaml
kubectl wait${n} --for=condition=complete --timeout=1h job/${merge}
kubectl logs${n} job/${merge} > sweep.json
\`\`\`
`;
  const yaml = (o: unknown) => stringify(o, { lineWidth: 0 });
  return {
    'configmap.yaml': yaml(configMap),
    'pvc.yaml': yaml(claim),
    'job.yaml': yaml(indexed),
    'merge-job.yaml': yaml(mergeJob),
    'README.md': readme,
  };
}
