/**
 * A Kiali-like service graph as hand-written SVG: workload clients and services as nodes, layered
 * left to right by call depth, and every source→destination edge labelled with its calls per
 * second, error share and p99. Layout is deterministic: layers by longest call path from the
 * clients, order within a layer by name and then two barycentre passes; text widths come from
 * fixed per-character estimates, never from fonts.
 */
import type { EdgeJson, ResultsJson } from '../results.js';
import { esc, ms, num } from './escape.js';
import { BAD, FONT, INK, MUTED, OK, WARN } from './theme.js';

interface GraphNode {
  id: string;
  kind: 'workload' | 'service';
  title: string;
  lines: string[];
  depth: number;
  x: number;
  y: number;
  w: number;
  h: number;
  errorRate: number;
}

interface GraphEdge {
  e: EdgeJson;
  from: GraphNode;
  to: GraphNode;
  rps: number;
  errorRate: number;
}

const NODE_H = 72;
const COL_GAP = 150;
const ROW_GAP = 44;
const MARGIN = 24;
const TITLE_PX = 9;
const SMALL_PX = 6.9;

const failedCount = (byCode: Record<string, number>) =>
  Object.entries(byCode).reduce((n, [c, k]) => (Number(c) >= 400 || Number(c) < 100 ? n + k : n), 0);

export function healthColor(errorRate: number, requests: number): string {
  if (requests === 0) return '#9ca3af';
  return errorRate < 0.001 ? OK : errorRate < 0.05 ? WARN : BAD;
}

/** Measured window of a run (s): requests counted in results.json started after the warmup. */
export const measuredSeconds = (r: ResultsJson): number => Math.max(1e-9, r.simulated.duration_s - (r.simulated.warmup_s ?? 0));

