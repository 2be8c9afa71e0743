/**
 * EnvoyFilter (networking.istio.io v1alpha3; istio/api networking/v1alpha3/envoy_filter.proto).
 * The document has already passed Istio's CRD schema; patches are raw Envoy config, read by
 * policy/local-ratelimit.ts (the only patch the simulator models) and warned about otherwise.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** Built on first use (lazy-schemas.ts): most scenarios hold no EnvoyFilter. */
const schemas = lazySchemas(() => {
  const envoyFilterSpec = z.strictObject({
    workloadSelector: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
    targetRefs: z.array(z.record(z.string(), z.unknown())).optional(),
    configPatches: z.array(z.record(z.string(), z.unknown())).default([]),
    priority: z.number().int().optional(),
  });
  return { envoyFilterSpec };
});

export const envoyFilterSpec = z.lazy(() => schemas().envoyFilterSpec);
export type EnvoyFilterSpec = z.output<typeof envoyFilterSpec>;
