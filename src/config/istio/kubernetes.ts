/**
 * The parts of Kubernetes manifests that define services: Service (name, port, selector),
 * Deployment (replicas, pod labels incl. `version`, service account, resources), ServiceAccount.
 * Real manifests carry many more fields; they are read leniently and the rest is ignored.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import type { YamlSource } from '../yaml-source.js';
import { livenessProbeSchema, preStopSchema, probeSchema, strategySchema, type ProbeModel } from '../lifecycle.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no Kubernetes manifest. */
const schemas = lazySchemas(() => {
  const labels = z.record(z.string(), z.string());

  const k8sServiceSchema = z.looseObject({
    spec: z
      .looseObject({
        ports: z
          .array(
            z.looseObject({
              port: z.number().int(),
              name: z.string().optional(),
              targetPort: z.union([z.number(), z.string()]).optional(),
            }),
          )
          .optional(),
        selector: labels.optional(),
      })
      .optional(),
  });

  const k8sDeploymentSchema = z.looseObject({
    spec: z
      .looseObject({
        replicas: z.number().int().nonnegative().optional(),
        strategy: strategySchema.optional(),
        minReadySeconds: z.number().int().nonnegative().optional(),
        selector: z.looseObject({ matchLabels: labels.optional() }).optional(),
        template: z
          .looseObject({
            metadata: z.looseObject({ labels: labels.optional() }).optional(),
            spec: z
              .looseObject({
                serviceAccountName: z.string().optional(),
                terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
                containers: z
                  .array(
                    z.looseObject({
                      name: z.string().optional(),
                      readinessProbe: probeSchema.optional(),
                      livenessProbe: livenessProbeSchema.optional(),
                      lifecycle: z.looseObject({ preStop: preStopSchema.optional() }).optional(),
                      resources: z
                        .looseObject({
                          requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
                          limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
                        })
                        .optional(),
                    }),
                  )
                  .optional(),
              })
              .optional(),
          })
          .optional(),
      })
      .optional(),
  });
  return { k8sServiceSchema, k8sDeploymentSchema };
});

export const k8sServiceSchema = z.lazy(() => schemas().k8sServiceSchema);
export const k8sDeploymentSchema = z.lazy(() => schemas().k8sDeploymentSchema);

export interface K8sService {
  name: string;
  namespace: string;
  port: number;
  selector: Record<string, string>;
  /** The Service's own document, so warnings about it point there. */
  src?: YamlSource;
}
export interface K8sDeployment {
  name: string;
  namespace: string;
  replicas: number;
  labels: Record<string, string>;
  serviceAccount?: string;
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
  /** The app container's probes and preStop hook, the pod's grace period, the rollout strategy. */
  lifecycle: DeploymentLifecycle;
}

export interface DeploymentLifecycle {
  readinessProbe?: ProbeModel;
  livenessProbe?: ProbeModel;
  terminationGracePeriodSeconds?: number;
  lifecycle?: { preStop?: z.output<typeof preStopSchema> };
  strategy?: z.output<typeof strategySchema>;
  minReadySeconds?: number;
}

/** Deployments whose pod labels carry every label of the Service's selector, in the same namespace. */
export function deploymentsFor(svc: K8sService, deployments: readonly K8sDeployment[]): K8sDeployment[] {
  const sel = Object.entries(svc.selector);
  if (sel.length === 0) return [];
  return deployments.filter((d) => d.namespace === svc.namespace && sel.every(([k, v]) => d.labels[k] === v));
}
