/**
 * A Kiali-like service graph as hand-written SVG: workload clients and services as nodes, and every
 * source→destination edge labelled with its calls per second, error share and p99, coloured by
 * health. Positions come from graph-layout.ts; this module only draws.
 */
import type { ResultsJson } from '../results.js';
import { esc, ms, num } from './escape.js';
import { layoutServiceGraph, MARGIN, SMALL_PX, type GraphEdge, type GraphNode, type Point } from './graph-layout.js';
import { BAD, FONT, INK, MUTED, OK, WARN } from './theme.js';

const IDLE = '#9ca3af';
const WORKLOAD = '#64748b';

export function healthColor(errorRate: number, requests: number): string {
  if (requests === 0) return IDLE;
  return errorRate < 0.001 ? OK : errorRate < 0.05 ? WARN : BAD;
}

/** One decimal, as SVG coordinates are written. */
const f = (v: number) => (Math.round(v * 10) / 10).toString();

export function serviceGraphSvg(r: ResultsJson): string {
  const { nodes, edges, width, height } = layoutServiceGraph(r);
  const maxRps = Math.max(1e-9, ...edges.map((g) => g.rps));
  const edgeSvg = edges.map((g) => drawEdge(g, maxRps));
  const labelSvg = edges.map(drawEdgeLabel);
  const nodeSvg = nodes.map((n) => drawNode(n, r));
  const fullWidth = Math.max(width, 5 * 180 + 2 * MARGIN);
  const arrow = (id: string, c: string) =>
    `<marker id="sg-arrow-${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="service-graph" width="${fullWidth}" height="${height}" viewBox="0 0 ${fullWidth} ${height}" font-family="${esc(FONT)}" role="img" aria-label="Service graph">` +
    `<defs>${arrow('ok', OK)}${arrow('warn', WARN)}${arrow('bad', BAD)}${arrow('idle', IDLE)}</defs>` +
    `<g class="edges">${edgeSvg.join('')}</g><g class="nodes">${nodeSvg.join('')}</g><g class="labels">${labelSvg.join('')}</g><g class="legend">${legend(height - 14)}</g></svg>`
  );
}

/** The curve, its width growing with the log of its traffic, dashed when idle. */
function drawEdge(g: GraphEdge, maxRps: number): string {
  const color = healthColor(g.errorRate, g.e.requests);
  const sw = 1.4 + 3.6 * (Math.log10(1 + g.rps) / Math.log10(1 + maxRps));
  const marker = color === OK ? 'ok' : color === WARN ? 'warn' : color === BAD ? 'bad' : 'idle';
  const [s, c1, c2, t] = g.curve;
  const d = `M${xy(s)} C${xy(c1)} ${xy(c2)} ${xy(t)}`;
  const idle = g.e.requests === 0;
  return `<path d="${d}" fill="none" stroke="${color}" stroke-width="${f(sw)}" stroke-opacity="0.85"${idle ? ' stroke-dasharray="4 4"' : ''} marker-end="url(#sg-arrow-${marker})"><title>${esc(`${g.e.source} → ${g.e.destination}`)}</title></path>`;
}

const xy = (p: Point) => `${f(p.x)},${f(p.y)}`;

/** rps, error share and p99 in a box at the label point; a lock when the calls were mTLS. */
function drawEdgeLabel(g: GraphEdge): string {
  const color = healthColor(g.errorRate, g.e.requests);
  const { x: lx, y: ly } = g.label;
  const lines = [
    `${num(g.rps, g.rps < 10 ? 2 : 1)} rps`,
    `${g.errorRate === 0 ? '0' : num(100 * g.errorRate, 2)}% err`,
    `p99 ${ms(g.e.latency_ms.p99)}`,
  ];
  const lock = g.e.mtls ? 13 : 0;
  const lw = Math.ceil(Math.max(...lines.map((l) => l.length)) * SMALL_PX + lock + 16);
  const bx = lx - lw / 2;
  const by = ly - 26;
  return (
    `<g class="edge-label"><rect x="${f(bx)}" y="${f(by)}" width="${lw}" height="52" rx="7" fill="white" stroke="${color}" stroke-opacity="0.5"/>` +
    (g.e.mtls ? lockIcon(lx - (lines[0]!.length * SMALL_PX) / 2 - lock / 2 - 3, by + 6) : '') +
    lines
      .map(
        (l, i) =>
          `<text x="${f(lx + (i === 0 ? lock / 2 : 0))}" y="${f(by + 15 + i * 14.5)}" text-anchor="middle" font-size="12" fill="${i === 0 ? INK : MUTED}"${i === 0 ? ' font-weight="600"' : ''}>${esc(l)}</text>`,
      )
      .join('') +
    '</g>'
  );
}

/** A box with a glyph (triangle: service, circle: workload), the name and the node's lines. */
function drawNode(n: GraphNode, r: ResultsJson): string {
  const color = n.kind === 'service' ? healthColor(n.errorRate, r.services[n.id]?.requests.total ?? 0) : WORKLOAD;
  const glyph =
    n.kind === 'service'
      ? `<path d="M${f(n.x + 17)},${f(n.y + 14)} l7.5,13 h-15 z" fill="${color}"/>`
      : `<circle cx="${f(n.x + 17)}" cy="${f(n.y + 21)}" r="6.5" fill="${WORKLOAD}"/>`;
  return (
    `<g class="node node-${n.kind}"><rect x="${f(n.x)}" y="${f(n.y)}" width="${n.w}" height="${n.h}" rx="9" fill="white" stroke="${color}" stroke-width="1.6"/>` +
    glyph +
    `<text x="${f(n.x + 32)}" y="${f(n.y + 26)}" font-size="15" font-weight="600" fill="${INK}">${esc(n.title)}</text>` +
    n.lines.map((l, i) => `<text x="${f(n.x + 12)}" y="${f(n.y + 46 + i * 15)}" font-size="12" fill="${MUTED}">${esc(l)}</text>`).join('') +
    `<title>${esc(`${n.kind === 'service' ? 'service' : 'workload'} ${n.id}`)}</title></g>`
  );
}

function legend(y: number): string {
  return (
    [
      ['healthy (<0.1% errors)', OK],
      ['degraded (<5%)', WARN],
      ['failing (≥5%)', BAD],
      ['no traffic', IDLE],
    ]
      .map(
        ([label, c], i) =>
          `<g transform="translate(${MARGIN + i * 180},${y})"><line x1="0" y1="-4" x2="22" y2="-4" stroke="${c}" stroke-width="3"/><text x="28" y="0" font-size="12" fill="${MUTED}">${esc(label)}</text></g>`,
      )
      .join('') +
    `<g transform="translate(${MARGIN + 4 * 180},${y})">${lockIcon(0, -10)}<text x="16" y="0" font-size="12" fill="${MUTED}">mTLS on every call</text></g>`
  );
}

function lockIcon(x: number, y: number): string {
  return `<g transform="translate(${f(x)},${f(y)})"><path d="M2.5,4 V2.8 a2.5,2.5 0 0 1 5,0 V4" fill="none" stroke="#0f766e" stroke-width="1.3"/><rect x="1" y="4" width="8" height="6" rx="1.2" fill="#0f766e"/></g>`;
}
