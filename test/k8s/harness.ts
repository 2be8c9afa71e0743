/**
 * A Kubernetes control plane over a real cluster model with a fake world: records what the
 * controllers ask of the app containers and the data plane, and every timeline event.
 */
import { Simulator } from '../../src/kernel/simulator.js';
import { RandomStreams } from '../../src/kernel/random.js';
import type { MeshMode, Scenario, VersionModel } from '../../src/config/model.js';
import { DEFAULT_POD_LIFECYCLE, type PodLifecycleModel } from '../../src/config/lifecycle.js';
import { buildCluster, type Cluster } from '../../src/world/build.js';
import type { NodeRt, PodRt, ServiceRt } from '../../src/world/entities.js';
import { Station } from '../../src/world/station.js';
import { KubeCluster, type WorldBridge } from '../../src/k8s/cluster.js';
import { scenarioFromYaml } from '../dataplane/run-scenario.js';

export const s = (seconds: number) => Math.round(seconds * 1e6);

export interface Logged {
  t: number;
  type: string;
  [k: string]: unknown;
}

export function scenarioWith(services: string, nodes = 3): Scenario {
  return scenarioFromYaml(`
apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: k8s}
spec:
  duration: 60s
  cluster: {nodes: ${nodes}}
  services:
${services}
  workload: [{name: users, target: payment, rate: 1}]
`);
}

export function harness(opts: { mode?: MeshMode; services?: string; nodes?: number; lifecycle?: Partial<PodLifecycleModel> } = {}) {
  const scenario = scenarioWith(opts.services ?? '    - {name: payment, replicas: 3}', opts.nodes ?? 3);
  const sim = new Simulator();
  const cluster: Cluster = buildCluster(scenario, new RandomStreams(1));
  const events: Logged[] = [];
  const died: string[] = [];
  const sigterms: string[] = [];
  const sidecarsExited: string[] = [];
  const mode = opts.mode ?? 'sidecar';
  const world: WorldBridge = {
    appDied: (p) => {
      died.push(`${p.name}@${sim.now / 1e6}`);
      p.crashed = true;
    },
    appStarted: (p) => {
      p.crashed = false;
    },
    sigterm: (p, exited) => {
      sigterms.push(`${p.name}@${sim.now / 1e6}`);
      exited();
    },
    sidecarExited: (p) => sidecarsExited.push(`${p.name}@${sim.now / 1e6}`),
    hasSidecar: (p) => mode === 'sidecar' && p.inMesh,
    newPod: (svc: ServiceRt, version: VersionModel, node: NodeRt): PodRt => {
      const template = svc.pods[0]!;
      const i = svc.pods.filter((p) => p.version === version).length;
      const pod: PodRt = {
        ...template,
        name: `${svc.model.name}-${version.name}-${i}`,
        version,
        versionIndex: svc.model.versions.indexOf(version),
        index: svc.pods.length,
        indexInVersion: i,
        node,
        slots: new Station(svc.model.concurrency),
        crashed: false,
        unreachable: false,
      };
      svc.pods.push(pod);
      return pod;
    },
    podAdded: () => {},
    setUnreachable: (p, on) => {
      p.unreachable = on;
    },
    certsExpired: () => {},
  };
  const k8s = new KubeCluster({
    sim,
    events: { add: (type, fields = {}) => events.push({ t: sim.now / 1e6, type, ...fields }) },
    mode,
    nodes: cluster.nodes,
    services: cluster.serviceList,
    world,
    lifecycleOf: () => ({ ...DEFAULT_POD_LIFECYCLE, ...opts.lifecycle }),
  });
  const svc = (name = 'payment') => cluster.services.get(name) as ServiceRt;
  const pod = (name: string) => cluster.serviceList.flatMap((x) => x.pods).find((p) => p.name === name) as PodRt;
  const at = (seconds: number, fn: () => void) => sim.at(s(seconds), fn, undefined);
  const of = (type: string) => events.filter((e) => e.type === type);
  return { sim, cluster, k8s, events, died, sigterms, sidecarsExited, svc, pod, at, of, run: (seconds: number) => sim.run(s(seconds)) };
}
