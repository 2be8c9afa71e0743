/** Placement by requests, as kube-scheduler's default profile scores nodes (deterministic tie-break). */
import { describe, expect, it } from 'vitest';
import { estimateNodes, Scheduler, type PodRequest } from '../../src/k8s/scheduler.js';

const Gi = 1024 ** 3;
const Mi = 1024 ** 2;
const nodes = (n: number, cpu = 4, memory = 16 * Gi) =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, zone: 'zone-a', cpu, memory }));
const pod = (name: string, group: string, cpu: number, memory = 128 * Mi): PodRequest => ({ name, group, cpu, memory });

describe('scheduler', () => {
  it('spreads a workload over the least allocated nodes, deterministically', () => {
    const s = new Scheduler(nodes(3));
    const placed = [0, 1, 2, 3, 4, 5].map((i) => s.schedule(pod(`web-${i}`, 'web', 0.5)));
    expect(placed).toEqual([
      { node: 'node-0' },
      { node: 'node-1' },
      { node: 'node-2' },
      { node: 'node-0' },
      { node: 'node-1' },
      { node: 'node-2' },
    ]);
  });

  it('keeps a pod that fits nowhere Pending with the FailedScheduling reason', () => {
    const s = new Scheduler(nodes(2, 1));
    expect(s.schedule(pod('a', 'a', 0.8))).toEqual({ node: 'node-0' });
    expect(s.schedule(pod('b', 'b', 0.8))).toEqual({ node: 'node-1' });
    expect(s.schedule(pod('c', 'c', 0.8))).toEqual({ pending: '0/2 nodes are available: 2 Insufficient cpu.' });
    s.release('a');
    expect(s.schedule(pod('c', 'c', 0.8))).toEqual({ node: 'node-0' });
  });

  it('reserves DaemonSet requests on every node (ztunnel 200m/512Mi, istio-cni 100m/100Mi)', () => {
    const ds = [
      { name: 'ztunnel', cpu: 0.2, memory: 512 * Mi },
      { name: 'istio-cni-node', cpu: 0.1, memory: 100 * Mi },
    ];
    const s = new Scheduler(nodes(1, 1), ds);
    expect(s.schedule(pod('a', 'a', 0.7))).toEqual({ node: 'node-0' });
    expect(s.schedule(pod('b', 'b', 0.1))).toMatchObject({ pending: expect.stringContaining('Insufficient cpu') });
    expect(s.nodesUsed()).toBe(1);
  });

  it('counts the sidecar in the pod request: 200 pods of 100m + 100m proxy need twice the nodes', () => {
    const bare = Array.from({ length: 200 }, (_, i) => pod(`p-${i}`, 'p', 0.1));
    const withSidecar = bare.map((p) => ({ ...p, cpu: p.cpu + 0.1, memory: p.memory + 128 * Mi }));
    const template = { name: 't', zone: 'zone-a', cpu: 4, memory: 16 * Gi };
    expect(estimateNodes(template, [], bare)).toBe(5);
    expect(estimateNodes(template, [], withSidecar)).toBe(10);
  });

  it('honours the kubelet maxPods limit of 110', () => {
    const s = new Scheduler(nodes(1, 64, 512 * Gi));
    for (let i = 0; i < 110; i++) expect(s.schedule(pod(`p-${i}`, 'p', 0.01))).toEqual({ node: 'node-0' });
    expect(s.schedule(pod('p-110', 'p', 0.01))).toEqual({ pending: '0/1 nodes are available: 1 Too many pods.' });
  });
});
