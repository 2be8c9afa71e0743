/** Request counters by status code and Envoy response flag, with latency. */
import { LatencyStats } from './latency.js';

/** Response flags always listed in results (Envoy's names; see semantics.md §11). */
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

export class RequestStats {
  total = 0;
  ok = 0;
  readonly byCode = new Map<number, number>();
  readonly byFlag = new Map<string, number>();
  readonly latency = new LatencyStats();

  /** `flags` is Envoy's comma-separated form ("" or "-" for none). */
  record(status: number, flags: string, latencyUs: number): void {
    this.total++;
    if (succeeded(status)) this.ok++;
    this.byCode.set(status, (this.byCode.get(status) ?? 0) + 1);
    if (flags !== '' && flags !== '-') {
      for (const f of flags.split(',')) this.byFlag.set(f, (this.byFlag.get(f) ?? 0) + 1);
    }
    this.latency.record(latencyUs);
  }

  toJson(): RequestsJson {
    const by_code: Record<string, number> = {};
    for (const code of [...this.byCode.keys()].sort((a, b) => a - b)) by_code[String(code)] = this.byCode.get(code) as number;
    const by_flag: Record<string, number> = {};
    for (const f of STANDARD_FLAGS) by_flag[f] = this.byFlag.get(f) ?? 0;
    for (const f of [...this.byFlag.keys()].sort()) if (!(f in by_flag)) by_flag[f] = this.byFlag.get(f) as number;
    return { total: this.total, succeeded: this.ok, failed: this.total - this.ok, by_code, by_flag };
  }
}
