// Diagnostics stay one printable line of at most ~200 characters, whatever the input held.
import { describe, expect, it } from 'vitest';
import { MAX_DIAGNOSTIC_CHARS, diagnosticLine, excerpt, printable } from '../../src/config/printable.js';

describe('printable diagnostics', () => {
  it('escape newlines, CR, escape sequences, bidi overrides and lone surrogates', () => {
    expect(printable('a\nb\rc\u001b[31m\u202ed\ud800')).toBe('a\\nb\\rc\\u001b[31m\\u202ed\\ud800');
    expect(printable('café 💥')).toBe('café 💥');
  });

  it('cut a long message in the middle, keeping the quoted value at its end', () => {
    const line = diagnosticLine('f.yaml:1:1: error: ', `${'x'.repeat(5000)} (got "bad")`);
    expect(line.length).toBeLessThanOrEqual('f.yaml:1:1: error: '.length + MAX_DIAGNOSTIC_CHARS);
    expect(line).toMatch(/^f\.yaml:1:1: error: x+…x+ \(got "bad"\)$/);
  });

  it('quote short excerpts only', () => {
    expect(excerpt('a'.repeat(100))).toBe(`"${'a'.repeat(39)}…"`);
    expect(excerpt('a\u202eb')).toBe('"a\\u202eb"');
  });
});
