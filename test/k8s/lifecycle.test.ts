/**
 * The control loops together, on a three-pod service: crash and heal, graceful deletion,
 * Deployments (scale, rolling update), node failure and istiod outage. Each test names its source.
 */
import { describe, expect, it } from 'vitest';
import { harness, s } from './harness.js';

describe('a crashed container (pod-lifecycle.md "Container restarts"; kubelet.go PLEG relist 1 s)', () => {
  it('leaves every endpoint list within period × failureThreshold + push delay, and comes back after restarting', () => {
    const h = harness();
    h.at(10, () => h.k8s.crash(h.pod('payment-v1-0'), true));
    h.at(15, () => h.k8s.heal(h.pod('payment-v1-0')));
    h.run(15);
    expect(h.k8s.endpointsOf(h.svc())).not.toContain(h.pod('payment-v1-0'));
    h.run(40);
    const notReady = h.of('pod_not_ready')[0];
    const removed = h.of('endpoint_removed')[0];
    // Seen at the next 1 s relist, then istiod's 100 ms debounce.
    expect(notReady).toMatchObject({ t: 11, pod: 'payment-v1-0' });
    expect(removed).toMatchObject({ t: 11.1, pod: 'payment-v1-0', slice_s: 11, endpoints: 2 });
    expect(removed?.t).toBeLessThanOrEqual(10 + 3 * 10 + 0.1);
    // The first restart is immediate (and crashes again); the next, 10 s after that exit, is healthy.
    expect(h.of('container_restart').map((e) => [e.t, e.backoff_s])).toEqual([
      [11, 0],
      [21, 10],
    ]);
    // No readiness probe: ready once running.
    expect(h.of('endpoint_added')[0]).toMatchObject({ pod: 'payment-v1-0', t: 21.1 });
  });

  it('restarts a crash-looping container after 10, 20, 40 s, and heals at the first restart after the fault ends', () => {
    const h = harness();
    h.at(10, () => h.k8s.crash(h.pod('payment-v1-0'), true));
    h.at(50, () => h.k8s.heal(h.pod('payment-v1-0')));
    h.run(200);
    const restarts = h.of('container_restart').map((e) => [e.t, e.backoff_s]);
    // exit 10 → seen 11 → restart 11 (dies) → seen 12, wait till 11+10 → 21 (dies) → 22, +20 → 41 (dies) → 42, +40 → 81 (healthy).
    expect(restarts).toEqual([
      [11, 0],
      [21, 10],
      [41, 20],
      [81, 40],
    ]);
    expect(h.of('pod_ready').at(-1)).toMatchObject({ pod: 'payment-v1-0', t: 81 });
    expect(h.k8s.endpointsOf(h.svc())).toContain(h.pod('payment-v1-0'));
  });

  it('with a readiness probe, a restarted container is ready only after its first successful probe', () => {
    const h = harness({
      lifecycle: { readinessProbe: { initialDelayUs: s(5), periodUs: s(10), timeoutUs: s(1), successThreshold: 1, failureThreshold: 3 } },
    });
    h.at(10, () => h.k8s.crash(h.pod('payment-v1-0'), false));
    h.run(40);
    // Exit at 10, seen and restarted at 11; first probe at 11 + 5 s.
    expect(h.of('pod_ready')[0]).toMatchObject({ pod: 'payment-v1-0', t: 16, reason: 'readiness probe passed' });
  });
});

describe('graceful deletion (pod-lifecycle.md "Termination of Pods"; istio pkg/envoy/agent.go)', () => {
  it('removes the endpoint at once (racing the shutdown), SIGTERMs the app after preStop, stops the sidecar after 5 s', () => {
    const h = harness({ lifecycle: { preStopUs: s(3) } });
    h.at(10, () => h.k8s.deletePod(h.pod('payment-v1-1'), 'kubectl delete'));
    h.run(60);
    expect(h.of('pod_deleted')[0]).toMatchObject({ t: 10, pod: 'payment-v1-1', grace_s: 30 });
    expect(h.of('endpoint_removed')[0]).toMatchObject({ t: 10.1, pod: 'payment-v1-1', slice_s: 10 });
    expect(h.sigterms).toEqual(['payment-v1-1@13']);
    expect(h.sidecarsExited).toEqual(['payment-v1-1@15']);
  });

  it('lets the Deployment replace the pod; the new one is ready once its sidecar has config (1 s startup probe)', () => {
    const h = harness();
    h.at(10, () => h.k8s.deletePod(h.pod('payment-v1-1'), 'kubectl delete'));
    h.run(60);
    expect(h.of('pod_created')[0]).toMatchObject({ t: 10, pod: 'payment-v1-3' });
    expect(h.of('pod_ready')[0]).toMatchObject({ t: 11, pod: 'payment-v1-3', reason: 'sidecar ready' });
    expect(h.of('endpoint_added')[0]).toMatchObject({ t: 11.1, pod: 'payment-v1-3' });
    expect(h.k8s.podsOf(h.svc()).map((p) => p.name)).toEqual(['payment-v1-0', 'payment-v1-2', 'payment-v1-3']);
  });

  it('in mode none the endpoint change reaches kube-proxy at its next sync', () => {
    const h = harness({ mode: 'none' });
    h.at(10, () => h.k8s.deletePod(h.pod('payment-v1-1'), 'kubectl delete'));
    h.run(60);
    expect(h.of('endpoint_removed')[0]).toMatchObject({ t: 10, pod: 'payment-v1-1' });
    expect(h.of('endpoint_added')[0]).toMatchObject({ t: 11, pod: 'payment-v1-3' });
  });
});

