/**
 * Progress bars on stderr (cli-progress) for long commands: run, compare, sweep, capacity. Shown
 * only when stderr is a terminal and --quiet is not given; otherwise every function here returns
 * a no-op, so pipes, CI logs and --json output stay clean. The bar reads the wall clock, which is
 * fine: it only displays, and never feeds anything back into a simulation.
 *
 * For a new command (e.g. capacity): `const bar = await progressBar({ label, total, unit, quiet })`,
 * then `bar.update(done)` as work finishes and `bar.stop()` at the end; for one simulation, pass
 * `bar.simulation(offsetUs)` as simulate()'s `progress` option.
 */

export interface ProgressOptions {
  /** Shown before the bar, e.g. "run", "sweep", "compare sidecar". */
  label: string;
  /** The value at 100%. */
  total: number;
  /** What `total` counts: 's' (simulated seconds) or 'points' (anything else is shown as is). */
  unit: string;
  quiet?: boolean;
  /** Defaults to process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Whether `update` is given simulated event counts, shown as events/s (default true). */
  events?: boolean;
}

export interface Progress {
  /** `done` out of total; `events` (optional) is the simulated event count so far, for events/s. */
  update(done: number, events?: number): void;
  /** A simulate() `progress` callback that reports simulated seconds, plus `offsetS` (earlier runs of the same bar). */
  simulation(offsetS?: number): (nowUs: number, events: number) => void;
  /** Changes the label (e.g. per mode in compare). */
  relabel(label: string): void;
  /** Changes the value at 100% (a search that does not know its length up front, e.g. capacity). */
  setTotal(total: number): void;
  stop(): void;
}

const NOOP: Progress = {
  update: () => {},
  simulation: () => () => {},
  relabel: () => {},
  setTotal: () => {},
  stop: () => {},
};

/**
 * Whether a bar would be drawn: stderr is a TTY and not --quiet. Under --quiet process.stderr is
 * not touched: making it costs a quiet run ~3 ms when it is a pipe (bin/meshsim.js).
 */
export function progressWanted(quiet: boolean | undefined, stream?: NodeJS.WriteStream): boolean {
  return !quiet && (stream ?? process.stderr).isTTY === true;
}

/** A progress bar, or a no-op when none is wanted. cli-progress is loaded only when drawing. */
export async function progressBar(o: ProgressOptions): Promise<Progress> {
  if (!progressWanted(o.quiet, o.stream)) return NOOP;
  const stream = o.stream ?? process.stderr;
  const { default: cliProgress } = await import('cli-progress');
  const unit = o.unit === 's' ? 's simulated' : o.unit;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `{label} [{bar}] {percentage}% | {value}/{total} ${unit}${o.events === false ? '' : ' | {rate} events/s'} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
      formatValue: (v: number, _opts: unknown, type: string) => (type === 'value' || type === 'total' ? formatCount(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const started = process.hrtime.bigint();
  let label = o.label;
  let total = o.total;
  let lastEvents = 0;
  const rate = () => {
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    return s > 0 ? formatCount(lastEvents / s) : '0';
  };
  bar.start(o.total, 0, { label, rate: '0' });
  const update = (done: number, events?: number) => {
    if (events !== undefined) lastEvents = events;
    bar.update(Math.min(done, total), { label, rate: rate() });
  };
  return {
    update,
    simulation: (offsetS = 0) => {
      const base = lastEvents;
      return (nowUs, events) => update(offsetS + nowUs / 1e6, base + events);
    },
    relabel: (l) => {
      label = l;
    },
    setTotal: (n) => {
      total = n;
      bar.setTotal(n);
    },
    stop: () => bar.stop(),
  };
}

function formatCount(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
