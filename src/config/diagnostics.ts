/** User-facing problems with a position: `FILE:LINE:COL: error: MESSAGE`. */
import { diagnosticLine } from './printable.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return diagnosticLine(`${d.file}:${d.line}:${d.col}: ${d.severity}: `, d.message);
}

/** Thrown at the config edge only; the CLI turns it into exit code 2 without a stack trace. */
export class InputError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
  }
}
