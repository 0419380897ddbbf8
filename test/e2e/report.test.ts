/**
 * Opens the default report (`retest report` with no arguments, no store, offline) in headless
 * Chromium: no console errors, one point per model in each scatter, the fit line present; keeps a
 * screenshot under artifacts/ (gitignored). Skips, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.ts';
import { runCli } from '../report/helpers.ts';

const CHROMIUM = process.env.RETEST_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[skip] report e2e: no Chromium at ${CHROMIUM} (apt install chromium, or set RETEST_CHROMIUM)`);

(hasChromium ? describe : describe.skip)('the default report in a browser', () => {
  let dir: string;
  let cwd: string;
  let stdout: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'retest-e2e-report-'));
    cwd = process.cwd();
    process.chdir(dir); // a fresh folder: no retest.db, default --out report/
    stdout = await runCli(['report']);
  }, 180_000);
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the headline numbers and creates no store', () => {
    expect(stdout).toMatch(/ImageNet → ImageNetV2 MatchedFrequency\s+67 models · mean drop 11\.8 points · linear slope 1\.11 \[1\.08, 1\.19\]/);
    expect(stdout).toMatch(/CIFAR-10 → CIFAR-10\.1 \(v4\)\s+30 models · mean drop 8\.1 points · linear slope 1\.62/);
    expect(existsSync(join(dir, 'retest.db'))).toBe(false);
    expect(existsSync(join(dir, 'report', 'index.html'))).toBe(true);
  });

  it('renders in Chromium without errors or network, one point per model, with the fit line', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()); });
      await page.goto(pathToFileURL(join(dir, 'report', 'index.html')).href, { waitUntil: 'load' });

      const sections = await page.$$eval('section.pair', (nodes) =>
        nodes.map((section) => ({
          id: section.id,
          models: Number(section.getAttribute('data-models')),
          points: section.querySelectorAll('figure.scatter g.points_marks > path').length,
          fitPaths: Array.from(section.querySelectorAll('figure.scatter g.fit_marks > path'), (p) => p.getAttribute('d') ?? ''),
          band: section.querySelectorAll('figure.scatter g.band_marks > path').length,
          titles: section.querySelectorAll('figure.scatter g.points_marks > path > title').length,
          svgBox: (() => { const r = section.querySelector('figure.scatter svg')!.getBoundingClientRect(); return [r.width, r.height]; })(),
        })),
      );
      expect(sections.map((s) => [s.id, s.models])).toEqual([
        ['cifar10-test__cifar10.1-v4', 30],
        ['cifar10-test__cifar10.1-v6', 30],
        ['imagenet-val__imagenetv2-matched-frequency', 67],
        ['imagenet-val__imagenetv2-threshold0.7', 67],
        ['imagenet-val__imagenetv2-top-images', 67],
      ]);
      for (const s of sections) {
        expect(s.points, s.id).toBe(s.models);
        expect(s.titles, s.id).toBe(s.models);
        expect(s.fitPaths).toHaveLength(1);
        expect(s.fitPaths[0]!.split('L').length).toBeGreaterThan(10); // a drawn polyline
        expect(s.band).toBe(1);
        expect(s.svgBox[0]).toBeGreaterThan(300);
        expect(s.svgBox[1]).toBeGreaterThan(300);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);

      const artifacts = join(REPO_ROOT, 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, 'report-default.png');
      await page.screenshot({ path: shot, fullPage: true });
      await page.locator('#imagenet-val__imagenetv2-matched-frequency figure.scatter').screenshot({ path: join(artifacts, 'report-imagenet-matched-frequency.png') });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
