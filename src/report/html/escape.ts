/** Escaping for text that goes into HTML or hand-written SVG: every piece of user text passes here. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text content and attribute values alike (quotes included, so it is safe in both). */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Numbers for display: fixed digits, thousands separated, "–" for missing values. */
export function num(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const fixed = Math.abs(x).toFixed(digits);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${x < 0 && Number(fixed) !== 0 ? '−' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** A latency in ms with sensible digits: 0.412 ms, 12.3 ms, 1,204 ms. */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  return `${num(x, a < 1 ? 3 : a < 100 ? 2 : 0)} ms`;
}

export function pct(part: number, whole: number, digits = 2): string {
  return whole > 0 ? `${num((100 * part) / whole, digits)}%` : '–';
}
