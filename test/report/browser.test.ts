/**
 * report.html and comparison.html in a real browser (headless Chromium via playwright-core), from
 * disk, with every network request blocked: the charts are there, nothing tries to load, nothing
 * logs an error, hostile text runs no script, the page fits its width. Screenshots go to
 * test-artifacts/. Skipped when /usr/bin/chromium is missing (CI installs Debian's chromium).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComparisonHtml } from '../../src/report/html/comparison.js';
import { buildReportHtml } from '../../src/report/html/report.js';
import { comparedRuns, HOSTILE_SHOP, hostileResults, observedRun, scenarioFromYaml, SHOP } from './observed-run.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(`${CHROMIUM} not found: skipping the browser tests (apt-get install chromium to run them; CI installs it)`);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

interface Visit {
  svgs: number;
  texts: number;
  blocked: string[];
  errors: string[];
  dialogs: string[];
  overflow: number;
  title: string;
}

let browser: Browser | undefined;
const files: Record<string, string> = {};

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const run = observedRun(scenarioFromYaml(SHOP), { durationUs: 20e6 });
  const cmp = comparedRuns(scenarioFromYaml(SHOP), ['none', 'sidecar', 'ambient'], 10e6);
  const hostile = observedRun(scenarioFromYaml(HOSTILE_SHOP), { durationUs: 5e6 });
  const pages: Record<string, string> = {
    'report.html': run.files['report.html'],
    'comparison.html': buildComparisonHtml(cmp),
    'hostile-report.html': buildReportHtml({
      results: hostileResults(hostile.results),
      series: hostile.obs.series.toJson(),
      scenario: hostile.scenario,
      events: [{ t_s: 3, type: 'outlier_eject', pod: '<img src=x onerror=alert(9)>', service: 'reviews' }],
    }),
  };
  for (const [name, html] of Object.entries(pages)) {
    files[name] = join(ARTIFACTS, name);
    writeFileSync(files[name], html);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function visit(name: string): Promise<Visit> {
  const b = browser as Browser;
  const context = await b.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const url = pathToFileURL(files[name]!).href;
  const v: Visit = { svgs: 0, texts: 0, blocked: [], errors: [], dialogs: [], overflow: 0, title: '' };
  await page.route('**/*', async (route) => {
    if (route.request().url() === url) return route.continue();
    v.blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') v.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => v.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => {
    v.dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  v.svgs = await page.locator('svg').count();
  v.texts = await page.locator('svg text').count();
  v.title = await page.title();
  v.overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(ARTIFACTS, name.replace('.html', '.png')), fullPage: true });
  await context.close();
  return v;
}

describe.skipIf(!HAVE_CHROMIUM)('in headless Chromium, offline', () => {
  it('report.html shows every chart as SVG, requests nothing, logs no error, fits the page', async () => {
    const v = await visit('report.html');
    expect(v.blocked).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.svgs).toBeGreaterThanOrEqual(7);
    expect(v.texts).toBeGreaterThan(100);
    expect(v.overflow).toBeLessThanOrEqual(0);
    expect(v.title).toBe('shop · sidecar — meshsim report');
  });

  it('comparison.html shows the per-mode charts, requests nothing, logs no error', async () => {
    const v = await visit('comparison.html');
    expect(v.blocked).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.svgs).toBeGreaterThanOrEqual(4);
    expect(v.overflow).toBeLessThanOrEqual(0);
  });

  it('runs no script from hostile scenario text', async () => {
    const v = await visit('hostile-report.html');
    expect(v.dialogs).toEqual([]);
    expect(v.blocked).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.svgs).toBeGreaterThanOrEqual(7);
  });
});
