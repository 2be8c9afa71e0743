/**
 * Pod lifecycle configuration of a service, with Kubernetes' own field names and defaults:
 * probes (core/v1 Probe), terminationGracePeriodSeconds, a preStop sleep, and the Deployment's
 * rolling-update strategy. Read from `spec.services[]` and from Deployment YAML alike.
 *
 * Sources: kubernetes/website content/en/docs/tasks/configure-pod-container/
 * configure-liveness-readiness-startup-probes.md (probe fields and defaults);
 * content/en/docs/concepts/workloads/pods/pod-lifecycle.md (termination);
 * content/en/docs/concepts/workloads/controllers/deployment.md (strategy defaults).
 */
import * as z from 'zod';

/** A probe, in µs. Kubernetes defaults: 0 / 10 s / 1 s / 1 / 3. */
export interface ProbeModel {
  initialDelayUs: number;
  periodUs: number;
  timeoutUs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** An int-or-percent (`maxSurge: 1` or `maxSurge: "25%"`). */
export type IntOrPercent = { kind: 'int'; value: number } | { kind: 'percent'; value: number };

export interface PodLifecycleModel {
  /** No readinessProbe: the container is ready as soon as it runs. */
  readinessProbe?: ProbeModel;
  livenessProbe?: ProbeModel;
  terminationGraceUs: number;
  /** A preStop `sleep` (or exec sleep) before SIGTERM; 0 without a hook. */
  preStopUs: number;
  /** Time from container start until the app listens (meshsim's own field; default 0). */
  startupUs: number;
  strategy: { maxSurge: IntOrPercent; maxUnavailable: IntOrPercent; minReadyUs: number };
}

export const DEFAULT_MAX_SURGE: IntOrPercent = { kind: 'percent', value: 25 };
export const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = { kind: 'percent', value: 25 };

export const DEFAULT_POD_LIFECYCLE: PodLifecycleModel = {
  terminationGraceUs: 30e6,
  preStopUs: 0,
  startupUs: 0,
  strategy: { maxSurge: DEFAULT_MAX_SURGE, maxUnavailable: DEFAULT_MAX_UNAVAILABLE, minReadyUs: 0 },
};

const seconds = (min: number) => z.number().int().min(min);

/** core/v1 Probe timing fields (the handler — httpGet, tcpSocket, exec, grpc — is accepted and not modelled). */
export const probeSchema = z
  .looseObject({
    initialDelaySeconds: seconds(0).default(0),
    periodSeconds: seconds(1).default(10),
    timeoutSeconds: seconds(1).default(1),
    successThreshold: seconds(1).default(1),
    failureThreshold: seconds(1).default(3),
  })
  .transform((p): ProbeModel => ({
    initialDelayUs: p.initialDelaySeconds * 1e6,
    periodUs: p.periodSeconds * 1e6,
    timeoutUs: p.timeoutSeconds * 1e6,
    successThreshold: p.successThreshold,
    failureThreshold: p.failureThreshold,
  }));

/** Liveness probes must have successThreshold 1 (API validation). */
export const livenessProbeSchema = probeSchema.refine((p) => p.successThreshold === 1, {
  message: 'livenessProbe.successThreshold must be 1',
  path: ['successThreshold'],
});

export const intOrPercentSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+%$/, 'expected an integer or a percentage such as 25%')])
  .transform((v): IntOrPercent => (typeof v === 'number' ? { kind: 'int', value: v } : { kind: 'percent', value: Number(v.slice(0, -1)) }));

/** Deployment spec.strategy (RollingUpdate only; Recreate is accepted as maxSurge 0 / maxUnavailable 100%). */
export const strategySchema = z
  .looseObject({
    type: z.enum(['RollingUpdate', 'Recreate']).default('RollingUpdate'),
    rollingUpdate: z.looseObject({ maxSurge: intOrPercentSchema.optional(), maxUnavailable: intOrPercentSchema.optional() }).optional(),
  })
  .superRefine((s, ctx) => {
    const surge = s.rollingUpdate?.maxSurge;
    const unavailable = s.rollingUpdate?.maxUnavailable;
    // apps/v1 validation: both may not be 0 (ValidateRollingUpdateDeployment).
    if (surge && unavailable && surge.value === 0 && unavailable.value === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'maxUnavailable may not be 0 when maxSurge is 0',
        path: ['rollingUpdate', 'maxUnavailable'],
      });
  });

/** A container lifecycle preStop hook: `sleep: {seconds}` (Kubernetes 1.30+) or an exec `sleep N`. */
export const preStopSchema = z.looseObject({
  sleep: z.looseObject({ seconds: seconds(0) }).optional(),
  exec: z.looseObject({ command: z.array(z.string()).optional() }).optional(),
});

/** Seconds of a preStop hook: `sleep.seconds`, or N in an exec `sleep N` / `sh -c "sleep N"`. */
export function preStopSeconds(hook: z.output<typeof preStopSchema> | undefined): number {
  if (!hook) return 0;
  if (hook.sleep) return hook.sleep.seconds;
  const cmd = hook.exec?.command?.join(' ') ?? '';
  const m = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(cmd);
  return m ? Number(m[1]) : 0;
}

/** Fields a `spec.services[]` entry takes for its pods' lifecycle (Kubernetes names). */
export const serviceLifecycleFields = {
  readinessProbe: probeSchema.optional(),
  livenessProbe: livenessProbeSchema.optional(),
  terminationGracePeriodSeconds: seconds(0).optional(),
  lifecycle: z.strictObject({ preStop: preStopSchema.optional() }).optional(),
  strategy: strategySchema.optional(),
  minReadySeconds: seconds(0).optional(),
};

/** The lifecycle model from a service entry (or Deployment) and its defaults. */
export function lifecycleFrom(doc: {
  readinessProbe?: ProbeModel;
  livenessProbe?: ProbeModel;
  terminationGracePeriodSeconds?: number;
  lifecycle?: { preStop?: z.output<typeof preStopSchema> };
  strategy?: z.output<typeof strategySchema>;
  minReadySeconds?: number;
  startupUs?: number;
}): PodLifecycleModel {
  const recreate = doc.strategy?.type === 'Recreate';
  return {
    readinessProbe: doc.readinessProbe,
    livenessProbe: doc.livenessProbe,
    terminationGraceUs: (doc.terminationGracePeriodSeconds ?? 30) * 1e6,
    preStopUs: preStopSeconds(doc.lifecycle?.preStop) * 1e6,
    startupUs: doc.startupUs ?? 0,
    strategy: {
      maxSurge: recreate ? { kind: 'int', value: 0 } : (doc.strategy?.rollingUpdate?.maxSurge ?? DEFAULT_MAX_SURGE),
      maxUnavailable: recreate ? { kind: 'percent', value: 100 } : (doc.strategy?.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE),
      minReadyUs: (doc.minReadySeconds ?? 0) * 1e6,
    },
  };
}
