/** Hooks for outputs that watch every application-level call (metrics, time series, traces). */
import type { AppCall } from '../world/call.js';
import type { PodRt } from '../world/entities.js';
import type { ServedRecord } from '../world/pod.js';
import type { PoolOccupancy } from '../record/pool-occupancy.js';

export type { ServedRecord };

export interface CallRecord {
  call: AppCall;
  /** Status the caller's app got (0 = reset). */
  status: number;
  /** Envoy response flags, comma-separated, '' for none. */
  flags: string;
  mtls: boolean;
  /** The pod that gave the final answer, if any. */
  pod?: PodRt;
  endUs: number;
  /** Istio's catch-all cluster the call went to (PassthroughCluster, BlackHoleCluster), if any. */
  cluster?: string;
  /** Response flags the server-side proxy logged (UAEX: its ext_authz filter denied the request). */
  serverFlags?: string;
  /** Response headers the client proxy returned after its route's response header operations (absent without any). */
  responseHeaders?: Readonly<Record<string, string>>;
}

export interface RunObserver {
  /** Called once per finished application-level call, in simulated-time order. */
  onCall(record: CallRecord): void;
  /** Called once per request a pod answered: every attempt, retries included (server side). */
  onServed?(record: ServedRecord): void;
  /** Set by an observer that wants the Envoy pools' occupancy over time: the data plane records into it. */
  readonly poolOccupancy?: PoolOccupancy;
}