describe('Deployments (deployment.md; rolling.go; replica_set.go)', () => {
  it('scale-up creates pods that become ready; scale-down deletes the newest gracefully', () => {
    const h = harness();
    const d = h.k8s.deploymentsOf(h.svc())[0];
    h.at(5, () => d && h.k8s.scale(d, 5));
    h.at(20, () => d && h.k8s.scale(d, 2));
    h.run(60);
    expect(h.of('pod_created').map((e) => e.pod)).toEqual(['payment-v1-3', 'payment-v1-4']);
    expect(h.of('pod_deleted').map((e) => e.pod)).toEqual(['payment-v1-4', 'payment-v1-3', 'payment-v1-2']);
    expect(h.k8s.endpointsOf(h.svc()).length).toBe(2);
  });

  it('a rolling update never has fewer than replicas − maxUnavailable ready pods, nor more than replicas + maxSurge', () => {
    const h = harness({
      services: '    - {name: payment, versions: [{name: v1, replicas: 10}, {name: v2, replicas: 0}]}',
      lifecycle: { readinessProbe: { initialDelayUs: s(2), periodUs: s(1), timeoutUs: s(1), successThreshold: 1, failureThreshold: 3 } },
    });
    const svc = h.svc();
    const v2 = svc.model.versions[1];
    const d = h.k8s.deploymentsOf(svc).find((x) => x.name === 'payment-v1');
    let minReady = Infinity;
    let maxPods = 0;
    h.k8s.onPodEvent(() => {
      const pods = h.k8s.podsOf(svc).filter((p) => !h.k8s.status(p)?.deleting);
      minReady = Math.min(minReady, pods.filter((p) => h.k8s.status(p)?.ready).length);
      maxPods = Math.max(maxPods, pods.length);
    });
    h.at(10, () => d && v2 && h.k8s.deployments.rollout(d, v2));
    h.run(120);
    // 10 replicas: maxSurge ceil(2.5) = 3, maxUnavailable floor(2.5) = 2.
    expect(minReady).toBeGreaterThanOrEqual(8);
    expect(maxPods).toBeLessThanOrEqual(13);
    expect(h.of('rollout_complete')).toHaveLength(1);
    const live = h.k8s.podsOf(svc).filter((p) => !h.k8s.status(p)?.deleting);
    expect(live.map((p) => p.version.name)).toEqual(Array(10).fill('v2'));
  });
});

describe('node failure (node_lifecycle_controller.go; kube-apiserver.md default tolerations 300 s)', () => {
  it("marks the node's pods NotReady after the grace period and evicts them 300 s later; replacements go to healthy nodes", () => {
    const h = harness({ services: '    - {name: payment, replicas: 3}' });
    const node = h.pod('payment-v1-0').node;
    h.at(20, () => h.k8s.nodes.fail(node));
    h.run(500);
    expect(h.pod('payment-v1-0').unreachable).toBe(true);
    expect(h.of('node_not_ready')[0]).toMatchObject({ t: 75, node: node.model.name });
    expect(h.of('endpoint_removed')[0]).toMatchObject({ t: 75.1, pod: 'payment-v1-0' });
    expect(h.of('pod_evicted')[0]).toMatchObject({ t: 375, pod: 'payment-v1-0' });
    const created = h.of('pod_created')[0];
    expect(created).toMatchObject({ t: 375 });
    expect(created?.node).not.toBe(node.model.name);
    // The evicted pod stays Terminating: its kubelet is dead and never confirms.
    expect(h.k8s.status(h.pod('payment-v1-0'))?.phase).toBe('Terminating');
    expect(h.k8s.endpointsOf(h.svc())).toHaveLength(3);
  });
});

describe('istiod outage (mutatingwebhook.yaml failurePolicy Fail; pilot-agent ready probe)', () => {
  it('keeps existing endpoints, rejects new pods, and holds endpoint pushes until istiod is back', () => {
    const h = harness();
    const d = h.k8s.deploymentsOf(h.svc())[0];
    h.at(10, () => h.k8s.istiod.setDown());
    h.at(12, () => d && h.k8s.scale(d, 4));
    h.at(15, () => h.k8s.crash(h.pod('payment-v1-0'), true));
    h.at(40, () => h.k8s.istiod.setUp());
    h.run(60);
    // The ReplicaSet keeps retrying; every try is rejected until istiod is back.
    expect(h.of('pod_create_rejected').every((e) => e.t < 40)).toBe(true);
    expect(h.of('pod_create_rejected').length).toBeGreaterThan(0);
    // The crashed pod stays in the proxies' lists until istiod pushes again.
    const removed = h.of('endpoint_removed')[0];
    expect(removed).toMatchObject({ pod: 'payment-v1-0', t: 40.1, slice_s: 16 });
    expect(h.of('pod_created')[0]).toMatchObject({ t: 40, pod: 'payment-v1-3' });
    expect(h.of('endpoint_added').map((e) => e.pod)).toEqual(['payment-v1-3']);
  });
});
