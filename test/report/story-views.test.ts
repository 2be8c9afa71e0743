/**
 * The teaching views, in a real browser: each shipped scenario that tells a story is run through
 * the CLI (report only), its report.html opened in headless Chromium with the network blocked, and
 * the chart that tells the story found by its section title, drawn as SVG. Screenshots go to
 * test-artifacts/views/ for a person to look at. Skipped when /usr/bin/chromium is missing (CI
 * installs Debian's chromium).
 *
 * A new view: add its scenario and section title to VIEWS.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MODE_COLORS } from '../../src/report/html/theme.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'views');

/** Scenario (under scenarios/), extra CLI flags, and the section titles its report must draw. */
const VIEWS: { scenario: string; flags?: string[]; titles: string[] }[] = [
  { scenario: 'retry-storm-depth.yaml', titles: ['Retry amplification', 'Requests per pod over time'] },
  { scenario: 'outlier-ejection.yaml', titles: ['Requests per pod over time', 'Outlier ejections, faults and crashes per pod'] },
  { scenario: 'circuit-breaking.yaml', titles: ['Latency of successful requests', 'Connection pools vs DestinationRule limits'] },
  { scenario: 'locality-failover.yaml', titles: ['Cross-zone share'] },
  { scenario: 'hpa-ramp.yaml', titles: ['Replicas over time (HPA)', 'Nodes over time (cluster autoscaler)'] },
  { scenario: 'broken-trace.yaml', titles: ['Sampled traces'] },
  { scenario: 'canary-rollback.yaml', titles: ['Canary weight vs error rate'] },
];

let browser: Browser | undefined;
let tmp = '';

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'meshsim-views-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM)('story views in headless Chromium, offline', () => {
  for (const view of VIEWS) {
    it(`${view.scenario}: ${view.titles.join(', ')}`, async () => {
      const out = join(tmp, view.scenario.replace('.yaml', ''));
      const code = await main([
        'node',
        'meshsim',
        'run',
        join(ROOT, 'scenarios', view.scenario),
        '--out',
        out,
        '--outputs',
        'report',
        '--quiet',
        ...(view.flags ?? []),
      ]);
      expect(code).toBe(0);
      const context = await (browser as Browser).newContext({ viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      const url = pathToFileURL(join(out, 'report.html')).href;
      const blocked: string[] = [];
      const errors: string[] = [];
      await page.route('**/*', async (route) => {
        if (route.request().url() === url) return route.continue();
        blocked.push(route.request().url());
        return route.abort('blockedbyclient');
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      for (const title of view.titles) {
        const section = page.locator('section', { has: page.locator('h2', { hasText: title }) });
        expect(await section.count(), `section "${title}"`).toBeGreaterThanOrEqual(1);
        expect(await section.first().locator('svg').count(), `a chart in "${title}"`).toBeGreaterThanOrEqual(1);
        await section
          .first()
          .screenshot({ path: join(ARTIFACTS, `${view.scenario.replace('.yaml', '')}--${title.replace(/[^A-Za-z0-9]+/g, '-')}.png`) });
      }
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    }, 120_000);
  }

  it('sweep.html: both charts side by side in the report theme, modes in their registry colours', async () => {
    const out = join(tmp, 'sweep');
    const flags = ['--set', 'spec.workload[0].rate=100,200', '--set', 'spec.mesh.mode=none,sidecar', '--duration', '8s', '--workers', '1'];
    const code = await main(['node', 'meshsim', 'sweep', join(ROOT, 'scenarios', 'three-tier.yaml'), '--out', out, '--quiet', ...flags]);
    expect(code).toBe(0);
    const context = await (browser as Browser).newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(out, 'sweep.html')).href, { waitUntil: 'load' });
    const section = page.locator('section', { has: page.locator('h2', { hasText: 'Along the first axis' }) });
    expect(await section.locator('svg').count()).toBe(1);
    // The sidecar line is drawn in the sidecar colour of every other page.
    expect(await section.locator(`svg [stroke="${MODE_COLORS.sidecar}"]`).count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'sweep.png'), fullPage: true });
    await context.close();
  }, 120_000);
});
