/**
 * Istio `Gateway` (networking.istio.io v1 / v1beta1 / v1alpha3) with Istio's field names
 * (istio/api networking/v1alpha3/gateway.proto): the workload `selector` picks the gateway pods
 * (`istio: ingressgateway` is the default `istio-ingressgateway` Deployment in istio-system) and
 * each server is a port with hosts and an optional TLS block. The CRD check (crd-validate.ts) has
 * already validated the document; fields the simulator does not use are accepted here as they are.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no Istio Gateway. */
const schemas = lazySchemas(() => {
  /** Server TLS: `mode` decides whether the gateway terminates TLS (SIMPLE, MUTUAL, ISTIO_MUTUAL) or not (PASSTHROUGH, AUTO_PASSTHROUGH). */
  const serverTls = z.looseObject({
    mode: z.enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']).optional(),
    httpsRedirect: z.boolean().optional(),
  });

  const server = z.looseObject({
    port: z.looseObject({
      number: z.number().int(),
      protocol: z.string(),
      name: z.string().optional(),
      targetPort: z.number().int().optional(),
    }),
    hosts: z.array(z.string()).default([]),
    tls: serverTls.optional(),
    name: z.string().optional(),
    bind: z.string().optional(),
    defaultEndpoint: z.string().optional(),
  });

  const istioGatewaySpec = z.looseObject({
    selector: z.record(z.string(), z.string()).default({}),
    servers: z.array(server).default([]),
  });
  return { istioGatewaySpec, server };
});
type Schemas = ReturnType<typeof schemas>;

export const istioGatewaySpec = z.lazy(() => schemas().istioGatewaySpec);
export type GatewayServer = z.output<Schemas['server']>;
export type IstioGatewaySpec = z.output<typeof istioGatewaySpec>;

/** TLS modes in which the gateway's Envoy terminates TLS (a handshake per downstream connection). */
export const TERMINATING_TLS_MODES: ReadonlySet<string> = new Set(['SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']);
