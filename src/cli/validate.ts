/** `meshsim validate`: every check `run` makes, without simulating. */
import { InputError, formatDiagnostic } from '../config/diagnostics.js';
import { loadChecked } from './common.js';
import { EXIT, reportFailure } from './main.js';

export function validateCommand(files: string[]): number {
  let worst: number = EXIT.ok;
  for (const file of files) {
    try {
      const { warnings } = loadChecked(file);
      for (const w of warnings) process.stdout.write(`${formatDiagnostic(w)}\n`);
      process.stdout.write(`${file}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}\n`);
    } catch (e) {
      if (e instanceof InputError) {
        for (const d of e.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
        worst = Math.max(worst, EXIT.input);
      } else {
        worst = Math.max(worst, reportFailure(e));
      }
    }
  }
  return worst;
}
