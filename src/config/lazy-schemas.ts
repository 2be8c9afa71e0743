/**
 * Schemas built on first use. A zod schema costs its construction at module load (zod 4 builds
 * each schema object with its methods): the schemas of the non-Istio kinds (Gateway API, Linkerd,
 * Cilium, App Mesh: mesh-kinds.ts) and of Istio's VirtualService, DestinationRule and Sidecar
 * cost ~10 ms of every command and of every sweep worker's start, and those of the other Istio and
 * Kubernetes kinds (security, outlier detection, Flagger, HPA, EnvoyFilter, ServiceEntry, Gateway,
 * RequestAuthentication, Service and Deployment, label selectors) ~9 ms more, though many
 * scenarios hold none of those kinds. A module wraps its schemas in
 * `lazySchemas(() => { …; return {…} })` and exports each as `z.lazy(() => schemas().x)`: the
 * same schema to parse with (knownKeysOf looks through z.lazy too), built when the first document
 * of such a kind is read.
 */
export function lazySchemas<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
