/**
 * Gateway API `Gateway` (gateway.networking.k8s.io v1 / v1beta1) with the upstream field names
 * (kubernetes-sigs/gateway-api apis/v1/gateway_types.go): a class, listeners (port, protocol,
 * hostname, TLS) and, optionally, addresses and infrastructure. Istio implements the class `istio`
 * by deploying an Envoy named `<gateway>-istio` for each Gateway (istio/istio
 * pilot/pkg/config/kube/gateway/deploymentcontroller.go); routes attach with `parentRefs`.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';

/** Every schema of this module, built on first use (lazy-schemas.ts). */
const schemas = lazySchemas(() => {
  const listener = z.strictObject({
    name: z.string().min(1, 'name must not be empty'),
    hostname: z.string().optional(),
    port: z.number().int().min(1).max(65535),
    protocol: z.string().min(1),
    // gateway_types.go GatewayTLSConfig: mode Terminate (default) or Passthrough.
    tls: z.looseObject({ mode: z.enum(['Terminate', 'Passthrough']).default('Terminate') }).optional(),
    allowedRoutes: z.record(z.string(), z.unknown()).optional(),
  });
  const gatewaySpec = z
    .strictObject({
      gatewayClassName: z.string().min(1, 'gatewayClassName must not be empty'),
      listeners: z.array(listener).min(1).max(64),
      addresses: z.array(z.record(z.string(), z.unknown())).optional(),
      infrastructure: z.record(z.string(), z.unknown()).optional(),
      backendTLS: z.record(z.string(), z.unknown()).optional(),
      allowedListeners: z.record(z.string(), z.unknown()).optional(),
      defaultScope: z.string().optional(),
    })
    .superRefine((g, ctx) => {
      // gateway_types.go CEL: "Listener name must be unique within the Gateway".
      const names = new Set<string>();
      g.listeners.forEach((l, i) => {
        if (names.has(l.name))
          ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: 'Listener name must be unique within the Gateway' });
        names.add(l.name);
        // "tls mode must be set for protocols ['HTTPS', 'TLS']" / "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']".
        if ((l.protocol === 'HTTP' || l.protocol === 'TCP' || l.protocol === 'UDP') && l.tls)
          ctx.addIssue({
            code: 'custom',
            path: ['listeners', i, 'tls'],
            message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
          });
        if (l.protocol === 'HTTPS' && !l.tls)
          ctx.addIssue({ code: 'custom', path: ['listeners', i], message: "tls mode must be set for protocols ['HTTPS', 'TLS']" });
      });
    });
  return { listener, gatewaySpec };
});
type Schemas = ReturnType<typeof schemas>;

export type GatewayListener = z.output<Schemas['listener']>;
export type GatewaySpec = z.output<Schemas['gatewaySpec']>;

export const gatewaySpec = z.lazy(() => schemas().gatewaySpec);

/** The GatewayClass Istio implements (its controller `istio.io/gateway-controller`). */
export const ISTIO_GATEWAY_CLASS = 'istio';
