/**
 * report.html and comparison.html: self-contained (no scripts, no external resources), the same
 * bytes for the same run, every piece of user text escaped (hostile description, paths, header
 * values, names), and the synchronous SVG rendering identical to Vega's own `toSVG()`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildComparisonHtml } from '../../src/report/html/comparison.js';
import {
  compareLatency,
  compareOverhead,
  compareResources,
  edgeTraffic,
  ejectionTimeline,
  latencyOverTime,
  podIntervals,
  requestsByCode,
  resourceBars,
} from '../../src/report/html/charts.js';
import { beginDocument, renderSvg, renderSvgAsync } from '../../src/report/html/render.js';
import { buildReportHtml } from '../../src/report/html/report.js';
import type { TimelineEvent } from '../../src/record/timeline.js';
import {
  comparedRuns,
  HOSTILE,
  HOSTILE_SHOP,
  hostileResults,
  observedRun,
  scenarioFromYaml,
  SHOP,
  type ObservedRun,
} from './observed-run.js';

const hostileEvents: TimelineEvent[] = [
  { t_s: 3, type: 'outlier_eject', service: 'reviews', pod: `reviews-v2-0${HOSTILE[0]}`, action: 'eject', ejection_type: HOSTILE[1] },
  { t_s: 9, type: 'outlier_uneject', service: 'reviews', pod: `reviews-v2-0${HOSTILE[0]}`, action: 'uneject' },
  { t_s: 4, type: 'fault_start', fault: HOSTILE[2], pods: `inventory-v1-1${HOSTILE[4]}` },
];

const TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'main',
  'header',
  'footer',
  'section',
  'figure',
  'p',
  'h1',
  'h2',
  'h3',
  'ul',
  'li',
  'b',
  'div',
  'span',
  'code',
  'pre',
  'br',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'svg',
  'g',
  'path',
  'rect',
  'text',
  'tspan',
  'line',
  'circle',
  'defs',
  'marker',
  'clipPath',
]);

/**
 * Every `<` in the page opens a known tag whose attributes are all quoted and none is an event
 * handler; whatever is left once the tags are taken out holds no `<` at all.
 */
