/**
 * Connection pools. A connection goes to one host and carries up to `maxStreams` requests at once
 * (1 for HTTP/1.1, many for HTTP/2 and HBONE); it is reused while it stays open, closed after
 * `maxRequestsPerConnection` requests (0 = unlimited) or once idle longer than `idleTimeoutUs`.
 * Opening one costs round trips and handshake CPU, which the caller (the data plane) models.
 *
 * `take` hands out the newest usable connection without scanning (a scan made an overload of many
 * thousand connections quadratic): the connections with a free stream are kept in opening order,
 * and the newest is the last (the free list, below).
 *
 * Not checked against Envoy yet: its pools attach a new stream to `ready_clients_.front()`
 * (source/common/conn_pool/conn_pool_base.cc, ConnPoolImplBase::newStreamImpl), and a client that
 * becomes ready again is spliced to the front of that list (source/common/common/linked_object.h,
 * moveBetweenLists), which reads as most recently released first rather than newest opened.
 * Changing the choice changes results; it is left for an issue of its own.
 */
import type { TimeWeighted } from './usage.js';
import { objectArray } from '../kernel/object-array.js';

export interface PoolOptions {
  maxStreams: number;
  maxRequestsPerConnection: number;
  idleTimeoutUs: number;
  /** Open-connection counters of the two ends (for memory), either may be absent. */
  clientSide?: TimeWeighted;
  serverSide?: (host: unknown) => TimeWeighted | undefined;
  /** Called once when a connection closes (e.g. to free its HBONE stream). */
  onClose?: (c: Connection<unknown>) => void;
  /** Called after a connection opened or closed (e.g. to record the pool's occupancy). */
  onChange?: () => void;
}

export class Connection<H> {
  streams = 0;
  requests = 0;
  idleSinceUs = 0;
  closed = false;
  /** Still being established (opened with `connecting`): not handed out by `take` until `ready`. */
  connecting = false;
  /** Until this time the connection is still being established. */
  readyAtUs = 0;
  /** The proxy originates TLS on it (DestinationRule tls SIMPLE/MUTUAL to a host without a sidecar): a handshake when it opens. */
  originatesTls = false;
  /** Whatever the data plane needs to remember about this connection (e.g. its HBONE tunnel). */
  tunnel?: { release(): void };
  /** Opening order within its pool (unique: the free list's order). */
  seq = 0;
  /** Its key's connections in the pool that opened it, while it is open (a field, not a map: looked up per request). */
  keyConns?: KeyConns<H>;
  /** Whether it is in its key's free list (the free list, below). */
  listedFree = false;
  /** Its place in that list while the list is a heap. */
  heapIndex = -1;
  constructor(
    readonly host: H,
    readonly mtls: boolean,
  ) {}
}

/** One key's connections: all of them in opening order, and those with a free stream. */
export interface KeyConns<H> {
  all: Set<Connection<H>>;
  free: Connection<H>[];
  /** Whether `free` is a max-heap on `seq` rather than in opening order (the free list, below). */
  freeIsHeap: boolean;
  /** Changes to `free` since its shape was last judged (the free list, below). */
  changes: number;
  /** Places connections moved in `free` over those changes while it is in opening order. */
  moves: number;
}

export class ConnectionPool<K, H> {
  /** Connections by key: the host for per-host pools, or a shared key for "any host" pools. */
  private readonly byKey = new Map<K, KeyConns<H>>();
  /** The key asked for last and its connections (never removed from byKey): a pool of one key finds them without a lookup. */
  private lastKey?: K;
  private lastKeyConns?: KeyConns<H>;
  opened = 0;
  /** Connections open now (connecting ones included), across every host. */
  openCount = 0;

  /**
   * The options read per request, as the pool's own fields: callers pass option objects of many
   * shapes, and reading them there was a megamorphic property load each time.
   */
  readonly maxStreams: number;
  private readonly maxRequestsPerConnection: number;
  private readonly idleTimeoutUs: number;

  constructor(
    private readonly opts: PoolOptions,
    private readonly clock: { now: number },
  ) {
    this.maxStreams = opts.maxStreams;
    this.maxRequestsPerConnection = opts.maxRequestsPerConnection;
    this.idleTimeoutUs = opts.idleTimeoutUs;
  }

  /** Connections open under `key` now (connecting ones included). */
  countOf(key: K): number {
    return this.byKey.get(key)?.all.size ?? 0;
  }

  /**
   * The newest usable open connection for `key` with a free stream, reserving that stream; or
   * undefined. Idle connections past the idle timeout met on the way are closed.
   */
  take(key: K): Connection<H> | undefined {
    const k = this.keyConns(key, false);
    return k === undefined ? undefined : this.takeFrom(k);
  }

  /**
   * The connections kept under `key`, made on first use: the same object for the pool's life, so
   * a caller may keep it and `takeFrom` it without a lookup by key per request.
   */
  conns(key: K): KeyConns<H> {
    return this.keyConns(key, true);
  }

