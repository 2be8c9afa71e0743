/**
 * Vega and Vega-Lite, loaded before any chart is drawn. render.ts imports them statically, which
 * the compiled modules serve as they are; the command line's bundle is CommonJS (for V8's code
 * cache, cli/launch.ts), where a static import becomes require(), and Vega (an ES module with
 * top-level await) cannot be required. So the bundle resolves render.ts's `vega` and `vega-lite`
 * to what this put on globalThis (scripts/bundle.mjs), and every command that draws charts awaits
 * this first.
 */
const CHART_LIBRARIES = Symbol.for('meshsim.chartLibraries');

/**
 * Set by cli/launch.ts: import() from an ES module. Code that vm.Script compiled from V8's code
 * cache has no import() of its own in Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
 */
const IMPORT_MODULE = Symbol.for('meshsim.importModule');

type Importer = (specifier: string) => Promise<unknown>;

export async function loadChartLibraries(): Promise<void> {
  const g = globalThis as { [CHART_LIBRARIES]?: Record<string, unknown>; [IMPORT_MODULE]?: Importer };
  if (g[CHART_LIBRARIES]) return;
  const [vega, vegaLite] = g[IMPORT_MODULE]
    ? await Promise.all([g[IMPORT_MODULE]('vega'), g[IMPORT_MODULE]('vega-lite')])
    : await Promise.all([import('vega'), import('vega-lite')]);
  g[CHART_LIBRARIES] = { vega, 'vega-lite': vegaLite };
}
