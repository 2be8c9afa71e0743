/**
 * Diagnostics are one terminal line each: whatever a user's file contains (CR, newlines, escape
 * sequences, bidirectional overrides, megabytes of text), what meshsim prints stays printable,
 * on one line and short.
 */

/** Longest diagnostic message printed (a longer one loses its middle, so the quoted value at its end survives). */
export const MAX_DIAGNOSTIC_CHARS = 200;
/** Longest file name printed before it (a longer one loses its middle). */
const MAX_PREFIX_CHARS = 120;

// C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, BOM,
// and lone surrogates: none of them may reach a terminal raw.
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `s` with every unprintable character escaped (\n, \r, \t, \uXXXX). */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** At most `max` characters (by code point), with … when cut. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  return points.length <= max ? s : `${points.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** A short, printable, quoted excerpt of a value from the user's input, for messages. */
export function excerpt(value: string, max = 40): string {
  return JSON.stringify(clip(value, max)).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** At most `max` characters, cut in the middle (head … tail) when longer. */
export function clipMiddle(s: string, max: number): string {
  const points = Array.from(s);
  if (points.length <= max) return s;
  const tail = Math.floor((max - 1) * 0.3);
  return `${points.slice(0, max - 1 - tail).join('')}…${points.slice(points.length - tail).join('')}`;
}

/** One diagnostic line: printable, one line; the file name and the message each cut to their limit. */
export function diagnosticLine(prefix: string, message: string): string {
  return `${clipMiddle(printable(prefix), MAX_PREFIX_CHARS)}${clipMiddle(printable(message.trimStart()), MAX_DIAGNOSTIC_CHARS)}`;
}
