/**
 * DestinationRule `trafficPolicy.outlierDetection` with Istio's field names (istio/api
 * networking/v1alpha3/destination_rule.proto, message OutlierDetection) and Istio's validation
 * (istio/istio pkg/config/validation validateOutlierDetection, ValidateDuration, ValidatePercent).
 * Durations come out in microseconds. Also home of the small parse-result shape shared by the
 * Istio schemas in this folder.
 */
import * as z from 'zod';
import { lazySchemas } from '../lazy-schemas.js';
import { parseDuration } from '../units.js';
import { formatPath, type PathSegment } from '../yaml-source.js';
import { PARSE_OPTIONS } from '../zod-diagnostics.js';
import { outlierConfigFromIstio, type IstioOutlierDetection } from './outlier-config.js';

const shown = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A non-fatal finding on a valid value (istioctl-analyze style), with the field it concerns. */
export interface IstioWarning {
  path: PathSegment[];
  message: string;
}

/** Outcome of a parse helper: typed data plus warnings, or zod's error plus readable lines. */
export type IstioParseResult<T> =
  { success: true; data: T; warnings: IstioWarning[] } | { success: false; error: z.ZodError; messages: string[] };

/** `path: message (got X)` lines for a zod error (use error.issues with zod-diagnostics for positions). */
export function issueMessages(error: z.ZodError, prefix: readonly PathSegment[] = []): string[] {
  return error.issues.flatMap((i) => {
    const where = formatPath([...prefix, ...i.path.filter((p): p is PathSegment => typeof p !== 'symbol')]);
    if (i.code === 'unrecognized_keys')
      return i.keys.map((k) => `${formatPath([...prefix, ...(i.path as PathSegment[]), k])}: unknown field "${k}"`);
    const input = (i as { input?: unknown }).input;
    const got = input !== undefined && i.code !== 'custom' ? ` (got ${shown(input)})` : '';
    return `${where ? `${where}: ` : ''}${i.message}${got}`;
  });
}

/** Runs `schema` and, on success, `warn` on the typed value. */
export function parseIstio<S extends z.ZodType>(
  schema: S,
  input: unknown,
  warn: (data: z.output<S>) => IstioWarning[] = () => [],
): IstioParseResult<z.output<S>> {
  const r = schema.safeParse(input, PARSE_OPTIONS);
  if (!r.success) return { success: false, error: r.error, messages: issueMessages(r.error) };
  return { success: true, data: r.data, warnings: warn(r.data) };
}

// Go-style durations as Istio accepts them: one or more <number><unit> parts (`10s`, `1m30s`, `250ms`).
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** `1m30s` → 90 000 000 µs; undefined when malformed. Each part goes through units.parseDuration. */
export function parseIstioDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < t.length) {
    const start = DURATION_PART.lastIndex;
    const m = DURATION_PART.exec(t);
    if (!m) return undefined;
    total += parseDuration(t.slice(start, DURATION_PART.lastIndex)) as number;
  }
  return Math.round(total * 1000) / 1000; // to the nanosecond, dropping float noise
}

