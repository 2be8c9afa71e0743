/**
 * Kubernetes and Istio lifecycle defaults, in µs (the kernel's unit), each with its upstream source.
 * Target versions: Kubernetes ≥ 1.32, Istio 1.24+.
 */

/** Probe defaults (all probe kinds): initialDelaySeconds 0, periodSeconds 10, timeoutSeconds 1,
 * successThreshold 1, failureThreshold 3. kubernetes/website content/en/docs/tasks/configure-pod-container/
 * configure-liveness-readiness-startup-probes.md ("Configure Probes"). */
export const PROBE_DEFAULTS = {
  initialDelayUs: 0,
  periodUs: 10e6,
  timeoutUs: 1e6,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

/** CrashLoopBackOff: 10 s initial, doubled per restart, capped at 300 s, forgotten after 10 min of
 * running. kubernetes/website content/en/docs/concepts/workloads/pods/pod-lifecycle.md ("Container
 * restarts"); kubernetes/kubernetes pkg/kubelet/kubelet.go (backOffPeriod, MaxContainerBackOff). */
export const CRASH_BACKOFF_INITIAL_US = 10e6;
export const CRASH_BACKOFF_MAX_US = 300e6;
export const CRASH_BACKOFF_RESET_US = 600e6;

/** The kubelet's PLEG relists containers every second (genericPlegRelistPeriod), so a container
 * exit is noticed within 1 s. kubernetes/kubernetes pkg/kubelet/kubelet.go. */
export const PLEG_RELIST_US = 1e6;

/** terminationGracePeriodSeconds defaults to 30 s. kubernetes/kubernetes pkg/apis/core/v1/defaults.go
 * (DefaultTerminationGracePeriodSeconds); pod-lifecycle.md ("Termination of Pods"). */
export const TERMINATION_GRACE_US = 30e6;

/** Istio's sidecar on SIGTERM drains inbound listeners, then exits after terminationDrainDuration
 * (5 s) whatever connections remain (EXIT_ON_ZERO_ACTIVE_CONNECTIONS=false). istio/api
 * mesh/v1alpha1/proxy.proto (terminationDrainDuration); istio/istio pkg/envoy/agent.go (terminate). */
export const SIDECAR_TERMINATION_DRAIN_US = 5e6;

/** istio-proxy's injected startup probe polls /healthz/ready every 1 s (failureThreshold 600); the
 * probe passes once Envoy has received CDS and LDS from istiod. istio/istio manifests/charts/
 * istio-control/istio-discovery/files/injection-template.yaml; pilot/cmd/pilot-agent/status/ready/probe.go. */
export const SIDECAR_STARTUP_PROBE_PERIOD_US = 1e6;
export const SIDECAR_STARTUP_PROBE_FAILURES = 600;
/** Time for a starting pilot-agent + Envoy to get its first CDS/LDS and certificate from a healthy
 * istiod. No upstream figure exists; an assumption (a few hundred ms on an idle control plane). */
export const SIDECAR_CONFIG_FETCH_US = 500e3;

/** istiod's push debounce: PILOT_DEBOUNCE_AFTER 100 ms quiet, PILOT_DEBOUNCE_MAX 10 s, and
 * PILOT_ENABLE_EDS_DEBOUNCE true (endpoint updates are debounced too). istio/istio
 * pilot/pkg/features/tuning.go; pilot/pkg/xds/discovery.go (debounce). */
export const PILOT_DEBOUNCE_AFTER_US = 100e3;
export const PILOT_DEBOUNCE_MAX_US = 10e6;

/** kube-proxy (mode none) re-syncs its rules on an EndpointSlice change, at most once per
 * minSyncPeriod (default 1 s since Kubernetes 1.19). kubernetes/kubernetes issue 92836;
 * kubernetes/website content/en/docs/reference/command-line-tools-reference/kube-proxy.md
 * (--iptables-min-sync-period). */
export const KUBE_PROXY_MIN_SYNC_US = 1e6;

/** Node lifecycle: the controller checks every 5 s (node-monitor-period); a node without heartbeat
 * for node-monitor-grace-period (50 s since Kubernetes 1.32, kubernetes/kubernetes#126287) turns
 * Ready=Unknown; the kubelet renews its Lease every 10 s. kubernetes/kubernetes
 * pkg/controller/nodelifecycle/node_lifecycle_controller.go; kube-controller-manager.md. */
export const NODE_MONITOR_PERIOD_US = 5e6;
export const NODE_MONITOR_GRACE_US = 50e6;
export const NODE_LEASE_RENEW_US = 10e6;

/** DefaultTolerationSeconds admission: pods tolerate node.kubernetes.io/unreachable and not-ready
 * NoExecute taints for 300 s, then the taint-eviction controller deletes them. kubernetes/website
 * content/en/docs/reference/command-line-tools-reference/kube-apiserver.md
 * (--default-unreachable-toleration-seconds). */
export const DEFAULT_TOLERATION_US = 300e6;

/** Workload certificates: 24 h TTL, renewed at 50% of their life. istio/istio
 * security/pkg/nodeagent/cache/secretcache.go (rotation at SECRET_GRACE_PERIOD_RATIO 0.5);
 * pilot/pkg/features (DEFAULT_WORKLOAD_CERT_TTL 24h). */
export const CERT_TTL_US = 24 * 3600e6;
export const CERT_RENEW_FRACTION = 0.5;
