/**
 * Flagger's `Canary` (`flagger.app/v1beta1`) as written in real manifests, read with Flagger's
 * field names and defaults (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go; the CRD in
 * artifacts/flagger/crd.yaml; https://docs.flagger.app/usage/how-it-works):
 * - `analysis.interval` defaults to 60 s and is at least 10 s (GetAnalysisInterval);
 * - `analysis.threshold` defaults to 1 (GetAnalysisThreshold);
 * - a metric's `interval` defaults to `1m` (GetMetricInterval);
 * - `maxWeight` defaults to 100, or the last of `stepWeights` (scheduler.go maxWeight).
 * Fields Flagger has but the simulator does not model (webhooks, alerts, A/B `match`, mirroring,
 * custom metric templates, the generated services' metadata …) are accepted and warned about by
 * the loader (UNMODELLED below); anything else is an error, as `kubectl --validate=strict` says.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { parseDuration } from '../units.js';

/** Every schema of this module, built on first use (lazy-schemas.ts): most scenarios hold no Canary. */
const schemas = lazySchemas(() => {
  /** The CRD's pattern for intervals: `^[0-9]+(m|s)` (artifacts/flagger/crd.yaml). */
  const goDuration = (what: string) =>
    z.string().transform((v, ctx) => {
      const us = /^[0-9]+(m|s)/.test(v) ? parseDuration(v) : undefined;
      if (us === undefined) {
        ctx.addIssue({ code: 'custom', message: `${what}: expected a duration such as 30s or 1m, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return us;
    });

  const objectRef = z.strictObject({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    name: z.string().min(1),
    namespace: z.string().optional(),
  });

  const thresholdRange = z.strictObject({ min: z.number().optional(), max: z.number().optional() });

  const metricSchema = z.strictObject({
    name: z.string().min(1),
    interval: goDuration('interval').optional(),
    /** Deprecated single threshold: a minimum for request-success-rate, a maximum otherwise (scheduler_metrics.go). */
    threshold: z.number().optional(),
    thresholdRange: thresholdRange.optional(),
    query: z.string().optional(),
    templateRef: objectRef.optional(),
    templateVariables: z.record(z.string(), z.string()).optional(),
  });

  const percent = z.number().int().min(0).max(100);

  const analysisSchema = z.strictObject({
    interval: goDuration('interval').optional(),
    iterations: z.number().int().min(0).optional(),
    threshold: z.number().int().min(0).optional(),
    maxWeight: percent.optional(),
    stepWeight: percent.optional(),
    stepWeights: z.array(percent).optional(),
    stepWeightPromotion: percent.optional(),
    metrics: z.array(metricSchema).optional(),
    // Real fields the simulator does not model (warned about).
    mirror: z.boolean().optional(),
    mirrorWeight: percent.optional(),
    primaryReadyThreshold: percent.optional(),
    canaryReadyThreshold: percent.optional(),
    alerts: z.array(z.unknown()).optional(),
    webhooks: z.array(z.unknown()).optional(),
    match: z.array(z.unknown()).optional(),
    sessionAffinity: z.unknown().optional(),
  });

  const serviceSchema = z.strictObject({
    name: z.string().optional(),
    port: z.number().int().min(1).max(65535),
    portName: z.string().optional(),
    targetPort: z.union([z.number(), z.string()]).optional(),
    portDiscovery: z.boolean().optional(),
    appProtocol: z.string().optional(),
    timeout: z.string().optional(),
    gateways: z.array(z.string()).optional(),
    hosts: z.array(z.string()).optional(),
    delegation: z.boolean().optional(),
    trafficPolicy: z.unknown().optional(),
    match: z.array(z.unknown()).optional(),
    rewrite: z.unknown().optional(),
    retries: z.unknown().optional(),
    headers: z.unknown().optional(),
    corsPolicy: z.unknown().optional(),
    mirror: z.unknown().optional(),
    apex: z.unknown().optional(),
    primary: z.unknown().optional(),
    canary: z.unknown().optional(),
    backends: z.array(z.string()).optional(),
    meshName: z.string().optional(),
  });

  const canarySpecSchema = z
    .strictObject({
      provider: z.string().optional(),
      metricsServer: z.string().optional(),
      targetRef: objectRef,
      autoscalerRef: z.unknown().optional(),
      ingressRef: z.unknown().optional(),
      upstreamRef: z.unknown().optional(),
      routeRef: z.unknown().optional(),
      service: serviceSchema,
      analysis: analysisSchema.optional(),
      /** Deprecated spelling of `analysis` (GetAnalysis reads `analysis` first). */
      canaryAnalysis: analysisSchema.optional(),
      progressDeadlineSeconds: z.number().int().min(0).optional(),
      skipAnalysis: z.boolean().optional(),
      revertOnDeletion: z.boolean().optional(),
      suspend: z.boolean().optional(),
    })
    .superRefine((s, ctx) => {
      const a = s.analysis ?? s.canaryAnalysis;
      const key = s.analysis ? 'analysis' : 'canaryAnalysis';
      const steps = a?.stepWeights ?? [];
      for (let i = 1; i < steps.length; i++)
        if (steps[i]! <= steps[i - 1]!)
          ctx.addIssue({ code: 'custom', path: [key, 'stepWeights', i], message: 'stepWeights must increase' });
      for (const [i, m] of (a?.metrics ?? []).entries()) {
        const r = m.thresholdRange;
        if (r?.min !== undefined && r.max !== undefined && r.min > r.max)
          ctx.addIssue({ code: 'custom', path: [key, 'metrics', i, 'thresholdRange'], message: 'thresholdRange.min is above max' });
      }
    });
  return { canarySpecSchema };
});

export const canarySpecSchema = z.lazy(() => schemas().canarySpecSchema);

export type CanarySpecDoc = z.output<typeof canarySpecSchema>;

/** Flagger's built-in Istio metrics (pkg/metrics/observers/istio.go). */
export type BuiltinMetric = 'request-success-rate' | 'request-duration';

export interface CanaryMetricModel {
  name: BuiltinMetric;
  intervalUs: number;
  min?: number;
  max?: number;
}

/** A Canary with Flagger's defaults applied (canary.go). */
export interface CanaryModel {
  name: string;
  namespace: string;
  /** The Deployment Flagger watches (targetRef.name). */
  target: string;
  /** targetRef.kind as written (Flagger takes Deployment, DaemonSet or Service). */
  targetKind?: string;
  /** The apex service the VirtualService routes (service.name, default the target's name). */
  serviceName?: string;
  intervalUs: number;
  threshold: number;
  maxWeight: number;
  stepWeight: number;
  stepWeights: number[];
  stepWeightPromotion: number;
  iterations: number;
  skipAnalysis: boolean;
  metrics: CanaryMetricModel[];
}

/** Fields Flagger honours that the simulator does not model: the loader warns about each one set. */
export const UNMODELLED: readonly (readonly string[])[] = [
  ['provider'],
  ['metricsServer'],
  ['autoscalerRef'],
  ['ingressRef'],
  ['upstreamRef'],
  ['routeRef'],
  ['progressDeadlineSeconds'],
  ['revertOnDeletion'],
  ['suspend'],
  ['analysis', 'mirror'],
  ['analysis', 'mirrorWeight'],
  ['analysis', 'primaryReadyThreshold'],
  ['analysis', 'canaryReadyThreshold'],
  ['analysis', 'alerts'],
  ['analysis', 'webhooks'],
  ['analysis', 'match'],
  ['analysis', 'sessionAffinity'],
  ...[
    'portName',
    'targetPort',
    'portDiscovery',
    'appProtocol',
    'timeout',
    'gateways',
    'hosts',
    'delegation',
    'trafficPolicy',
    'match',
    'rewrite',
    'retries',
    'headers',
    'corsPolicy',
    'mirror',
    'apex',
    'primary',
    'canary',
    'backends',
    'meshName',
  ].map((k) => ['service', k]),
];

/** Flagger's analysis interval floor (canary.go GetAnalysisInterval). */
export const MIN_ANALYSIS_INTERVAL_US = 10e6;
export const DEFAULT_ANALYSIS_INTERVAL_US = 60e6;
export const DEFAULT_METRIC_INTERVAL_US = 60e6;

export function canaryModel(name: string, namespace: string, s: CanarySpecDoc): CanaryModel {
  const a = s.analysis ?? s.canaryAnalysis ?? {};
  const stepWeights = a.stepWeights ?? [];
  const metrics: CanaryMetricModel[] = [];
  for (const m of a.metrics ?? []) {
    if (m.name !== 'request-success-rate' && m.name !== 'request-duration') continue;
    // The deprecated `threshold` is a floor for the success rate and a ceiling for the duration.
    const range =
      m.thresholdRange ??
      (m.threshold === undefined ? {} : m.name === 'request-success-rate' ? { min: m.threshold } : { max: m.threshold });
    metrics.push({ name: m.name, intervalUs: m.interval ?? DEFAULT_METRIC_INTERVAL_US, ...range });
  }
  const last = stepWeights[stepWeights.length - 1];
  return {
    name,
    namespace,
    target: s.targetRef.name,
    targetKind: s.targetRef.kind,
    serviceName: s.service.name,
    intervalUs: Math.max(MIN_ANALYSIS_INTERVAL_US, a.interval ?? DEFAULT_ANALYSIS_INTERVAL_US),
    threshold: a.threshold && a.threshold > 0 ? a.threshold : 1,
    maxWeight: last !== undefined ? Math.min(100, last) : a.maxWeight && a.maxWeight > 0 ? a.maxWeight : 100,
    stepWeight: a.stepWeight ?? 0,
    stepWeights,
    stepWeightPromotion: a.stepWeightPromotion ?? 0,
    iterations: a.iterations ?? 0,
    // SkipAnalysis: true when there is no analysis at all, or when asked (canary.go).
    skipAnalysis: s.skipAnalysis === true || (s.analysis === undefined && s.canaryAnalysis === undefined),
    metrics,
  };
}