function expectOnlyKnownMarkup(html: string): void {
  const open = /<([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*"|='[^']*')?)*)\s*\/?>/g;
  let rest = html.replace(/^<!DOCTYPE html>/, '').replace(/<\/([a-zA-Z][\w:-]*)\s*>/g, (_m, tag: string) => {
    expect(TAGS.has(tag), `closing tag ${tag}`).toBe(true);
    return '';
  });
  rest = rest.replace(open, (_m, tag: string, attrs: string) => {
    expect(TAGS.has(tag), `tag ${tag}`).toBe(true);
    for (const a of attrs.matchAll(/\s([\w:-]+)(?:=(?:"[^"]*"|'[^']*'))?/g))
      expect(a[1]!.toLowerCase().startsWith('on'), `attribute ${a[1]} on <${tag}>`).toBe(false);
    return '';
  });
  expect(rest.includes('<'), rest.slice(Math.max(0, rest.indexOf('<') - 80), rest.indexOf('<') + 80)).toBe(false);
}

function expectNoRawHostileText(html: string): void {
  for (const h of HOSTILE.slice(0, 5)) expect(html, h).not.toContain(h);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect((html.match(/<\/style>/g) ?? []).length).toBe(1);
  expect((html.match(/<svg\b/g) ?? []).length).toBeGreaterThan(0);
  expectOnlyKnownMarkup(html);
}

function expectSelfContained(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).toContain(
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
  );
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\s(src|href|xlink:href)\s*=\s*["'](?!#)/i);
  expect(html).not.toMatch(/url\((?!#)/i);
  expect(html).not.toMatch(/@import/i);
  expect(html).not.toMatch(/<(link|iframe|object|embed)\b/i);
}

let run: ObservedRun;
let compared: ReturnType<typeof comparedRuns>;

beforeAll(() => {
  run = observedRun(scenarioFromYaml(SHOP), { durationUs: 20e6 });
  compared = comparedRuns(scenarioFromYaml(SHOP), ['none', 'sidecar', 'ambient'], 10e6);
});

describe('report.html', () => {
  it('is one self-contained file with a summary, cards, and every chart as inline SVG', () => {
    const html = run.files['report.html'];
    expectSelfContained(html);
    expect(html).toContain('A small shop for the report tests.');
    for (const id of ['graph', 'latency', 'requests', 'edges', 'ejections', 'resources', 'services', 'scenario', 'files'])
      expect(html).toContain(`<section id="${id}">`);
    expect((html.match(/<svg\b/g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect((html.match(/What to look at:/g) ?? []).length).toBeGreaterThanOrEqual(8);
    expect(html).toContain('promtool tsdb create-blocks-from openmetrics metrics.om');
  });

  it('is byte-identical for the same run (no timestamps, fixed text metrics, def ids per document)', () => {
    const again = observedRun(scenarioFromYaml(SHOP), { durationUs: 20e6 });
    expect(again.files['report.html']).toBe(run.files['report.html']);
  });

  it('shows faults and crashes per pod, and explains an empty ejection timeline', () => {
    expect(run.files['report.html']).toContain('fault injected');
    const { intervals } = podIntervals(run.state.timeline.events, 20);
    expect(intervals.map((i) => `${i.pod}:${i.kind}:${i.from}-${i.to}`)).toEqual([
      'inventory-v1-1:crashed:16-20',
      'reviews-v2-0:fault injected:8-14',
    ]);
    const html = buildReportHtml({ results: run.results, series: run.obs.series.toJson(), events: [] });
    expect(html).toContain('Nothing happened to any pod in this run');
    expect(html).toContain('No outlier ejections, faults or crashes in this run');
  });

  it('draws requests per pod (a crashed pod drops to zero) and latency of successful requests apart from fast failures', () => {
    const html = run.files['report.html'];
    expect(html).toContain('<section id="pods">');
    expect(html).toContain('Requests per pod over time');
    const series = run.obs.series.toJson();
    const crashed = series.pods?.find((p) => p.pod === 'inventory-v1-1');
    expect(crashed).toBeDefined();
    // The pod crashes at 16 s: windows after that (and before the run ends at 20 s) see no call answered.
    const after = series.windows.map((w, i) => ({ w, rps: crashed?.rps[i] ?? 0 })).filter(({ w }) => w.t_s >= 16.5);
    expect(after.length).toBeGreaterThan(0);
    for (const { rps } of after) expect(rps).toBe(0);
    expect(html).toContain('Latency of successful requests');
    for (const w of series.windows) if (w.ok_latency_ms && w.latency_ms) expect(w.ok_latency_ms.p50).toBeGreaterThan(0);
  });

  it('turns outlier events into ejection intervals, numbered per pod, open ones running to the end', () => {
    const { intervals, marks } = podIntervals(
      [
        { t_s: 2, type: 'outlier_eject', pod: 'a' },
        { t_s: 5, type: 'outlier_uneject', pod: 'a' },
        { t_s: 7, type: 'CONSECUTIVE_5XX', action: 'eject', pod: 'b', service: 's' },
      ],
      10,
    );
    expect(intervals).toEqual([
      { pod: 'a', kind: 'ejected by outlier detection', from: 2, to: 5, detail: '', n: 1 },
      { pod: 'b', kind: 'ejected by outlier detection', from: 7, to: 10, detail: 'CONSECUTIVE_5XX', n: 1, open: true },
    ]);
    expect(marks).toHaveLength(3);
  });

  it('has a markup check that catches injected tags and handlers', () => {
    expect(() => expectOnlyKnownMarkup('<p><img src=x onerror=alert(1)></p>')).toThrow();
    expect(() => expectOnlyKnownMarkup('<p onclick="x">a</p>')).toThrow();
    expect(() => expectOnlyKnownMarkup('<p title="a &lt;b&gt; onload=x">a</p>')).not.toThrow();
  });

  it('escapes every piece of user text: description, paths, header values, names, events', () => {
    const hostile = observedRun(scenarioFromYaml(HOSTILE_SHOP), { durationUs: 5e6 });
    const html = hostile.files['report.html'];
    expectNoRawHostileText(html);
    expectSelfContained(html);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&amp;lt;b&amp;gt;not bold');
    // Names and events come from results and the timeline: a report builder must not trust them either.
    const worse = buildReportHtml({
      results: hostileResults(hostile.results),
      series: hostile.obs.series.toJson(),
      events: hostileEvents,
      scenario: hostile.scenario,
    });
    expectNoRawHostileText(worse);
    expectSelfContained(worse);
    const cmp = buildComparisonHtml({
      modes: { none: hostileResults(hostile.results), [`x${HOSTILE[0]}`]: hostileResults(hostile.results) },
    });
    expectNoRawHostileText(cmp);
    expectSelfContained(cmp);
  });
});

describe('comparison.html', () => {
  it('is self-contained, deterministic, with latency, resources and overhead charts per mode', () => {
    const html = buildComparisonHtml(compared);
    expectSelfContained(html);
    expect(buildComparisonHtml(compared)).toBe(html);
    for (const id of ['table', 'latency', 'latency-time', 'resources', 'overhead']) expect(html).toContain(`<section id="${id}">`);
    expect((html.match(/<svg\b/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).toContain('none vs sidecar vs ambient');
    const withoutNone = buildComparisonHtml({
      modes: { sidecar: compared.modes.sidecar!, ambient: compared.modes.ambient! },
    });
    expect(withoutNone).toContain('Mode none is not among the compared modes');
  });
});

describe('SVG rendering', () => {
  it('draws every chart synchronously exactly as vega.View.toSVG() does', async () => {
    const ts = run.obs.series.toJson();
    const specs = [
      latencyOverTime(ts),
      requestsByCode(ts),
      edgeTraffic(ts),
      resourceBars(run.results),
      ejectionTimeline(hostileEvents, ['a'], ts),
      ejectionTimeline([], ['a', 'b'], ts),
      compareLatency(compared.modes),
      compareResources(compared.modes),
      compareOverhead(compared.modes) as NonNullable<ReturnType<typeof compareOverhead>>,
    ];
    for (const spec of specs) {
      beginDocument();
      const sync = renderSvg(spec);
      expect(sync.startsWith('<svg')).toBe(true);
      beginDocument();
      expect(await renderSvgAsync(spec)).toBe(sync);
    }
  });
});

describe('the files section', () => {
  it('says what every output file holds, access.log included', () => {
    const run = observedRun(scenarioFromYaml(SHOP), { durationUs: 3e6 });
    const html = buildReportHtml({
      results: run.results,
      series: run.obs.series.toJson(),
      events: [],
      files: ['results.json', 'events.jsonl', 'metrics.prom', 'metrics.om', 'traces.json', 'access.log', 'report.html'],
    });
    const items = [...html.matchAll(/<li><code>([^<]+)<\/code> — ([^<]*)<\/li>/g)].map((m) => [m[1], m[2]]);
    expect(items).toHaveLength(7);
    for (const [file, text] of items) expect(text, file).not.toBe('');
    expect(Object.fromEntries(items)['access.log']).toMatch(/Istio&#39;s default TEXT format/);
  });
});