export function serviceGraphSvg(r: ResultsJson): string {
  const window = measuredSeconds(r);
  const services = Object.keys(r.services);
  const serviceSet = new Set(services);
  const ids = [...new Set([...r.edges.map((e) => e.source), ...r.edges.map((e) => e.destination), ...services])];
  const nodes = new Map<string, GraphNode>();
  for (const id of ids) {
    const kind = serviceSet.has(id) ? 'service' : 'workload';
    nodes.set(id, { id, kind, title: id, lines: [], depth: kind === 'workload' ? 0 : 1, x: 0, y: 0, w: 0, h: NODE_H, errorRate: 0 });
  }
  const edges: GraphEdge[] = r.edges.map((e) => {
    const failed = failedCount(e.by_code);
    return {
      e,
      from: nodes.get(e.source) as GraphNode,
      to: nodes.get(e.destination) as GraphNode,
      rps: e.requests / window,
      errorRate: e.requests ? failed / e.requests : 0,
    };
  });

  // Layers: longest path from the clients, relaxed at most |V| times so cycles cannot loop forever.
  for (let round = 0; round < nodes.size; round++) {
    let changed = false;
    for (const g of edges) {
      if (g.from === g.to || g.to.kind === 'workload') continue;
      const d = g.from.depth + 1;
      if (d > g.to.depth && d <= nodes.size) {
        g.to.depth = d;
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Text of each node.
  for (const n of nodes.values()) {
    if (n.kind === 'service') {
      const s = r.services[n.id] as ResultsJson['services'][string];
      const pods = Object.keys(s.pods ?? {}).length;
      const total = s.requests.total;
      n.errorRate = total ? s.requests.failed / total : 0;
      const incoming = edges.filter((g) => g.to === n).reduce((x, g) => x + g.rps, 0);
      n.lines = [
        `${pods} pod${pods === 1 ? '' : 's'} · ${num(incoming, 1)} rps in`,
        `p99 ${ms(s.latency_ms.p99)} · ${n.errorRate === 0 ? '0' : num(100 * n.errorRate, 2)}% err`,
      ];
    } else {
      const out = edges.filter((g) => g.from === n).reduce((x, g) => x + g.rps, 0);
      n.lines = ['workload (client)', `${num(out, 1)} rps out`];
    }
    const textW = Math.max(n.title.length * TITLE_PX, ...n.lines.map((l) => l.length * SMALL_PX));
    n.w = Math.max(160, Math.ceil(textW + 30));
  }

  // Order within layers: by name, then two barycentre passes (mean row of the callers).
  const depthMax = Math.max(0, ...[...nodes.values()].map((n) => n.depth));
  const layers: GraphNode[][] = Array.from({ length: depthMax + 1 }, () => []);
  for (const n of [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) (layers[n.depth] as GraphNode[]).push(n);
  const rowOf = new Map<GraphNode, number>();
  const setRows = () => layers.forEach((l) => l.forEach((n, i) => rowOf.set(n, i - (l.length - 1) / 2)));
  setRows();
  for (let pass = 0; pass < 2; pass++) {
    for (let d = 1; d < layers.length; d++) {
      const layer = layers[d] as GraphNode[];
      const bary = new Map<GraphNode, number>();
      for (const n of layer) {
        const preds = edges.filter((g) => g.to === n && g.from.depth < n.depth).map((g) => rowOf.get(g.from) as number);
        bary.set(n, preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : (rowOf.get(n) as number));
      }
      layer.sort((a, b) => (bary.get(a) as number) - (bary.get(b) as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      setRows();
    }
  }

  // Coordinates.
  const colW = layers.map((l) => Math.max(0, ...l.map((n) => n.w)));
  const maxRows = Math.max(1, ...layers.map((l) => l.length));
  const innerH = maxRows * NODE_H + (maxRows - 1) * ROW_GAP;
  let x = MARGIN;
  layers.forEach((l, d) => {
    const lh = l.length * NODE_H + (l.length - 1) * ROW_GAP;
    l.forEach((n, i) => {
      n.x = x + ((colW[d] as number) - n.w) / 2;
      n.y = MARGIN + 8 + (innerH - lh) / 2 + i * (NODE_H + ROW_GAP);
    });
    x += (colW[d] as number) + COL_GAP;
  });
  const hasBack = edges.some((g) => g.to.depth <= g.from.depth);
  const width = Math.ceil(x - COL_GAP + MARGIN);
  const height = Math.ceil(MARGIN + 8 + innerH + (hasBack ? 90 : 24) + 26);

  // Edges: ports spread along the node sides, cubic curves, a label at the middle of each.
  const maxRps = Math.max(1e-9, ...edges.map((g) => g.rps));
  const outs = new Map<GraphNode, GraphEdge[]>();
  const ins = new Map<GraphNode, GraphEdge[]>();
  for (const g of edges) {
    (outs.get(g.from) ?? outs.set(g.from, []).get(g.from))?.push(g);
    (ins.get(g.to) ?? ins.set(g.to, []).get(g.to))?.push(g);
  }
  const byY = (a: GraphEdge, b: GraphEdge, k: 'from' | 'to') => a[k].y - b[k].y || (a[k].id < b[k].id ? -1 : 1);
  for (const l of outs.values()) l.sort((a, b) => byY(a, b, 'to'));
  for (const l of ins.values()) l.sort((a, b) => byY(a, b, 'from'));
  const port = (list: GraphEdge[] | undefined, g: GraphEdge) => {
    const arr = list ?? [g];
    const i = arr.indexOf(g);
    return (i - (arr.length - 1) / 2) * Math.min(10, 36 / Math.max(1, arr.length - 1));
  };

  const f = (v: number) => (Math.round(v * 10) / 10).toString();
  const edgeSvg: string[] = [];
  const labelSvg: string[] = [];
  for (const g of edges) {
    const color = healthColor(g.errorRate, g.e.requests);
    const sw = 1.4 + 3.6 * (Math.log10(1 + g.rps) / Math.log10(1 + maxRps));
    const marker = color === OK ? 'ok' : color === WARN ? 'warn' : color === BAD ? 'bad' : 'idle';
    let d: string;
    let lx: number;
    let ly: number;
    if (g.from === g.to) {
      const n = g.from;
      const sx = n.x + n.w - 24;
      const sy = n.y + n.h;
      d = `M${f(sx)},${f(sy)} C${f(sx + 10)},${f(sy + 46)} ${f(sx - 60)},${f(sy + 46)} ${f(sx - 50)},${f(sy + 2)}`;
      lx = sx - 25;
      ly = sy + 44;
    } else if (g.to.depth > g.from.depth) {
      const sx = g.from.x + g.from.w;
      const sy = g.from.y + g.from.h / 2 + port(outs.get(g.from), g);
      const tx = g.to.x - 2;
      const ty = g.to.y + g.to.h / 2 + port(ins.get(g.to), g);
      const cx = (tx - sx) / 2;
      d = `M${f(sx)},${f(sy)} C${f(sx + cx)},${f(sy)} ${f(tx - cx)},${f(ty)} ${f(tx)},${f(ty)}`;
      lx = (sx + tx) / 2;
      ly = (sy + ty) / 2;
    } else {
      // Back or same-layer edge: a loop under the nodes.
      const sx = g.from.x + g.from.w / 2 + 12;
      const sy = g.from.y + g.from.h;
      const tx = g.to.x + g.to.w / 2 - 12;
      const ty = g.to.y + g.to.h + 2;
      const dip = Math.max(sy, ty) + 64;
      d = `M${f(sx)},${f(sy)} C${f(sx)},${f(dip)} ${f(tx)},${f(dip)} ${f(tx)},${f(ty)}`;
      lx = (sx + tx) / 2;
      ly = (sy + ty) / 8 + (6 * dip) / 8;
    }
    const idle = g.e.requests === 0;
    edgeSvg.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="${f(sw)}" stroke-opacity="0.85"${idle ? ' stroke-dasharray="4 4"' : ''} marker-end="url(#sg-arrow-${marker})"><title>${esc(`${g.e.source} → ${g.e.destination}`)}</title></path>`,
    );
    const lines = [
      `${num(g.rps, g.rps < 10 ? 2 : 1)} rps`,
      `${g.errorRate === 0 ? '0' : num(100 * g.errorRate, 2)}% err`,
      `p99 ${ms(g.e.latency_ms.p99)}`,
    ];
    const lock = g.e.mtls ? 13 : 0;
    const lw = Math.ceil(Math.max(...lines.map((l) => l.length)) * SMALL_PX + lock + 16);
    const bx = lx - lw / 2;
    const by = ly - 26;
    labelSvg.push(
      `<g class="edge-label"><rect x="${f(bx)}" y="${f(by)}" width="${lw}" height="52" rx="7" fill="white" stroke="${color}" stroke-opacity="0.5"/>` +
        (g.e.mtls ? lockIcon(lx - ((lines[0] as string).length * SMALL_PX) / 2 - lock / 2 - 3, by + 6) : '') +
        lines
          .map(
            (l, i) =>
              `<text x="${f(lx + (i === 0 ? lock / 2 : 0))}" y="${f(by + 15 + i * 14.5)}" text-anchor="middle" font-size="12" fill="${i === 0 ? INK : MUTED}"${i === 0 ? ' font-weight="600"' : ''}>${esc(l)}</text>`,
          )
          .join('') +
        '</g>',
    );
  }

  const nodeSvg = [...nodes.values()].map((n) => {
    const color = n.kind === 'service' ? healthColor(n.errorRate, r.services[n.id]?.requests.total ?? 0) : '#64748b';
    const glyph =
      n.kind === 'service'
        ? `<path d="M${f(n.x + 17)},${f(n.y + 14)} l7.5,13 h-15 z" fill="${color}"/>`
        : `<circle cx="${f(n.x + 17)}" cy="${f(n.y + 21)}" r="6.5" fill="#64748b"/>`;
    return (
      `<g class="node node-${n.kind}"><rect x="${f(n.x)}" y="${f(n.y)}" width="${n.w}" height="${n.h}" rx="9" fill="white" stroke="${color}" stroke-width="1.6"/>` +
      glyph +
      `<text x="${f(n.x + 32)}" y="${f(n.y + 26)}" font-size="15" font-weight="600" fill="${INK}">${esc(n.title)}</text>` +
      n.lines
        .map((l, i) => `<text x="${f(n.x + 12)}" y="${f(n.y + 46 + i * 15)}" font-size="12" fill="${MUTED}">${esc(l)}</text>`)
        .join('') +
      `<title>${esc(`${n.kind === 'service' ? 'service' : 'workload'} ${n.id}`)}</title></g>`
    );
  });

  const legendY = height - 14;
  const legend =
    [
      ['healthy (<0.1% errors)', OK],
      ['degraded (<5%)', WARN],
      ['failing (≥5%)', BAD],
      ['no traffic', '#9ca3af'],
    ]
      .map(
        ([label, c], i) =>
          `<g transform="translate(${MARGIN + i * 180},${legendY})"><line x1="0" y1="-4" x2="22" y2="-4" stroke="${c}" stroke-width="3"/><text x="28" y="0" font-size="12" fill="${MUTED}">${esc(label)}</text></g>`,
      )
      .join('') +
    `<g transform="translate(${MARGIN + 4 * 180},${legendY})">${lockIcon(0, -10)}<text x="16" y="0" font-size="12" fill="${MUTED}">mTLS on every call</text></g>`;

  const arrow = (id: string, c: string) =>
    `<marker id="sg-arrow-${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="service-graph" width="${Math.max(width, 5 * 180 + 2 * MARGIN)}" height="${height}" viewBox="0 0 ${Math.max(width, 5 * 180 + 2 * MARGIN)} ${height}" font-family="${esc(FONT)}" role="img" aria-label="Service graph">` +
    `<defs>${arrow('ok', OK)}${arrow('warn', WARN)}${arrow('bad', BAD)}${arrow('idle', '#9ca3af')}</defs>` +
    `<g class="edges">${edgeSvg.join('')}</g><g class="nodes">${nodeSvg.join('')}</g><g class="labels">${labelSvg.join('')}</g><g class="legend">${legend}</g></svg>`
  );
}

function lockIcon(x: number, y: number): string {
  const f = (v: number) => (Math.round(v * 10) / 10).toString();
  return `<g transform="translate(${f(x)},${f(y)})"><path d="M2.5,4 V2.8 a2.5,2.5 0 0 1 5,0 V4" fill="none" stroke="#0f766e" stroke-width="1.3"/><rect x="1" y="4" width="8" height="6" rx="1.2" fill="#0f766e"/></g>`;
}
