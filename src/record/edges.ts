/** Per source→destination statistics of application-level calls (after any proxy retries). */
import { RequestStats } from './requests.js';
import { objectArray } from '../kernel/object-array.js';

export class EdgeStats {
  readonly requests = new RequestStats();
  /** Calls by the version of the pod that answered: a counter per version, the last one at hand. */
  private readonly versionCounts = new Map<string, { calls: number }>();
  private lastVersion?: string;
  private lastVersionCount = { calls: 0 };
  mtlsCalls = 0;
  /** Calls that crossed the network (not answered locally by the client's proxy). */
  networkCalls = 0;
  /** Calls answered by a pod in another zone than the caller's. */
  crossZoneCalls = 0;
  constructor(
    readonly source: string,
    readonly destination: string,
  ) {}

  record(status: number, flags: string, latencyUs: number, version: string | undefined, mtls: boolean, local = false): void {
    if (!local) this.networkCalls++;
    this.requests.record(status, flags, latencyUs);
    if (version !== undefined) {
      if (version !== this.lastVersion) this.countVersion(version);
      this.lastVersionCount.calls++;
    }
    if (mtls) this.mtlsCalls++;
  }

  /** Calls by the version of the pod that answered them, by version name. */
  get byVersion(): ReadonlyMap<string, number> {
    return new Map([...this.versionCounts].map(([version, c]) => [version, c.calls]));
  }

  private countVersion(version: string): void {
    let count = this.versionCounts.get(version);
    if (!count) this.versionCounts.set(version, (count = { calls: 0 }));
    this.lastVersion = version;
    this.lastVersionCount = count;
  }
}

/** Edges EdgeTable.get remembers (a three-tier chain has three; four leave room for an entry edge). */
const RECENT_EDGES = 4;

export class EdgeTable {
  private readonly edges = new Map<string, Map<string, EdgeStats>>();
  /**
   * The edges asked for last, the newest replacing the oldest: calls end one after another on a
   * few edges (an M/M/c station's every call on one; a chain's calls on its edges in turn, the
   * innermost first), found there without two map lookups per call.
   */
  private readonly recent: EdgeStats[] = objectArray();
  private nextRecent = 0;

  get(source: string, destination: string): EdgeStats {
    const recent = this.recent;
    for (let i = 0; i < recent.length; i++) {
      const e = recent[i]!;
      if (e.source === source && e.destination === destination) return e;
    }
    const e = this.lookUp(source, destination);
    recent[this.nextRecent] = e;
    this.nextRecent = (this.nextRecent + 1) % RECENT_EDGES;
    return e;
  }

  private lookUp(source: string, destination: string): EdgeStats {
    let bySource = this.edges.get(source);
    if (!bySource) this.edges.set(source, (bySource = new Map()));
    let e = bySource.get(destination);
    if (!e) bySource.set(destination, (e = new EdgeStats(source, destination)));
    return e;
  }

  /** Edges in a stable order (source, then destination). */
  sorted(): EdgeStats[] {
    return [...this.edges.values()]
      .flatMap((m) => [...m.values()])
      .sort((a, b) => (a.source === b.source ? cmp(a.destination, b.destination) : cmp(a.source, b.source)));
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
