/**
 * The Deployment controller's arithmetic for a RollingUpdate, as pure functions.
 *
 * kubernetes/kubernetes pkg/controller/deployment/util/deployment_util.go (ResolveFenceposts,
 * NewRSNewReplicas, MaxUnavailable) and pkg/controller/deployment/rolling.go
 * (reconcileNewReplicaSet, reconcileOldReplicaSets, cleanupUnhealthyReplicas,
 * scaleDownOldReplicaSetsForRollingUpdate); kubernetes/website …/workloads/controllers/deployment.md.
 */
import type { IntOrPercent } from '../config/lifecycle.js';

/**
 * maxSurge and maxUnavailable as pod counts against the desired replicas: a surge percentage
 * rounds up, an unavailable percentage rounds down, and if both come to 0 maxUnavailable is 1.
 */
export function resolveFenceposts(
  surge: IntOrPercent,
  unavailable: IntOrPercent,
  desired: number,
): { maxSurge: number; maxUnavailable: number } {
  const scaled = (v: IntOrPercent, roundUp: boolean) =>
    v.kind === 'int' ? v.value : roundUp ? Math.ceil((v.value * desired) / 100) : Math.floor((v.value * desired) / 100);
  const maxSurge = scaled(surge, true);
  let maxUnavailable = scaled(unavailable, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** A ReplicaSet as the rolling update sees it: its desired size and how many of its pods are available. */
export interface RsState {
  replicas: number;
  available: number;
}

/** How far the new ReplicaSet may scale up now (reconcileNewReplicaSet / NewRSNewReplicas). */
export function newRsTarget(desired: number, maxSurge: number, newRs: RsState, oldRs: readonly RsState[]): number {
  if (newRs.replicas >= desired) return desired;
  const current = newRs.replicas + oldRs.reduce((n, r) => n + r.replicas, 0);
  const maxTotal = desired + maxSurge;
  if (current >= maxTotal) return newRs.replicas;
  return newRs.replicas + Math.min(maxTotal - current, desired - newRs.replicas);
}

/**
 * How many old pods may go now (reconcileOldReplicaSets): first the old ReplicaSets' unavailable
 * pods (they cost no availability), then available ones while availability stays at
 * desired − maxUnavailable. Returns [unhealthy to remove, healthy to remove].
 */
export function oldRsScaleDown(desired: number, maxUnavailable: number, newRs: RsState, oldRs: readonly RsState[]): [number, number] {
  const oldReplicas = oldRs.reduce((n, r) => n + r.replicas, 0);
  if (oldReplicas === 0) return [0, 0];
  const all = oldReplicas + newRs.replicas;
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = Math.max(0, newRs.replicas - newRs.available);
  const maxScaledDown = all - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [0, 0];
  const oldUnhealthy = oldRs.reduce((n, r) => n + Math.max(0, r.replicas - r.available), 0);
  const unhealthy = Math.min(oldUnhealthy, maxScaledDown);
  const available = oldRs.reduce((n, r) => n + r.available, 0) + newRs.available;
  const healthy = Math.max(0, Math.min(oldReplicas - unhealthy, available - minAvailable));
  return [unhealthy, healthy];
}
