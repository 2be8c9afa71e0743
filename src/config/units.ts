/**
 * Istio-style durations and Kubernetes quantities, parsed at the edge into the simulator's units:
 * durations into microseconds (see kernel/simulator.ts), CPU into cores, memory into bytes.
 */

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)$/;
const DURATION_US: Record<string, number> = { ns: 1e-3, us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };

/** `250us`, `20ms`, `1.5s`, `2m`, `1h` → microseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const unitUs = DURATION_US[m[2] ?? ''];
  return unitUs === undefined ? undefined : Number(m[1]) * unitUs;
}

export const DURATION_HELP = 'a number with a unit: 250us, 20ms, 1.5s, 2m, 1h';

/** Formats microseconds back into the shortest exact Istio-style duration (for messages and reports). */
export function formatDuration(us: number): string {
  for (const [unit, size] of [
    ['h', 3600e6],
    ['m', 60e6],
    ['s', 1e6],
    ['ms', 1e3],
  ] as const) {
    if (us >= size && Number.isInteger(us / size)) return `${us / size}${unit}`;
  }
  if (us >= 1e6) return `${+(us / 1e6).toFixed(6)}s`;
  if (us >= 1e3) return `${+(us / 1e3).toFixed(3)}ms`;
  return `${+us.toFixed(3)}us`;
}

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;

/** Kubernetes CPU quantity (`500m`, `2`, `0.5`, or a number) → cores. */
export function parseCpu(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = CPU.exec(value.trim());
  if (!m) return undefined;
  return m[2] === 'm' ? Number(m[1]) / 1000 : Number(m[1]);
}

const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
const MEMORY_BYTES: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Kubernetes memory / byte quantity (`256Mi`, `1Gi`, `1k`, `1500`) → bytes. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = MEMORY.exec(value.trim());
  if (!m) return undefined;
  const unit = MEMORY_BYTES[m[2] ?? ''];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