  /** `take` from the connections `conns(key)` gave. */
  takeFrom(k: KeyConns<H>): Connection<H> | undefined {
    const now = this.clock.now;
    while (k.free.length > 0) {
      const c = newestFree(k);
      if (c.streams === 0 && now - c.idleSinceUs > this.idleTimeoutUs) {
        this.close(c);
        continue;
      }
      this.reserve(c);
      return c;
    }
    return undefined;
  }

  /**
   * Opens a new connection to `host` under `key`. By default one stream is reserved on it and its
   * other streams can be taken at once; with `connecting` it has no stream reserved and is not
   * handed out until `ready()` (Envoy's pools queue requests until the connection is up).
   */
  open(key: K, host: H, mtls: boolean, connecting = false): Connection<H> {
    const c = new Connection(host, mtls);
    const k = this.keyConns(key, true);
    c.seq = this.opened++;
    k.all.add(c);
    c.keyConns = k;
    this.openCount++;
    this.opts.clientSide?.add(1, this.clock.now);
    this.opts.serverSide?.(host)?.add(1, this.clock.now);
    if (connecting) c.connecting = true;
    else {
      c.streams = 1;
      this.refresh(c);
    }
    this.opts.onChange?.();
    return c;
  }

  /** A `connecting` connection is established: its free streams can be taken. */
  ready(c: Connection<H>): void {
    c.connecting = false;
    if (c.streams === 0) c.idleSinceUs = this.clock.now;
    this.refresh(c);
  }

  /** Reserves one more stream on an open connection (which must have one free). */
  reserve(c: Connection<H>): void {
    c.streams++;
    this.refresh(c);
  }

  /** Gives back a stream reserved with `take`/`reserve` that carried no request. */
  unreserve(c: Connection<H>): void {
    c.streams--;
    if (c.streams === 0) c.idleSinceUs = this.clock.now;
    this.refresh(c);
  }

  /** A request on `c` finished. */
  release(_key: K, c: Connection<H>): void {
    c.streams--;
    c.requests++;
    if (c.streams === 0) c.idleSinceUs = this.clock.now;
    const max = this.maxRequestsPerConnection;
    if (!c.closed && max > 0 && c.requests >= max && c.streams === 0) this.close(c);
    else this.refresh(c);
  }

  /** Drops a connection that failed (refused, reset): it is closed, never reused. */
  discard(_key: K, c: Connection<H>): void {
    c.streams = Math.max(0, c.streams - 1);
    this.close(c);
  }

  /** Closes every connection `pred` selects (e.g. after a config change), newest first within a key. */
  closeMatching(pred: (c: Connection<H>) => boolean): void {
    for (const k of [...this.byKey.values()]) {
      const list = [...k.all];
      for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) this.close(list[i]!);
    }
  }

  /** Closes every connection to `host` (it crashed); in-flight requests are settled elsewhere. */
  closeHost(host: H): void {
    this.closeMatching((c) => c.host === host);
  }

  private close(c: Connection<H>): void {
    if (c.closed) return;
    c.closed = true;
    this.openCount--;
    const k = c.keyConns;
    if (k) {
      if (c.listedFree) unlistFree(k, c);
      k.all.delete(c);
      c.keyConns = undefined;
    }
    this.opts.clientSide?.add(-1, this.clock.now);
    this.opts.serverSide?.(c.host)?.add(-1, this.clock.now);
    this.opts.onClose?.(c);
    this.opts.onChange?.();
  }

  /** The connections of `key`, made first with `create`. */
  private keyConns(key: K, create: true): KeyConns<H>;
  private keyConns(key: K, create: false): KeyConns<H> | undefined;
  private keyConns(key: K, create: boolean): KeyConns<H> | undefined {
    if (key === this.lastKey && this.lastKeyConns) return this.lastKeyConns;
    let k = this.byKey.get(key);
    if (!k) {
      if (!create) return undefined;
      this.byKey.set(key, (k = { all: new Set(), free: objectArray(), freeIsHeap: false, changes: 0, moves: 0 }));
    }
    this.lastKey = key;
    return (this.lastKeyConns = k);
  }

  /** Puts `c` in its key's free list when it can take a stream, takes it out when it cannot. */
  private refresh(c: Connection<H>): void {
    const k = c.keyConns;
    if (!k) return;
    const usable = !c.closed && !c.connecting && c.streams < this.maxStreams;
    if (usable && !c.listedFree) listFree(k, c);
    else if (!usable && c.listedFree) unlistFree(k, c);
  }
}

// The free list: a key's connections with a free stream, the newest (highest `seq`) handed out
// first. It is kept in opening order, the newest last, while that is cheap: a request's connection
// is mostly one of the newest (those are the ones taken), so giving it back moves it past the few
// newer ones, if any, and taking one removes the last, a step or two where an indexed max-heap
// sifts through all its levels twice per request (M/M/4: 5,671 -> 5,099 instructions per request).
// When connections come back far from the end instead (an overload's thousands come back in any
// order: a list alone made an M/M/4 run at rho = 1.5 take 2.69 s instead of 0.98 s), a long list
// becomes that heap. What decides is what the list costs, not its length: a burst that once opened
// 70 connections leaves them open and idle (they close only when met past the idle timeout, and
// the newest are met first), and a list of 70 where only the newest few come and go is as cheap
// as a short one; judged by length, that list was a heap for the rest of the run (an M/M/4 run at
// rho = 0.8 whose seed made one such burst ran ~10% slower). A heap is tried as a list again after
// a while, the old connections being likely to stay where they are. Both shapes hand out the same
// connection, the one with the highest `seq` (unique per pool).

