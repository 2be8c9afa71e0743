/**
 * HorizontalPodAutoscaler `autoscaling/v2` as written in real manifests, with the API server's
 * defaults and validation:
 * - defaults: k8s pkg/apis/autoscaling/v2/defaults.go (minReplicas 1; scaleUp window 0, policies
 *   100 % and 4 pods per 15 s, selectPolicy Max; scaleDown window 300 s, 100 % per 15 s, Max);
 * - validation: k8s pkg/apis/autoscaling/validation/validation.go (minReplicas ≥ 1 and ≤ maxReplicas,
 *   periodSeconds 1–1800, stabilizationWindowSeconds 0–3600, policy value > 0, one metric source
 *   per metric matching its type).
 * Field names and meanings: https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { parseBytes, parseCpu } from '../units.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no HorizontalPodAutoscaler. */
const schemas = lazySchemas(() => {
  /** A Kubernetes quantity as a plain number (cores for CPU, bytes for memory, units for custom metrics). */
  const quantity = () =>
    z.union([z.string(), z.number()], { error: 'expected a quantity such as 500m, 2, 100 or 256Mi' }).transform((v, ctx) => {
      const n = typeof v === 'string' && /^\d+(\.\d+)?m$/.test(v.trim()) ? parseCpu(v) : parseBytes(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid quantity ${JSON.stringify(v)}: use e.g. 500m, 2, 100 or 256Mi` });
        return z.NEVER;
      }
      return n;
    });

  const targetSchema = z
    .strictObject({
      type: z.enum(['Utilization', 'Value', 'AverageValue']),
      averageUtilization: z.number().int().positive().optional(),
      averageValue: quantity().optional(),
      value: quantity().optional(),
    })
    .superRefine((t, ctx) => {
      const need = t.type === 'Utilization' ? 'averageUtilization' : t.type === 'Value' ? 'value' : 'averageValue';
      if (t[need] === undefined) ctx.addIssue({ code: 'custom', message: `target type ${t.type} needs ${need}`, path: [need] });
    });

  const metricIdentifier = z.strictObject({
    name: z.string().min(1),
    selector: z.looseObject({}).optional(),
  });

  const crossVersionRef = z.strictObject({
    apiVersion: z.string().optional(),
    kind: z.string().min(1),
    name: z.string().min(1),
  });

  const metricSchema = z
    .strictObject({
      type: z.enum(['Resource', 'ContainerResource', 'Pods', 'Object', 'External']),
      resource: z.strictObject({ name: z.string().min(1), target: targetSchema }).optional(),
      containerResource: z.strictObject({ name: z.string().min(1), container: z.string().min(1), target: targetSchema }).optional(),
      pods: z.strictObject({ metric: metricIdentifier, target: targetSchema }).optional(),
      object: z.strictObject({ describedObject: crossVersionRef, metric: metricIdentifier, target: targetSchema }).optional(),
      external: z.strictObject({ metric: metricIdentifier, target: targetSchema }).optional(),
    })
    .superRefine((m, ctx) => {
      const field = (
        { Resource: 'resource', ContainerResource: 'containerResource', Pods: 'pods', Object: 'object', External: 'external' } as const
      )[m.type];
      if (m[field] === undefined) ctx.addIssue({ code: 'custom', message: `metric type ${m.type} needs ${field}`, path: [field] });
      const others = (['resource', 'containerResource', 'pods', 'object', 'external'] as const).filter(
        (k) => k !== field && m[k] !== undefined,
      );
      for (const o of others) ctx.addIssue({ code: 'custom', message: `${o} does not go with type ${m.type}`, path: [o] });
      const target = m[field]?.target;
      if (!target) return;
      const isResource = m.type === 'Resource' || m.type === 'ContainerResource';
      if (target.type === 'Utilization' && !isResource)
        ctx.addIssue({
          code: 'custom',
          message: `Utilization targets are only for Resource and ContainerResource metrics`,
          path: [field, 'target', 'type'],
        });
      if (isResource && target.type === 'Value')
        ctx.addIssue({
          code: 'custom',
          message: `resource metrics take Utilization or AverageValue targets`,
          path: [field, 'target', 'type'],
        });
      if (m.type === 'Pods' && target.type !== 'AverageValue')
        ctx.addIssue({ code: 'custom', message: `Pods metrics take AverageValue targets`, path: [field, 'target', 'type'] });
    });

  const policySchema = z.strictObject({
    type: z.enum(['Pods', 'Percent']),
    value: z.number().int().positive(),
    periodSeconds: z.number().int().min(1).max(1800),
  });

  const rulesSchema = z.strictObject({
    stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
    selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
    policies: z.array(policySchema).min(1).optional(),
    /** HPAConfigurableTolerance (beta, on by default since 1.35): per-direction tolerance. */
    tolerance: quantity().optional(),
  });

  const hpaSpecSchema = z
    .strictObject({
      scaleTargetRef: crossVersionRef,
      minReplicas: z.number().int().min(1).optional(),
      maxReplicas: z.number().int().min(1),
      metrics: z.array(metricSchema).optional(),
      behavior: z.strictObject({ scaleUp: rulesSchema.optional(), scaleDown: rulesSchema.optional() }).optional(),
    })
    .superRefine((s, ctx) => {
      if ((s.minReplicas ?? 1) > s.maxReplicas)
        ctx.addIssue({
          code: 'custom',
          message: `minReplicas (${s.minReplicas ?? 1}) must be less than or equal to maxReplicas (${s.maxReplicas})`,
          path: ['minReplicas'],
        });
    });
  return { hpaSpecSchema, rulesSchema, targetSchema };
});
type Schemas = ReturnType<typeof schemas>;

export const hpaSpecSchema = z.lazy(() => schemas().hpaSpecSchema);

export type HpaSpecParsed = z.output<typeof hpaSpecSchema>;

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
  tolerance: number;
}
export type MetricTarget =
  { type: 'Utilization'; averageUtilization: number } | { type: 'AverageValue'; averageValue: number } | { type: 'Value'; value: number };

export type HpaMetric =
  | { type: 'Resource'; resource: string; target: MetricTarget }
  | { type: 'ContainerResource'; resource: string; container: string; target: MetricTarget }
  | { type: 'Pods'; metric: string; target: MetricTarget }
  | { type: 'Object'; metric: string; describedObject: { kind: string; name: string }; target: MetricTarget }
  | { type: 'External'; metric: string; target: MetricTarget };

/** An HPA with every default filled in, as the API server stores it. */
export interface HpaModel {
  name: string;
  namespace: string;
  target: { kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: HpaMetric[];
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules };
}

/** `--horizontal-pod-autoscaler-tolerance` default (kube-controller-manager). */
export const DEFAULT_TOLERANCE = 0.1;
/** `--horizontal-pod-autoscaler-downscale-stabilization` default. */
export const DEFAULT_DOWNSCALE_STABILIZATION_S = 300;

/** autoscaling/v2 defaults (k8s pkg/apis/autoscaling/v2/defaults.go GenerateHPAScaleUpRules / ScaleDownRules). */
export function defaultScaleUp(r: z.output<Schemas['rulesSchema']> | undefined): ScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 0,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
    tolerance: r?.tolerance ?? DEFAULT_TOLERANCE,
  };
}
export function defaultScaleDown(r: z.output<Schemas['rulesSchema']> | undefined): ScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? DEFAULT_DOWNSCALE_STABILIZATION_S,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    tolerance: r?.tolerance ?? DEFAULT_TOLERANCE,
  };
}

function targetOf(t: z.output<Schemas['targetSchema']>): MetricTarget {
  if (t.type === 'Utilization') return { type: 'Utilization', averageUtilization: t.averageUtilization as number };
  if (t.type === 'Value') return { type: 'Value', value: t.value as number };
  return { type: 'AverageValue', averageValue: t.averageValue as number };
}

/**
 * The stored HPA: defaults applied. Without `metrics` the API defaults to CPU at 80 % utilization
 * (k8s pkg/apis/autoscaling/v2/defaults.go SetDefaults_HorizontalPodAutoscaler).
 */
export function hpaModel(name: string, namespace: string, s: HpaSpecParsed): HpaModel {
  const metrics: HpaMetric[] = (
    s.metrics ?? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]
  ).map((m): HpaMetric => {
    if (m.type === 'Resource' && m.resource) return { type: 'Resource', resource: m.resource.name, target: targetOf(m.resource.target) };
    if (m.type === 'ContainerResource' && m.containerResource)
      return {
        type: 'ContainerResource',
        resource: m.containerResource.name,
        container: m.containerResource.container,
        target: targetOf(m.containerResource.target),
      };
    if (m.type === 'Pods' && m.pods) return { type: 'Pods', metric: m.pods.metric.name, target: targetOf(m.pods.target) };
    if (m.type === 'Object' && m.object)
      return {
        type: 'Object',
        metric: m.object.metric.name,
        describedObject: { kind: m.object.describedObject.kind, name: m.object.describedObject.name },
        target: targetOf(m.object.target),
      };
    const e = m.external as NonNullable<typeof m.external>;
    return { type: 'External', metric: e.metric.name, target: targetOf(e.target) };
  });
  return {
    name,
    namespace,
    target: { kind: s.scaleTargetRef.kind, name: s.scaleTargetRef.name },
    minReplicas: s.minReplicas ?? 1,
    maxReplicas: s.maxReplicas,
    metrics,
    behavior: { scaleUp: defaultScaleUp(s.behavior?.scaleUp), scaleDown: defaultScaleDown(s.behavior?.scaleDown) },
  };
}
