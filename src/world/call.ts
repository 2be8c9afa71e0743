/** One application-level call: who calls which service with what, and inside which other call. */
import type { RequestShape } from '../config/model.js';
import type { Caller, ServiceRt } from './entities.js';
import type { CompiledRoute } from '../policy/mesh-policy.js';
import type { Listed } from '../kernel/insertion-list.js';

export interface AppCall extends Listed {
  /** Sequential id within the run (deterministic). */
  readonly id: number;
  /** The call whose handling made this one (undefined for end-user requests). */
  readonly parent?: AppCall;
  readonly caller: Caller;
  readonly service: ServiceRt;
  readonly req: RequestShape;
  readonly startUs: number;
  /** When the end-user request this call serves started: warmup exclusion is decided by it. */
  readonly rootStartUs: number;
  /** Calls above this one in its chain (0 for an end-user request). */
  readonly depth: number;
  /**
   * The call that started the trace this one belongs to, when that is another call: the parent's
   * trace root when the parent's app forwards the trace headers. Undefined when this call starts
   * a trace (an end-user request, or a call from an app that does not forward them).
   */
  readonly traceRoot?: AppCall;
  /** The route an ingress gateway chose for this call (its Envoy then skips the mesh's VirtualServices). */
  readonly route?: CompiledRoute;
  /**
   * Set on the copy a proxy forwards when a route rewrote the request (or mirrored it): the
   * application's own call, which the caller's records keep.
   */
  readonly original?: AppCall;
  /** A mirrored copy (fire-and-forget): nobody waits for its answer. */
  readonly shadow?: boolean;
  /** What the caller's `done` continues with (its own state), handed back with the call: no closure per call. */
  readonly owner?: unknown;
}

/** The call as a proxy forwards it, with a rewritten request (the original stays the caller's). */
export function withRequest(call: AppCall, req: RequestShape, service: ServiceRt = call.service): AppCall {
  return { ...call, req, service, original: call.original ?? call };
}
