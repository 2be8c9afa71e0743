/** Where k8s controllers report what they did (the run's timeline; events.jsonl). */
export interface EventSink {
  add(type: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

/** Seconds, rounded to the µs, as timeline fields carry times. */
export const seconds = (us: number): number => Math.round(us) / 1e6;
