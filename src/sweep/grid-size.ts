/**
 * How many points a sweep has and which a shard runs, from the flags alone: nothing here reads a
 * value or imports a parser, so the command line can size its worker threads before it loads
 * anything (cli/prestart.ts). grid.ts builds the points themselves on the same rules.
 */

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `I/N` (1-based) → which points this shard runs. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}

/** Shard I of N runs every N-th point from the I-th. */
export const inShard = (p: { index: number }, shard: Shard) => p.index % shard.count === shard.index - 1;

/** How many of `points` points (indices 0 … points − 1) `shard` runs. */
export const pointsInShard = (points: number, shard: Shard) =>
  points >= shard.index ? Math.floor((points - shard.index) / shard.count) + 1 : 0;

/** The values of `--set PATH=V1,V2,…` as written (comma-separated, untrimmed). */
export const setValueTexts = (spec: string): string[] => spec.slice(spec.indexOf('=') + 1).split(',');
