/**
 * Connection pools. A connection goes to one host and carries up to `maxStreams` requests at once
 * (1 for HTTP/1.1, many for HTTP/2 and HBONE); it is reused while it stays open, closed after
 * `maxRequestsPerConnection` requests (0 = unlimited) or once idle longer than `idleTimeoutUs`.
 * Opening one costs round trips and handshake CPU, which the caller (the data plane) models.
 */
import type { TimeWeighted } from './usage.js';

export interface PoolOptions {
  maxStreams: number;
  maxRequestsPerConnection: number;
  idleTimeoutUs: number;
  /** Open-connection counters of the two ends (for memory), either may be absent. */
  clientSide?: TimeWeighted;
  serverSide?: (host: unknown) => TimeWeighted | undefined;
  /** Called once when a connection closes (e.g. to free its HBONE stream). */
  onClose?: (c: Connection<unknown>) => void;
}

export class Connection<H> {
  streams = 0;
  requests = 0;
  idleSinceUs = 0;
  closed = false;
  /** Until this time the connection is still being established. */
  readyAtUs = 0;
  /** Whatever the data plane needs to remember about this connection (e.g. its HBONE tunnel). */
  tunnel?: { release(): void };
  constructor(
    readonly host: H,
    readonly mtls: boolean,
  ) {}
}

export class ConnectionPool<K, H> {
  /** Connections by key: the host for per-host pools, or a shared key for "any host" pools. */
  private readonly byKey = new Map<K, Connection<H>[]>();
  opened = 0;
  /** Connections open now, across every host. */
  openCount = 0;

  constructor(
    private readonly opts: PoolOptions,
    private readonly clock: { now: number },
  ) {}

  get maxStreams(): number {
    return this.opts.maxStreams;
  }

  /** A usable open connection for `key` with a free stream, reserving that stream; or undefined. */
  take(key: K): Connection<H> | undefined {
    const list = this.byKey.get(key);
    if (!list) return undefined;
    const now = this.clock.now;
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (c.streams === 0 && now - c.idleSinceUs > this.opts.idleTimeoutUs) {
        this.close(c, list, i);
        continue;
      }
      if (c.streams < this.opts.maxStreams) {
        c.streams++;
        return c;
      }
    }
    return undefined;
  }

  /** Opens a new connection to `host` under `key`, with one stream reserved. */
  open(key: K, host: H, mtls: boolean): Connection<H> {
    const c = new Connection(host, mtls);
    c.streams = 1;
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(c);
    this.opened++;
    this.openCount++;
    this.opts.clientSide?.add(1, this.clock.now);
    this.opts.serverSide?.(host)?.add(1, this.clock.now);
    return c;
  }

  /** A request on `c` finished. */
  release(key: K, c: Connection<H>): void {
    c.streams--;
    c.requests++;
    if (c.streams === 0) c.idleSinceUs = this.clock.now;
    const max = this.opts.maxRequestsPerConnection;
    if (!c.closed && max > 0 && c.requests >= max && c.streams === 0) {
      const list = this.byKey.get(key) as Connection<H>[];
      this.close(c, list, list.indexOf(c));
    }
  }

  /** Drops a connection that failed (refused, reset): it is closed, never reused. */
  discard(key: K, c: Connection<H>): void {
    c.streams = Math.max(0, c.streams - 1);
    const list = this.byKey.get(key);
    if (list) this.close(c, list, list.indexOf(c));
  }

  /** Closes every connection `pred` selects (e.g. after a config change). */
  closeMatching(pred: (c: Connection<H>) => boolean): void {
    for (const list of this.byKey.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) this.close(list[i]!, list, i);
    }
  }

  /** Closes every connection to `host` (it crashed); in-flight requests are settled elsewhere. */
  closeHost(host: H): void {
    for (const list of this.byKey.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.host === host) this.close(list[i]!, list, i);
    }
  }

  private close(c: Connection<H>, list: Connection<H>[], index: number): void {
    if (c.closed) return;
    c.closed = true;
    this.openCount--;
    if (index >= 0) list.splice(index, 1);
    this.opts.clientSide?.add(-1, this.clock.now);
    this.opts.serverSide?.(c.host)?.add(-1, this.clock.now);
    this.opts.onClose?.(c);
  }
}