/** A free list shorter than this stays in opening order whatever its changes cost. */
const HEAP_MIN_LENGTH = 64;
/** Changes to a list in opening order between two judgements of its cost. */
const LIST_JUDGED_EVERY = 256;
/** Places moved per change, on average over those, above which a long list becomes a heap. */
const LIST_MOVES_PER_CHANGE = 4;
/** Changes per listed connection after which a heap is tried as a list in opening order again. */
const HEAP_KEPT_PER_CONNECTION = 256;

/** The connection `take` tries first: the newest listed. */
function newestFree<H>(k: KeyConns<H>): Connection<H> {
  return (k.freeIsHeap ? k.free[0] : k.free[k.free.length - 1])!;
}

/** Lists `c` (not listed). */
function listFree<H>(k: KeyConns<H>, c: Connection<H>): void {
  c.listedFree = true;
  const list = k.free;
  if (k.freeIsHeap) {
    heapPush(list, c);
    if (++k.changes >= HEAP_KEPT_PER_CONNECTION * list.length) toSorted(k);
    return;
  }
  let i = list.length;
  list.push(c);
  while (i > 0 && list[i - 1]!.seq > c.seq) {
    list[i] = list[i - 1]!;
    i--;
  }
  list[i] = c;
  listChanged(k, list.length - 1 - i);
}

/** Takes `c` (listed) out. */
function unlistFree<H>(k: KeyConns<H>, c: Connection<H>): void {
  c.listedFree = false;
  const list = k.free;
  if (k.freeIsHeap) {
    heapRemove(list, c);
    if (list.length <= HEAP_MIN_LENGTH / 4 || ++k.changes >= HEAP_KEPT_PER_CONNECTION * list.length) toSorted(k);
    return;
  }
  const last = list.length - 1;
  if (list[last] === c) {
    list.pop();
    listChanged(k, 0);
    return;
  }
  // Found by bisection on `seq`, then the newer ones move down one place.
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < c.seq) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < last; i++) list[i] = list[i + 1]!;
  list.pop();
  listChanged(k, last - lo);
}

/** Counts a change to a list in opening order that moved `moved` connections; judges the list's cost every so often. */
function listChanged<H>(k: KeyConns<H>, moved: number): void {
  k.moves += moved;
  if (++k.changes < LIST_JUDGED_EVERY) return;
  if (k.free.length >= HEAP_MIN_LENGTH && k.moves > LIST_JUDGED_EVERY * LIST_MOVES_PER_CHANGE) toHeap(k);
  k.changes = 0;
  k.moves = 0;
}

/** The list in opening order made a heap: reversed, newest first, it already is one (listChanged resets the counts). */
function toHeap<H>(k: KeyConns<H>): void {
  const list = k.free.reverse();
  for (let i = 0; i < list.length; i++) list[i]!.heapIndex = i;
  k.freeIsHeap = true;
}

/** The heap made a list in opening order again. */
function toSorted<H>(k: KeyConns<H>): void {
  const list = k.free.sort((a, b) => a.seq - b.seq);
  for (const c of list) c.heapIndex = -1;
  k.freeIsHeap = false;
  k.changes = 0;
  k.moves = 0;
}

// An indexed binary max-heap on Connection.seq (each connection knows its index, so removal is O(log n)).
type Item = { seq: number; heapIndex: number };

function heapPush<T extends Item>(h: T[], c: T): void {
  c.heapIndex = h.length;
  h.push(c);
  siftUp(h, c.heapIndex);
}

function heapRemove<T extends Item>(h: T[], c: T): void {
  const i = c.heapIndex;
  c.heapIndex = -1;
  const last = h.pop()!;
  if (i === h.length) return;
  h[i] = last;
  last.heapIndex = i;
  siftUp(h, i);
  siftDown(h, last.heapIndex);
}

function siftUp<T extends Item>(h: T[], i: number): void {
  const c = h[i]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = h[p]!;
    if (parent.seq >= c.seq) break;
    h[i] = parent;
    parent.heapIndex = i;
    i = p;
  }
  h[i] = c;
  c.heapIndex = i;
}

function siftDown<T extends Item>(h: T[], i: number): void {
  const c = h[i]!;
  const n = h.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const m = r < n && h[r]!.seq > h[l]!.seq ? r : l;
    const child = h[m]!;
    if (child.seq <= c.seq) break;
    h[i] = child;
    child.heapIndex = i;
    i = m;
  }
  h[i] = c;
  c.heapIndex = i;
}
