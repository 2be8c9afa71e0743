/**
 * Every fault kind, by the `inject` field that names it. Adding a kind: a module beside this file
 * and one line here; the loader, the chaos script and the docs' list of kinds follow.
 */
import { InputError, type Diagnostic } from '../config/diagnostics.js';
import type { FaultInjection } from '../config/model.js';
import type { PathSegment, YamlSource } from '../config/yaml-source.js';
import { issuesToDiagnostics, PARSE_OPTIONS } from '../config/zod-diagnostics.js';
import { cpuThrottleFault } from './cpu-throttle.js';
import { crashFault } from './crash.js';
import { errorRateFault } from './error-rate.js';
import type { FaultKind } from './fault-kind.js';
import { latencyFault } from './latency.js';
import { unreachableFault } from './unreachable.js';
import { killFault } from './kill.js';
import { nodeFailureFault } from './node-failure.js';
import { scaleFault } from './scale.js';
import { rolloutFault } from './rollout.js';
import { controlPlaneFault } from './control-plane.js';

export const FAULT_KINDS: readonly FaultKind<unknown>[] = [
  errorRateFault,
  latencyFault,
  crashFault,
  cpuThrottleFault,
  unreachableFault,
  killFault,
  nodeFailureFault,
  scaleFault,
  rolloutFault,
  controlPlaneFault,
];

const byKey = new Map(FAULT_KINDS.map((k) => [k.key, k]));

export function faultKind(kind: string): FaultKind<unknown> {
  const k = byKey.get(kind);
  if (!k) throw new Error(`no fault kind "${kind}"`);
  return k;
}

/** "errorRate (with status), latency, crash, …" */
const kindList = (): string =>
  FAULT_KINDS.map((k) => (k.companions?.length ? `${k.key} (with ${k.companions.join(', ')})` : k.key)).join(', ');

/**
 * Parses a fault's `inject` block through the kind it names. `at` is the block's path in `src`,
 * for positioned errors.
 */
export function parseInjection(doc: Readonly<Record<string, unknown>>, src: YamlSource, at: readonly PathSegment[]): FaultInjection {
  const kinds = FAULT_KINDS.filter((k) => doc[k.key] !== undefined);
  const where = at
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .slice(1);
  if (kinds.length !== 1) {
    const extra = kinds[1];
    const d: Diagnostic = src.diagnosticAt(extra ? [...at, extra.key] : at, 'error', `${where}: takes exactly one of ${kindList()}`);
    throw new InputError([d]);
  }
  const kind = kinds[0]!;
  const parsed = kind.schema.safeParse(doc, PARSE_OPTIONS);
  if (!parsed.success) {
    const known = (path: readonly PathSegment[]) => (path.length === 0 ? [kind.key, ...(kind.companions ?? [])] : []);
    throw new InputError(issuesToDiagnostics(parsed.error.issues, src, known, at));
  }
  return { kind: kind.key, params: parsed.data };
}
