/**
 * Vega-Lite specs → static SVG strings, in Node, with no canvas and no network.
 *
 * Text is measured with Vega's fixed estimate (0.8 × font size per character) whether or not the
 * optional `canvas` package is installed, so the SVG is the same on every machine.
 *
 * `renderSvg` is synchronous so the CLI commands (synchronous today) can write report.html: with
 * inline data and no async transforms, `view.run()` builds the whole scene graph before it
 * returns, and the SVG string renderer then draws it exactly as `view.toSVG()` does (a test checks
 * the two agree byte for byte). `renderSvgAsync` is the public-API route, for callers that await.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface TextMetrics {
  width: (item: unknown, text: unknown) => number;
  estimateWidth: (item: unknown, text: unknown) => number;
}
interface Renderer {
  initialize(el: null, w: number, h: number, origin: [number, number], scale: number): Renderer;
  background(c: unknown): Renderer;
  render(scene: unknown): Renderer;
  svg(): string;
}
interface VegaInternals {
  textMetrics: TextMetrics;
  SVGStringRenderer: new (loader: unknown) => Renderer;
}
interface ViewInternals {
  _viewWidth: number;
  _viewHeight: number;
  _pulse: unknown;
  _pending: unknown;
  _touched: { length: number };
  _postrun: unknown[];
}

const internals = vega as unknown as VegaInternals;
internals.textMetrics.width = internals.textMetrics.estimateWidth;

/** Makes a new document's SVG def ids (clip paths, gradients) start again from 1. */
export function beginDocument(): void {
  vega.resetSVGDefIds();
}

function view(spec: TopLevelSpec): vega.View {
  const compiled = compile(spec).spec;
  return new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
}

export function renderSvg(spec: TopLevelSpec): string {
  const v = view(spec);
  v.run();
  const vi = v as unknown as ViewInternals;
  if (vi._pulse || vi._pending || vi._touched.length || vi._postrun.length || typeof vi._viewWidth !== 'number') {
    v.finalize();
    throw new Error('chart needs asynchronous evaluation; use renderSvgAsync');
  }
  const p = v.padding();
  const pad =
    typeof p === 'number'
      ? { left: p, right: p, top: p, bottom: p }
      : { left: p.left ?? 0, right: p.right ?? 0, top: p.top ?? 0, bottom: p.bottom ?? 0 };
  const origin = v.origin();
  const r = new internals.SVGStringRenderer(v.loader())
    .initialize(
      null,
      Math.max(0, vi._viewWidth + pad.left + pad.right),
      Math.max(0, vi._viewHeight + pad.top + pad.bottom),
      [pad.left + origin[0], pad.top + origin[1]],
      1,
    )
    .background(v.background());
  const svg = r.render((v.scenegraph() as unknown as { root: unknown }).root).svg();
  v.finalize();
  return svg;
}

export async function renderSvgAsync(spec: TopLevelSpec): Promise<string> {
  const v = view(spec);
  const svg = await v.toSVG();
  v.finalize();
  return svg;
}
