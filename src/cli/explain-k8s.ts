/**
 * `meshsim explain` lines for the Kubernetes lifecycle: pods, endpoints, restarts, nodes, istiod,
 * and one summary per crash or deletion (when the pod left every endpoint list, what happened meanwhile).
 */
import type { TimelineEvent } from '../record/timeline.js';

const sec = (t: unknown) => `${Number(t).toFixed(3)} s`;

/** The story line of a lifecycle event, or undefined for other events. */
export function k8sStory(e: TimelineEvent): string | undefined {
  const f = (k: string) => String(e[k] ?? '');
  switch (e.type) {
    case 'pod_not_ready':
      return `${f('pod')} is NotReady (${f('reason')}): the EndpointSlice marks it not ready`;
    case 'pod_ready':
      return `${f('pod')} is Ready (${f('reason')})`;
    case 'endpoint_removed':
      return `${f('pod')} is gone from every ${f('service')} endpoint list (slice changed at ${sec(e.slice_s)}; ${f('endpoints')} endpoint(s) left)`;
    case 'endpoint_added':
      return `${f('pod')} is in every ${f('service')} endpoint list (slice changed at ${sec(e.slice_s)}; ${f('endpoints')} endpoint(s))`;
    case 'container_restart':
      return `kubelet restarts ${f('pod')}'s container (restart #${f('restarts')}, after a ${f('backoff_s')} s back-off; it had ${f('reason')})`;
    case 'pod_deleted':
      return `${f('pod')} is deleted (${f('reason')}): endpoint marked terminating, SIGTERM after preStop, SIGKILL after ${f('grace_s')} s`;
    case 'pod_created':
      return `${f('pod')} is created on ${f('node') || 'no node (Pending)'}`;
    case 'pod_create_rejected':
      return `creating a ${f('service')} ${f('version')} pod is rejected: ${f('reason')}`;
    case 'pod_evicted':
      return e.taint === 'ToBeDeletedByClusterAutoscaler'
        ? `${f('pod')} is evicted from ${f('node')} (the cluster autoscaler drains the node; its ReplicaSet recreates it elsewhere)`
        : `${f('pod')} is evicted from ${f('node')} (${f('taint')} toleration of 300 s ran out)`;
    case 'node_added':
      return `the cluster autoscaler's node ${f('node')} is Ready (asked at ${sec(e.triggered_s)} for ${f('reason')}, ${f('provisioning_s')} s to provision): ${f('nodes')} node(s); Pending pods are scheduled there`;
    case 'node_drain':
      return `the cluster autoscaler drains node ${f('node')} (${f('reason')}: requests under 50 % of allocatable and its pods fit elsewhere): ${f('pods')} pod(s) evicted`;
    case 'node_removed':
      return `node ${f('node')} is deleted (${f('reason')}): ${f('nodes')} node(s) left`;
    case 'node_not_ready':
      return `node ${f('node')} is NotReady (no heartbeat for the grace period): its ${f('pods')} pod(s) are marked NotReady and tainted unreachable`;
    case 'node_ready':
      return `node ${f('node')} is back`;
    case 'node_failure':
      return `node ${f('node')} stops: packets to its ${f('pods')} pod(s) are dropped (connects time out, nothing is refused)`;
    case 'istiod_down':
      return 'istiod is down: proxies keep their config and certificates; no pushes, no new pods';
    case 'istiod_up':
      return 'istiod is back: pending changes are pushed, waiting pods can start';
    case 'cert_expired':
      return 'workload certificates expired with istiod down: new mTLS handshakes fail';
    case 'deployment_scaled':
      return `Deployment ${f('deployment')} scaled from ${f('from')} to ${f('to')} replicas`;
    case 'rollout_start':
      return `rolling update of ${f('deployment')} from ${f('from')} to ${f('to')} (maxSurge ${f('max_surge')}, maxUnavailable ${f('max_unavailable')})`;
    case 'rollout_complete':
      return `rolling update of ${f('deployment')} complete: every pod runs ${f('version')}`;
    case 'liveness_failed':
      return `${f('pod')}'s liveness probe failed: the kubelet kills the container`;
    default:
      return undefined;
  }
}

/**
 * One line per crash or deletion: when the pod went NotReady and left every endpoint list, and how
 * many requests the proxies retried in between (e.g. "payment-v1-0 crashed at 10.000 s; NotReady at
 * 11.000 s (container crashed); gone from every endpoint list at 11.100 s; 41 requests retried in between").
 */
export function lifecycleSummaries(events: readonly TimelineEvent[]): string[] {
  const out: string[] = [];
  events.forEach((start, i) => {
    if (start.type !== 'pod_crash' && start.type !== 'pod_deleted' && start.type !== 'node_failure') return;
    const pods = start.type === 'node_failure' ? String(start.pod_names ?? '').split(',') : [String(start.pod ?? '')];
    for (const pod of pods.filter(Boolean)) {
      // A pod deleted after it had already left the endpoints (an eviction after NotReady) adds nothing.
      const before = events.slice(0, i).filter((e) => e.pod === pod && (e.type === 'endpoint_removed' || e.type === 'endpoint_added'));
      if (start.type === 'pod_deleted' && before.at(-1)?.type === 'endpoint_removed') continue;
      const later = events.slice(i + 1).filter((e) => e.pod === pod);
      const notReady = later.find((e) => e.type === 'pod_not_ready');
      const removed = later.find((e) => e.type === 'endpoint_removed');
      const what = start.type === 'pod_crash' ? 'crashed' : start.type === 'pod_deleted' ? 'was deleted' : 'lost its node';
      let line = `${pod} ${what} at ${sec(start.t_s)}`;
      if (notReady) line += `; NotReady at ${sec(notReady.t_s)} (${String(notReady.reason)})`;
      if (removed) {
        line += `; gone from every endpoint list at ${sec(removed.t_s)}`;
        const retries = Number(removed.service_retries) - Number(start.service_retries);
        if (Number.isFinite(retries)) line += `; ${retries} request(s) retried in between`;
      } else line += '; still in the endpoint lists at the end';
      out.push(line);
    }
  });
  return out;
}
