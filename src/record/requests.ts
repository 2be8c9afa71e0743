/** Request counters by status code and Envoy response flag, with latency. */
import { LatencyStats } from './latency.js';

/** Response flags always listed in results (Envoy's names: source/common/stream_info/utility.h ResponseFlagUtils). */
export const STANDARD_FLAGS = ['UO', 'URX', 'UH', 'UF', 'UT', 'NR', 'NC', 'FI', 'DI', 'UC', 'LR'] as const;

/** 1xx-3xx succeed; 4xx, 5xx and 0 (a reset, no HTTP response) fail. */
export const succeeded = (status: number): boolean => status >= 100 && status < 400;

export interface RequestsJson {
  total: number;
  succeeded: number;
  failed: number;
  by_code: Record<string, number>;
  by_flag: Record<string, number>;
}

/** Status codes are 0 (reset) or 100-599: counted in a flat array, the hot path's cheapest map. */
const MAX_STATUS = 600;

export class RequestStats {
  total = 0;
  ok = 0;
  private readonly codes = new Float64Array(MAX_STATUS);
  readonly byFlag = new Map<string, number>();
  readonly latency = new LatencyStats();

  /** `flags` is Envoy's comma-separated form ("" or "-" for none). */
  record(status: number, flags: string, latencyUs: number): void {
    this.total++;
    if (status >= 100 && status < 400) this.ok++;
    this.codes[status >= 0 && status < MAX_STATUS ? status : 0]!++;
    if (flags !== '' && flags !== '-') this.countFlags(flags);
    this.latency.record(latencyUs);
  }

  /** Apart from record, which V8 inlines per request: most requests carry no flag. */
  private countFlags(flags: string): void {
    for (const f of flags.split(',')) this.byFlag.set(f, (this.byFlag.get(f) ?? 0) + 1);
  }

  count(status: number): number {
    return this.codes[status] ?? 0;
  }

  toJson(): RequestsJson {
    const by_code: Record<string, number> = {};
    for (let code = 0; code < MAX_STATUS; code++) if (this.codes[code]) by_code[String(code)] = this.codes[code]!;
    const by_flag: Record<string, number> = {};
    for (const f of STANDARD_FLAGS) by_flag[f] = this.byFlag.get(f) ?? 0;
    for (const f of [...this.byFlag.keys()].sort()) if (!(f in by_flag)) by_flag[f] = this.byFlag.get(f) as number;
    return { total: this.total, succeeded: this.ok, failed: this.total - this.ok, by_code, by_flag };
  }
}
