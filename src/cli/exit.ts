/**
 * Exit codes and how failures are reported. Kept apart from common.ts (which loads the scenario
 * loader) so the CLI entry point can import it without loading anything heavy.
 */
import { InputError, formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';

/** Exit codes (README.md "Exit codes"). */
export const EXIT = { ok: 0, internal: 1, input: 2, slo: 99 } as const;

export function reportFailure(e: unknown): number {
  if (e instanceof InputError) {
    for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return EXIT.input;
  }
  process.stderr.write(`meshsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}

export function printWarnings(warnings: Diagnostic[]): void {
  for (const w of warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
}
