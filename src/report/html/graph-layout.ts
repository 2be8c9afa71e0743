/**
 * Layout of the service graph, as pure data: workload clients and services as boxes layered left to
 * right by call depth, and each source→destination edge as one cubic curve with a label point.
 * Deterministic: layers by longest call path from the clients, order within a layer by name and
 * then two barycentre passes; text widths come from fixed per-character estimates, never from
 * fonts. service-graph.ts draws it.
 */
import type { EdgeJson, ResultsJson } from '../results.js';
import { ms, num } from './escape.js';

export interface GraphNode {
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

export interface Point {
  x: number;
  y: number;
}

export interface GraphEdge {
  e: EdgeJson;
  from: GraphNode;
  to: GraphNode;
  rps: number;
  errorRate: number;
  /** The curve: start, two control points, end. */
  curve: [Point, Point, Point, Point];
  /** Centre of the edge's label. */
  label: Point;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export const MARGIN = 24;
/** Estimated width of one character of 12px text (edge labels and node lines). */
export const SMALL_PX = 6.9;
const NODE_H = 72;
const COL_GAP = 150;
const ROW_GAP = 44;
const TITLE_PX = 9;

/** Measured window of a run (s): requests counted in results.json started after the warmup. */
export const measuredSeconds = (r: ResultsJson): number => Math.max(1e-9, r.simulated.duration_s - (r.simulated.warmup_s ?? 0));

const failedCount = (byCode: Record<string, number>) =>
  Object.entries(byCode).reduce((n, [c, k]) => (Number(c) >= 400 || Number(c) < 100 ? n + k : n), 0);

const ORIGIN: Point = { x: 0, y: 0 };

const byId = (a: GraphNode, b: GraphNode) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function layoutServiceGraph(r: ResultsJson): GraphLayout {
  const window = measuredSeconds(r);
  const nodes = graphNodes(r);
  const edges = r.edges.map((e) => {
    const failed = failedCount(e.by_code);
    return {
      e,
      from: nodes.get(e.source) as GraphNode,
      to: nodes.get(e.destination) as GraphNode,
      rps: e.requests / window,
      errorRate: e.requests ? failed / e.requests : 0,
      curve: [ORIGIN, ORIGIN, ORIGIN, ORIGIN] as GraphEdge['curve'],
      label: ORIGIN,
    };
  });
  assignDepths(nodes, edges);
  for (const n of nodes.values()) describeNode(n, r, edges);
  const layers = orderLayers(nodes, edges);
  const { width, height } = placeNodes(layers, edges);
  routeEdges(edges);
  return { nodes: [...nodes.values()], edges, width, height };
}

/** Every edge end and every service is a node; a node that is not a service is a workload (client). */
function graphNodes(r: ResultsJson): Map<string, GraphNode> {
  const services = Object.keys(r.services);
  const serviceSet = new Set(services);
  const ids = [...new Set([...r.edges.map((e) => e.source), ...r.edges.map((e) => e.destination), ...services])];
  const nodes = new Map<string, GraphNode>();
  for (const id of ids) {
    const kind = serviceSet.has(id) ? 'service' : 'workload';
    nodes.set(id, { id, kind, title: id, lines: [], depth: kind === 'workload' ? 0 : 1, x: 0, y: 0, w: 0, h: NODE_H, errorRate: 0 });
  }
  return nodes;
}

/** Layers: longest path from the clients, relaxed at most |V| times so cycles cannot loop forever. */
function assignDepths(nodes: Map<string, GraphNode>, edges: readonly GraphEdge[]): void {
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
}

/** The node's text (pods, traffic, p99, errors) and the width it needs. */
function describeNode(n: GraphNode, r: ResultsJson, edges: readonly GraphEdge[]): void {
  if (n.kind === 'service') {
    const s = r.services[n.id]!;
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

/** Order within layers: by name, then two barycentre passes (mean row of the callers). */
function orderLayers(nodes: Map<string, GraphNode>, edges: readonly GraphEdge[]): GraphNode[][] {
  const depthMax = Math.max(0, ...[...nodes.values()].map((n) => n.depth));
  const layers: GraphNode[][] = Array.from({ length: depthMax + 1 }, () => []);
  for (const n of [...nodes.values()].sort(byId)) layers[n.depth]!.push(n);
  const rowOf = new Map<GraphNode, number>();
  const setRows = () => layers.forEach((l) => l.forEach((n, i) => rowOf.set(n, i - (l.length - 1) / 2)));
  setRows();
  for (let pass = 0; pass < 2; pass++) {
    for (let d = 1; d < layers.length; d++) {
      const layer = layers[d]!;
      const bary = new Map<GraphNode, number>();
      for (const n of layer) {
        const preds = edges.filter((g) => g.to === n && g.from.depth < n.depth).map((g) => rowOf.get(g.from) as number);
        bary.set(n, preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : (rowOf.get(n) as number));
      }
      layer.sort((a, b) => (bary.get(a) as number) - (bary.get(b) as number) || byId(a, b));
      setRows();
    }
  }
  return layers;
}

/** Coordinates: columns as wide as their widest node, each layer centred vertically; the canvas size. */
function placeNodes(layers: readonly GraphNode[][], edges: readonly GraphEdge[]): { width: number; height: number } {
  const colW = layers.map((l) => Math.max(0, ...l.map((n) => n.w)));
  const maxRows = Math.max(1, ...layers.map((l) => l.length));
  const innerH = maxRows * NODE_H + (maxRows - 1) * ROW_GAP;
  let x = MARGIN;
  layers.forEach((l, d) => {
    const lh = l.length * NODE_H + (l.length - 1) * ROW_GAP;
    l.forEach((n, i) => {
      n.x = x + (colW[d]! - n.w) / 2;
      n.y = MARGIN + 8 + (innerH - lh) / 2 + i * (NODE_H + ROW_GAP);
    });
    x += colW[d]! + COL_GAP;
  });
  // Room under the nodes for back edges' loops, and for the legend.
  const hasBack = edges.some((g) => g.to.depth <= g.from.depth);
  return { width: Math.ceil(x - COL_GAP + MARGIN), height: Math.ceil(MARGIN + 8 + innerH + (hasBack ? 90 : 24) + 26) };
}

/**
 * Edge curves: forward edges leave the caller's right side and enter the callee's left side at
 * ports spread along the sides; self-calls loop under the node; back or same-layer edges loop under
 * both nodes. Each label sits at the curve's middle.
 */
function routeEdges(edges: readonly GraphEdge[]): void {
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
  for (const g of edges) {
    if (g.from === g.to) {
      const n = g.from;
      const sx = n.x + n.w - 24;
      const sy = n.y + n.h;
      g.curve = [pt(sx, sy), pt(sx + 10, sy + 46), pt(sx - 60, sy + 46), pt(sx - 50, sy + 2)];
      g.label = pt(sx - 25, sy + 44);
    } else if (g.to.depth > g.from.depth) {
      const sx = g.from.x + g.from.w;
      const sy = g.from.y + g.from.h / 2 + port(outs.get(g.from), g);
      const tx = g.to.x - 2;
      const ty = g.to.y + g.to.h / 2 + port(ins.get(g.to), g);
      const cx = (tx - sx) / 2;
      g.curve = [pt(sx, sy), pt(sx + cx, sy), pt(tx - cx, ty), pt(tx, ty)];
      g.label = pt((sx + tx) / 2, (sy + ty) / 2);
    } else {
      const sx = g.from.x + g.from.w / 2 + 12;
      const sy = g.from.y + g.from.h;
      const tx = g.to.x + g.to.w / 2 - 12;
      const ty = g.to.y + g.to.h + 2;
      const dip = Math.max(sy, ty) + 64;
      g.curve = [pt(sx, sy), pt(sx, dip), pt(tx, dip), pt(tx, ty)];
      g.label = pt((sx + tx) / 2, (sy + ty) / 8 + (6 * dip) / 8);
    }
  }
}

const pt = (x: number, y: number): Point => ({ x, y });
