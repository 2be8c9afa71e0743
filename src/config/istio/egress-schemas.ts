/**
 * ServiceEntry (networking.istio.io v1 / v1beta1 / v1alpha3) with Istio's field names
 * (istio/api networking/v1alpha3/service_entry.proto). The document has already passed Istio's
 * CRD schema (crd-validate.ts); this reads the fields the simulator uses. Every field of the API
 * is listed, so a real field is never an error; `workloadSelector` and `subjectAltNames` are
 * accepted and warned about by the egress analysis.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no ServiceEntry. */
const schemas = lazySchemas(() => {
  const port = z.strictObject({
    number: z.number().int().min(1).max(65535),
    protocol: z.string().optional(),
    name: z.string().optional(),
    targetPort: z.number().int().optional(),
  });

  /** A WorkloadEntry inline in `endpoints` (istio/api networking/v1alpha3/workload_entry.proto). */
  const endpoint = z.strictObject({
    address: z.string().optional(),
    ports: z.record(z.string(), z.number().int()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    network: z.string().optional(),
    locality: z.string().optional(),
    weight: z.number().int().optional(),
    serviceAccount: z.string().optional(),
  });

  const serviceEntrySpec = z.strictObject({
    hosts: z.array(z.string()).min(1),
    addresses: z.array(z.string()).optional(),
    ports: z.array(port).optional(),
    /** MESH_EXTERNAL is the default (service_entry.proto Location: "MESH_EXTERNAL = 0"). */
    location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).default('MESH_EXTERNAL'),
    /** NONE is the default (service_entry.proto Resolution: "NONE = 0"). */
    resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).default('NONE'),
    endpoints: z.array(endpoint).optional(),
    workloadSelector: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
    exportTo: z.array(z.string()).optional(),
    subjectAltNames: z.array(z.string()).optional(),
  });
  return { serviceEntrySpec };
});

export const serviceEntrySpec = z.lazy(() => schemas().serviceEntrySpec);
export type ServiceEntrySpec = z.output<typeof serviceEntrySpec>;
