/** Where k8s controllers report what they did (the run's timeline; events.jsonl). */
export interface EventSink {
  add(type: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

/** Seconds, rounded to the µs, as timeline fields carry times. */
export const seconds = (us: number): number => Math.round(us) / 1e6;

/** Timeline event types of the Kubernetes lifecycle (the CONTRACT's names, plus rollout and node details, autoscalers). */
export const LIFECYCLE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'pod_crash',
  'pod_not_ready',
  'pod_ready',
  'endpoint_removed',
  'endpoint_added',
  'container_restart',
  'liveness_failed',
  'pod_deleted',
  'pod_created',
  'pod_create_rejected',
  'node_failure',
  'node_not_ready',
  'node_ready',
  'pod_evicted',
  'istiod_down',
  'istiod_up',
  'cert_expired',
  'deployment_scaled',
  'rollout_start',
  'rollout_complete',
  'hpa_scale',
  'node_added',
  'node_drain',
  'node_removed',
  // Flagger (./flagger.ts)
  'canary_progressing',
  'canary_step',
  'canary_halt',
  'canary_rollback',
  'canary_promoted',
]);
