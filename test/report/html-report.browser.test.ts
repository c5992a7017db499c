import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_INSTALL, CHROMIUM_PATH, chromiumLane } from '../support/system-components.ts';
import { fixtureReport } from './report-fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'reports', 'report-browser-test.png');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const lane = chromiumLane();

if (lane.skip) describe.skip(`HTML report in chromium: ${lane.skip}`, () => it('opens the report in a real browser', () => undefined));
else
  describe('the HTML report in a real browser (chromium through playwright-core)', () => {
    let dir: string;
    let context: BrowserContext;
    let page: Page;
    const problems: string[] = [];
    const requests: string[] = [];

    beforeAll(async () => {
      if (lane.missing) throw new Error(`chromium is missing (${CHROMIUM_PATH}); install: ${CHROMIUM_INSTALL}`);
      dir = mkdtempSync(join(tmpdir(), 'cardlab-browser-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, (await fixtureReport()).html);
      context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM_PATH, args: ARGS, headless: true, viewport: { width: 1200, height: 900 } });
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      await page.goto(pathToFileURL(file).href);
    }, 30_000);

    afterAll(async () => {
      await context?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads without console errors and fetches nothing', () => {
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    });

    it('draws one lane per party and the S-steps in order', async () => {
      const faulted = page.locator('section.scenario[data-faulted]');
      await expect(faulted.locator('svg.seq').isVisible()).resolves.toBe(true);
      expect(await faulted.locator('svg.seq [data-lane]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-lane')))).toEqual(['card', 'terminal', 'issuer', 'provider']);
      const markers = await faulted.locator('svg.seq [data-s-marker]').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-s-marker'), g.getBoundingClientRect().top] as const));
      expect(markers.map(([s]) => s)).toEqual(Array.from({ length: 16 }, (_, i) => `S${i + 1}`));
      const tops = markers.map(([, top]) => top);
      expect([...tops].sort((a, b) => a - b)).toEqual(tops);
      expect(await faulted.locator('svg.seq [data-fault]').count()).toBeGreaterThan(0);
    });

    it('shows the failing step expanded with its status word meaning', async () => {
      const step = page.locator('section.scenario.failed li.step.failed');
      await expect(step.locator('details').getAttribute('open')).resolves.toBe('');
      const meaning = step.locator('.sw-meaning');
      expect(await meaning.isVisible()).toBe(true);
      expect(await meaning.textContent()).toBe('6A88 REFERENCED_DATA_NOT_FOUND: referenced data not found');
      expect(await step.locator('th', { hasText: 'expected' }).isVisible()).toBe(true);
    });

    it('filters the trace by party, command name and status word; shows the plain beside the wrapped bytes', async () => {
      const viewer = page.locator('section.scenario[data-faulted] .trace-viewer');
      const rows = viewer.locator('tbody tr');
      // The page's rows as the DOM has them (this file compiles without the DOM library).
      type Row = { hidden: boolean; dataset: Record<string, string | undefined> };
      const visible = () => rows.evaluateAll((trs) => (trs as unknown as Row[]).filter((tr) => !tr.hidden).map((tr) => ({ ...tr.dataset })));
      const total = await rows.count();
      await viewer.locator('.f-party').selectOption('provider');
      const provider = await visible();
      expect(provider.length).toBeGreaterThan(3);
      expect(provider.every((d) => (d.party ?? '').split(' ').includes('provider'))).toBe(true);
      await viewer.locator('.f-party').selectOption('');
      await viewer.locator('.f-command').fill('/cards/collate');
      expect((await visible()).map((d) => d.command)).toEqual(['POST /cards/collate', 'POST /cards/collate']);
      await viewer.locator('.f-command').fill('');
      await viewer.locator('.f-sw').fill('61');
      const sw61 = await visible();
      expect(sw61.length).toBeGreaterThan(0);
      expect(sw61.every((d) => d.sw?.startsWith('61'))).toBe(true);
      await viewer.locator('.f-sw').fill('');
      expect(await viewer.locator('.f-count').textContent()).toBe(`${total} of ${total} entries`);
      const install = viewer.locator('tr[data-command="INSTALL [for load]"]').first();
      await install.locator('summary').click();
      expect(await install.locator('.col.wrapped code').first().textContent()).toMatch(/^>> 84E60200/);
      expect(await install.locator('.col.plain code').first().textContent()).toMatch(/^>> 80E60200/);
      expect(await install.locator('.col.plain pre.notes').textContent()).toContain('Load File AID: F0434152444C');
    });

    it('writes a screenshot under reports/', async () => {
      mkdirSync(join(ROOT, 'reports'), { recursive: true });
      await page.locator('section.scenario[data-faulted] .f-party').selectOption('');
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    });
  });