/** Istio ValidateDuration: ≥ 1ms and a whole number of milliseconds. */
export const istioDuration = () =>
  z.string({ error: 'expected a duration such as 10s, 250ms, 1m or 1m30s' }).transform((s, ctx) => {
    const us = parseIstioDuration(s);
    if (us === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${shown(s)}: use e.g. 10s, 250ms, 1m or 1m30s` });
      return z.NEVER;
    }
    if (us < 1000) {
      ctx.addIssue({ code: 'custom', message: `duration must be greater than 1ms (got ${shown(s)})` });
      return z.NEVER;
    }
    if (us % 1000 !== 0) {
      ctx.addIssue({ code: 'custom', message: `only durations to ms precision are supported (got ${shown(s)})` });
      return z.NEVER;
    }
    return us;
  });

/** protobuf UInt32Value / uint32 count. */
const count = () =>
  z
    .number({ error: 'expected a number' })
    .int('must be a whole number')
    .min(0, 'cannot be negative')
    .max(4294967295, 'must fit in 32 bits');

/** Istio ValidatePercent ("percentage %v is not in range 0..100"). */
const percent = () =>
  z
    .number({ error: 'expected a number' })
    .int('must be a whole number')
    .min(0, 'percentage is not in range 0..100')
    .max(100, 'percentage is not in range 0..100');

/** Built on first use (lazy-schemas.ts): only a DestinationRule's traffic policy holds an outlierDetection. */
const schemas = lazySchemas(() => {
  const outlierDetection = z
    .strictObject({
      consecutiveErrors: z
        .number({ error: 'expected a number' })
        .int('must be a whole number')
        .min(0, 'outlier detection consecutive errors cannot be negative')
        .optional(),
      consecutive5xxErrors: count().optional(),
      consecutiveGatewayErrors: count().optional(),
      splitExternalLocalOriginErrors: z.boolean({ error: 'expected true or false' }).optional(),
      consecutiveLocalOriginFailures: count().optional(),
      interval: istioDuration().optional(),
      baseEjectionTime: istioDuration().optional(),
      maxEjectionPercent: percent().optional(),
      minHealthPercent: percent().optional(),
    })
    .superRefine((od, ctx) => {
      if (!od.splitExternalLocalOriginErrors && (od.consecutiveLocalOriginFailures ?? 0) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['consecutiveLocalOriginFailures'],
          message:
            'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
        });
      }
    }) satisfies z.ZodType<IstioOutlierDetection>; // the policy engine takes this output as is
  return { outlierDetection };
});

export const outlierDetectionSchema = z.lazy(() => schemas().outlierDetection);

/** trafficPolicy.outlierDetection after validation; durations in µs. */
export type OutlierDetection = z.output<typeof outlierDetectionSchema>;

/**
 * Findings on a valid outlierDetection: the deprecated `consecutiveErrors`, a gateway threshold
 * that the 5xx threshold shadows, and — given the number of endpoints — a maxEjectionPercent
 * that can never let one host out (Envoy's rule (active + 1) / total × 100 ≤ max).
 */
export function outlierDetectionWarnings(od: OutlierDetection, ctx: { endpoints?: number } = {}): IstioWarning[] {
  const out: IstioWarning[] = [];
  if (od.consecutiveErrors !== undefined && od.consecutiveErrors !== 0) {
    out.push({
      path: ['consecutiveErrors'],
      message:
        'outlier detection consecutive errors is deprecated and ignored, use consecutiveGatewayErrors or consecutive5xxErrors instead',
    });
  }
  const envoy = outlierConfigFromIstio(od);
  const fiveXx = envoy.consecutive5xx;
  if (od.consecutiveGatewayErrors !== undefined && od.consecutiveGatewayErrors > 0 && fiveXx > 0 && od.consecutiveGatewayErrors >= fiveXx) {
    out.push({
      path: ['consecutiveGatewayErrors'],
      message: `consecutiveGatewayErrors (${od.consecutiveGatewayErrors}) >= consecutive5xxErrors (${fiveXx}) has no effect: gateway errors are also 5xx errors`,
    });
  }
  const max = envoy.maxEjectionPercent; // 0/unset → Envoy's default
  if (ctx.endpoints !== undefined && ctx.endpoints > 0 && 100 / ctx.endpoints > max) {
    out.push({
      path: od.maxEjectionPercent ? ['maxEjectionPercent'] : [],
      message: `with ${ctx.endpoints} endpoint(s), maxEjectionPercent ${max}% can never eject a host (one host is ${+(100 / ctx.endpoints).toFixed(1)}%); set maxEjectionPercent to at least ${Math.ceil(100 / ctx.endpoints)}`,
    });
  }
  return out;
}

/** Validates an outlierDetection block; warnings as outlierDetectionWarnings (without endpoints). */
export function parseOutlierDetection(input: unknown, ctx: { endpoints?: number } = {}): IstioParseResult<OutlierDetection> {
  return parseIstio(outlierDetectionSchema, input, (od) => outlierDetectionWarnings(od, ctx));
}
