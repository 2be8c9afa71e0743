/**
 * The HTML shell shared by report.html and comparison.html: one self-contained file, inline CSS,
 * no scripts, no external resources (a Content-Security-Policy forbids any), no timestamps.
 */
import { esc } from './escape.js';
import { FONT, MONO } from './theme.js';

const CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f5f6f8;color:#111827;font:14px/1.55 ${FONT};-webkit-font-smoothing:antialiased}
main{max-width:1040px;margin:0 auto;padding:28px 24px 48px}
header.top{background:#fff;border:1px solid #e5e7eb;border-radius:14px;padding:22px 26px 20px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.kicker{font-size:12px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:#6b7280;margin:0 0 4px}
h1{font-size:26px;line-height:1.2;margin:0 0 10px;letter-spacing:-.01em}
h1 .mode{font-weight:500;color:#6b7280}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 12px;padding:0;list-style:none}
.chips li{font-size:12px;background:#f3f4f6;border:1px solid #e5e7eb;border-radius:999px;padding:2px 10px;color:#374151}
.chips li b{font-weight:600;color:#111827}
.chips li.mode-sidecar{background:#eff6ff;border-color:#bfdbfe}
.chips li.mode-ambient{background:#f0fdfa;border-color:#99f6e4}
.desc{color:#374151;max-width:80ch;margin:0}
.desc p{margin:0 0 8px}
code{font-family:${MONO};font-size:.92em;background:#f3f4f6;border-radius:4px;padding:1px 4px}
.cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:18px 0 8px}
.cards.cols-2{grid-template-columns:repeat(2,minmax(0,1fr))}.cards.cols-3{grid-template-columns:repeat(3,minmax(0,1fr))}
@media (max-width:760px){.cards,.cards.cols-3{grid-template-columns:repeat(2,minmax(0,1fr))}}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:12px 14px 11px;box-shadow:0 1px 2px rgba(16,24,40,.04);border-top:3px solid #e5e7eb}
.card.good{border-top-color:#16a34a}.card.warn{border-top-color:#d97706}.card.bad{border-top-color:#dc2626}.card.info{border-top-color:#2563eb}.card.mesh{border-top-color:#0d9488}
.card .label{font-size:12px;color:#6b7280;font-weight:500}
.card .value{font-size:22px;font-weight:650;letter-spacing:-.01em;margin:2px 0 0;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .sub{font-size:12px;color:#6b7280;margin-top:1px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:14px;padding:18px 22px 16px;margin:16px 0;box-shadow:0 1px 2px rgba(16,24,40,.04)}
section h2{font-size:17px;margin:0 0 2px;letter-spacing:-.005em}
p.look{margin:0 0 12px;color:#4b5563;font-size:13px}
p.look b{color:#111827;font-weight:600}
p.note{margin:8px 0 0;color:#6b7280;font-size:12.5px}
.empty{background:#f9fafb;border:1px dashed #d1d5db;border-radius:10px;padding:12px 14px;color:#4b5563;font-size:13px;margin:0 0 10px}
figure{margin:0;overflow-x:auto}
figure svg{display:block;max-width:100%;height:auto}
h3{font-size:13px;font-weight:600;color:#374151;margin:16px 0 6px}
table{width:100%;border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #f0f1f3;text-align:right;white-space:nowrap}
th{font-weight:600;color:#6b7280;font-size:12px;border-bottom:1px solid #e5e7eb;background:#fafafa}
th:first-child,td:first-child{text-align:left}
td.l,th.l{text-align:left;white-space:normal}
tr.sub td{color:#6b7280}
td.bad{color:#b91c1c;font-weight:600}td.good{color:#15803d}
.delta{color:#6b7280;font-size:12px;margin-left:4px}
.delta.up{color:#b45309}.delta.down{color:#15803d}
.tablewrap{overflow-x:auto}
pre{font-family:${MONO};font-size:12.5px;background:#0f172a;color:#e2e8f0;border-radius:10px;padding:12px 14px;overflow-x:auto;margin:6px 0 10px;line-height:1.5}
ul.files{margin:0 0 6px;padding-left:18px}
ul.files li{margin:2px 0}
footer{color:#9ca3af;font-size:12px;text-align:center;margin-top:28px}
@media print{body{background:#fff}section,header.top,.card{box-shadow:none;break-inside:avoid}}
`;

export interface Card {
  label: string;
  value: string;
  sub?: string;
  tone?: 'good' | 'warn' | 'bad' | 'info' | 'mesh';
}

export function cards(list: Card[], columns = 4): string {
  return `<div class="cards${columns === 4 ? '' : ` cols-${columns}`}">${list.map((c) => `<div class="card${c.tone ? ` ${c.tone}` : ''}"><div class="label">${esc(c.label)}</div><div class="value">${esc(c.value)}</div>${c.sub ? `<div class="sub">${esc(c.sub)}</div>` : ''}</div>`).join('')}</div>`;
}

/** A section: a title, the one line saying what to look at, then trusted HTML (already escaped). */
export function section(id: string, title: string, look: string, bodyHtml: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2><p class="look"><b>What to look at:</b> ${esc(look)}</p>${bodyHtml}</section>`;
}

export const figure = (svg: string): string => `<figure>${svg}</figure>`;
export const emptyNote = (text: string): string => `<div class="empty">${esc(text)}</div>`;
export const note = (text: string): string => `<p class="note">${esc(text)}</p>`;

/** A user-written description: paragraphs at blank lines, `code` spans, everything escaped. */
export function descriptionHtml(text: string): string {
  const paras = text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);
  return paras.map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`).join('');
}

export interface Column {
  label: string;
  left?: boolean;
}

/** A table of cells that are plain text (escaped here) or {html} already escaped by the caller. */
export function table(columns: Column[], rows: (string | { html: string; cls?: string })[][]): string {
  const head = `<tr>${columns.map((c) => `<th${c.left ? ' class="l"' : ''}>${esc(c.label)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r
          .map((cell, i) => {
            const left = columns[i]?.left;
            if (typeof cell === 'string') return `<td${left ? ' class="l"' : ''}>${esc(cell)}</td>`;
            const cls = [left ? 'l' : '', cell.cls ?? ''].filter(Boolean).join(' ');
            return `<td${cls ? ` class="${cls}"` : ''}>${cell.html}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<div class="tablewrap"><table><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

export function page(title: string, header: string, body: string, footer: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="meshsim">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS.trim()}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header,
    body,
    `<footer>${footer}</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
