/** Timeline events (faults, crashes, ejections, config changes…), written to events.jsonl. */
export interface TimelineEvent {
  t_s: number;
  type: string;
  [field: string]: string | number | boolean | undefined;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];
  constructor(private readonly clock: { now: number }) {}

  add(type: string, fields: Record<string, string | number | boolean | undefined> = {}): void {
    this.events.push({ t_s: Math.round(this.clock.now) / 1e6, type, ...fields });
  }
}
