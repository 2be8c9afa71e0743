/**
 * A proxy (sidecar Envoy, ztunnel or waypoint) as a station: `workers` threads, FIFO, each
 * traversal costing CPU on its node. A traversal is a request leg and a response leg on the
 * critical path, each followed by fixed non-CPU latency, and telemetry work after the response
 * that keeps the worker busy without delaying the response (Istio perf docs: "telemetry is
 * collected after the response is sent", https://istio.io/latest/docs/ops/deployment/performance-and-scalability/).
 */
import type { Simulator } from '../kernel/simulator.js';
import type { NodeRt, ProxyHandle } from '../world/entities.js';
import { Station } from '../world/station.js';
import type { ProxyCosts } from '../config/profile.js';
import { TimeWeighted } from './usage.js';

interface Leg {
  proxy: Proxy;
  cpuUs: number;
  telemetryUs: number;
  then: () => void;
}

export class Proxy implements ProxyHandle {
  readonly workers: Station;
  cpuUsedUs = 0;
  readonly connections = new TimeWeighted();
  /** The labels of the pod the proxy serves (a sidecar's), for locality failoverPriority. */
  labels?: Readonly<Record<string, string>>;

  constructor(
    readonly kind: string,
    readonly name: string,
    readonly node: NodeRt,
    readonly costs: ProxyCosts,
    readonly sim: Simulator,
  ) {
    this.workers = new Station(costs.workers);
  }

  /** The request leg: parse, route, encrypt `bytes` of request; then `then()` continues the journey. */
  requestLeg(bytes: number, then: () => void): void {
    this.run(this.costs.requestLegCpuUs + (this.costs.cpuPerKBUs * bytes) / 1000, 0, then);
  }

  /** The response leg, followed by the post-response telemetry work off the critical path. */
  responseLeg(bytes: number, then: () => void): void {
    this.run(this.costs.responseLegCpuUs + (this.costs.cpuPerKBUs * bytes) / 1000, this.costs.telemetryCpuUs, then);
  }

  /** TLS handshake work (CPU on a worker thread, as in Envoy and ztunnel). */
  handshake(cpuUs: number, then: () => void): void {
    this.run(cpuUs, 0, then);
  }

  private run(cpuUs: number, telemetryUs: number, then: () => void): void {
    this.workers.acquire(startLeg, { proxy: this, cpuUs, telemetryUs, then });
  }

  /** Fixed latency split evenly over the two legs. */
  get halfFixedUs(): number {
    return this.costs.fixedLatencyUs / 2;
  }
}

/** Runs `proxies[i..]` legs in order (or reverse order for responses), then `then`. */
export function traverse(proxies: readonly Proxy[], direction: 'request' | 'response', bytes: number, then: () => void): void {
  const n = proxies.length;
  if (n === 0) {
    then();
    return;
  }
  let i = 0;
  const step = (): void => {
    if (i === n) {
      then();
      return;
    }
    const p = proxies[direction === 'request' ? i : n - 1 - i]!;
    i++;
    if (direction === 'request') p.requestLeg(bytes, step);
    else p.responseLeg(bytes, step);
  };
  step();
}

/**
 * A worker takes the leg: its CPU (critical part, then any telemetry) runs as one piece of work on
 * the node, stretched as NodeCpu decides when the leg starts. The request continues once the
 * critical part and half the fixed latency are over; the worker is free when all of it is done.
 * Two events per leg, whatever it holds.
 */
function startLeg(leg: Leg): void {
  const p = leg.proxy;
  const total = leg.cpuUs + leg.telemetryUs;
  p.cpuUsedUs += total;
  const wall = p.node.cpu.begin(total);
  const criticalWall = leg.telemetryUs > 0 ? (wall * leg.cpuUs) / total : wall;
  p.sim.schedule(criticalWall + p.halfFixedUs, runThen, leg.then);
  p.sim.schedule(wall, legDone, p);
}

function legDone(p: Proxy): void {
  p.node.cpu.end();
  p.workers.release();
}

function runThen(then: () => void): void {
  then();
}
