/** Shared by the commands: load a scenario with flag overrides, checked before anything runs. */
import { InputError } from '../config/diagnostics.js';
import { loadScenario, type Loaded } from '../config/load.js';
import { MESH_MODES, type MeshMode } from '../config/model.js';
import { DURATION_HELP, parseDuration } from '../config/units.js';
import { profileNames } from '../dataplane/profile.js';

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
    if (!(MESH_MODES as readonly string[]).includes(opts.mode))
      throw flagProblem('--mode', `unknown mode "${opts.mode}" (modes: ${MESH_MODES.join(', ')})`);
    out.mode = opts.mode as MeshMode;
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
    if (!(MESH_MODES as readonly string[]).includes(m))
      throw flagProblem('--modes', `unknown mode "${m}" (modes: ${MESH_MODES.join(', ')})`);
  }
  if (modes.length === 0) throw flagProblem('--modes', 'give at least one mode');
  return modes as MeshMode[];
}

/** Loads and checks a scenario, including things only known outside config/ (profile names). */
export function loadChecked(file: string): Loaded {
  return checkProfile(loadScenario(file));
}

/** Checks what only the data plane knows: that the named cost profile exists. */
export function checkProfile(loaded: Loaded): Loaded {
  const names = profileNames();
  if (!names.includes(loaded.scenario.mesh.profile)) {
    throw new InputError([
      loaded.source.diagnosticAt(
        ['spec', 'mesh', 'profile'],
        'error',
        `spec.mesh.profile: unknown profile "${loaded.scenario.mesh.profile}" (profiles: ${names.join(', ')})`,
      ),
    ]);
  }
  return loaded;
}
