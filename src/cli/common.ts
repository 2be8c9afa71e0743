/** Shared by the commands: load a scenario with flag overrides, checked before anything runs. */
import { InputError } from '../config/diagnostics.js';
import { loadScenario, type Loaded } from '../analysis/load.js';
import { excerpt, printable } from '../config/printable.js';
import { DEFAULT_BUDGET, estimateWork, fmtCount, overBudget, type Budget } from '../sim/budget.js';
import type { SimulationState } from '../sim/simulate.js';
import type { MeshMode, Scenario } from '../config/model.js';
import { isModeName, meshMode, MODE_NAMES } from '../modes/registry.js';
import { DURATION_HELP, parseDuration } from '../config/units.js';
import { EXIT, printWarnings, reportFailure } from './exit.js';
import { formatRunWarning, type RunWarning } from '../sim/warnings.js';

export interface Overrides {
  seed?: number;
  durationUs?: number;
  mode?: MeshMode;
}

export function flagProblem(flag: string, message: string): InputError {
  return new InputError([{ file: 'meshsim', line: 1, col: 1, severity: 'error', message: `${flag}: ${message}` }]);
}

export function parseOverrides(opts: Record<string, string | boolean | undefined>): Overrides {
  const out: Overrides = {};
  if (typeof opts.seed === 'string') {
    if (!/^\d+$/.test(opts.seed) || !Number.isSafeInteger(Number(opts.seed))) {
      throw flagProblem('--seed', `expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got "${opts.seed}"`);
    }
    out.seed = Number(opts.seed);
  }
  if (typeof opts.duration === 'string') {
    const us = parseDuration(opts.duration);
    if (us === undefined || us <= 0) throw flagProblem('--duration', `invalid duration "${opts.duration}": use ${DURATION_HELP}`);
    out.durationUs = us;
  }
  if (typeof opts.mode === 'string') {
    if (!isModeName(opts.mode)) throw flagProblem('--mode', `unknown mode "${opts.mode}" (modes: ${MODE_NAMES.join(', ')})`);
    out.mode = opts.mode;
  }
  return out;
}

/** Flags that only make sense against the scenario (a --duration must outlast its warmup). */
export function checkOverrides(o: Overrides, scenario: { warmupUs: number }): void {
  if (o.durationUs !== undefined && o.durationUs <= scenario.warmupUs) {
    throw flagProblem('--duration', `must be longer than the scenario's warmup (${scenario.warmupUs / 1e6}s)`);
  }
}

export function parseModes(list: string): MeshMode[] {
  const modes = list
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const m of modes) {
    if (!isModeName(m)) throw flagProblem('--modes', `unknown mode "${m}" (modes: ${MODE_NAMES.join(', ')})`);
  }
  if (modes.length === 0) throw flagProblem('--modes', 'give at least one mode');
  return modes;
}

/** Loads and checks a scenario (the loader also checks the cost profile). */
/** Warnings about configuration the mode that runs cannot honour (another mesh's resources …). */
export function printModeWarnings(scenario: Scenario, mode: string): void {
  printWarnings(meshMode(mode).configWarnings?.(scenario) ?? []);
}

export function loadChecked(file: string, opts: Record<string, unknown> = {}): Loaded {
  return loadScenario(file, { allowOutsideFiles: opts.allowOutsideFiles === true });
}

/** --max-requests, --max-events, --max-in-flight (CONTRACT.md §5): positive integers (1e6 and 1_000_000 too). */
export function parseBudget(opts: Record<string, unknown>): Budget {
  const one = (flag: string, key: string, dflt: number): number => {
    const v = opts[key];
    if (typeof v !== 'string') return dflt;
    const n = Number(v.replace(/[_,]/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) throw flagProblem(flag, `expected a positive integer, got ${excerpt(v)}`);
    return n;
  };
  return {
    maxRequests: one('--max-requests', 'maxRequests', DEFAULT_BUDGET.maxRequests),
    maxEvents: one('--max-events', 'maxEvents', DEFAULT_BUDGET.maxEvents),
    maxInFlight: one('--max-in-flight', 'maxInFlight', DEFAULT_BUDGET.maxInFlight),
  };
}

/** Refuses, before simulating, a run whose estimated work is over budget (exit 2, at spec.workload). */
export function checkWork(loaded: Loaded, budget: Budget, mode: string, durationUs: number): void {
  const problem = overBudget(estimateWork(loaded.scenario, { mode, durationUs }), budget);
  if (problem) throw new InputError([loaded.source.diagnosticAt(['spec', 'workload'], 'error', problem)]);
}

/** After a run: warnings for routing loops, and the error line when a budget stopped it (exit 2). */
export function runOutcome(loaded: Loaded, state: SimulationState, wrote: string | undefined): number | undefined {
  for (const [edge, n] of state.loops) {
    printWarnings([
      loaded.source.diagnosticAt(
        ['spec', 'istio'],
        'warning',
        `routing loop: ${fmtCount(n)} calls ${edge} went round a VirtualService loop and failed with 508 Loop Detected`,
      ),
    ]);
  }
  if (!state.partial) return undefined;
  const at = `t=${(state.partial.atUs / 1e6).toFixed(3)}s`;
  reportFailure(
    new InputError([loaded.source.diagnosticAt(['spec', 'workload'], 'error', `run stopped at ${at}: ${state.partial.reason}`)]),
  );
  if (wrote) process.stderr.write(`meshsim: warning: partial results written to ${printable(wrote)} (results.json says "partial")\n`);
  return EXIT.input;
}

// Exit codes and failure reporting live in exit.ts (light: main.ts imports it for every command).
export { EXIT, printWarnings, reportFailure } from './exit.js';

/** Run-time warnings for the mode that ran (sim/warnings.ts) on stderr; `mode` tags them for compare. */
export function printRunWarnings(warnings: readonly RunWarning[], mode?: string): void {
  for (const w of warnings) process.stderr.write(`${formatRunWarning(mode ? { ...w, message: `[mode ${mode}] ${w.message}` } : w)}\n`);
}
