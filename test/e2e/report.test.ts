/**
 * Opens the default report (`retest report` with no arguments, no store, offline) in headless
 * Chromium: no console errors, one point per model in each scatter, the fit line present; keeps a
 * screenshot under artifacts/ (gitignored). Skips, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.ts';
import { runCli } from '../report/helpers.ts';

const CHROMIUM = process.env.RETEST_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const hasChromium = existsSync(CHROMIUM);
/** timm rows whose name contains "resnet50.a1_in1k" (2: img_size 224 and 288). */
const MATCHES = readFileSync(join(REPO_ROOT, 'data', 'published', 'timm', 'results-imagenet.csv'), 'utf8')
  .split('\n')
  .filter((l) => l.split(',')[0]!.includes('resnet50.a1_in1k')).length;
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
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(pathToFileURL(join(dir, 'report', 'index.html')).href, { waitUntil: 'load' });

      const sections = await page.$$eval('section.pair', (nodes) =>
        nodes.map((section) => ({
          id: section.id,
          models: Number(section.getAttribute('data-models')),
          points: section.querySelectorAll('figure.scatter g.points_marks > path').length,
          fitPaths: Array.from(section.querySelectorAll('figure.scatter g.fit_marks > path'), (p) => p.getAttribute('d') ?? ''),
          band: section.querySelectorAll('figure.scatter g.band_marks > path').length,
          titles: section.querySelectorAll('figure.scatter g.points_marks > path > title').length,
          svgBox: (() => {
            const r = section.querySelector('figure.scatter svg')!.getBoundingClientRect();
            return [r.width, r.height];
          })(),
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

      // The timm cloud panel: the bundled Vega renders it in the page (no network), one mark per model,
      // the model's name on hover, and the find box enlarges the matches.
      const cloud = page.locator('figure.cloud');
      expect(await cloud.count()).toBe(1);
      await page.waitForSelector('figure.cloud.live', { timeout: 30_000 });
      const marks = await cloud.evaluate((f) => ({
        cloud: f.querySelectorAll('.interactive g.cloud_marks > path').length,
        reference: f.querySelectorAll('.interactive g.reference_marks > path').length,
        staticHidden: getComputedStyle(f.querySelector('.static')!).display === 'none',
      }));
      expect(marks).toEqual({ cloud: 1556, reference: 67, staticHidden: true });
      await cloud.scrollIntoViewIfNeeded();
      const point = cloud.locator('.interactive g.cloud_marks > path').first();
      const box = (await point.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => !(document.querySelector('.vega-tip') as HTMLElement).hidden);
      expect(await page.locator('.vega-tip').textContent()).toMatch(/^\S+@\d+ \(timm\): original \d+\.\d\d%, new \d+\.\d\d%, drop -?\d+\.\d\d points$/);
      const shapes = () =>
        cloud.evaluate((f) =>
          Array.from(f.querySelectorAll('.interactive g.cloud_marks > path'), (p) => `${p.getAttribute('d')}|${p.getAttribute('stroke-width')}`),
        );
      expect(new Set(await shapes()).size).toBe(1); // every point drawn alike
      await cloud.locator('.interactive input').fill('resnet50.a1_in1k');
      await page.waitForFunction(() => document.querySelectorAll('figure.cloud .interactive g.cloud_marks > path[stroke-width="1.5"]').length > 0);
      const after = await shapes();
      expect(after).toHaveLength(1556);
      expect(after.filter((s) => s.endsWith('|1.5'))).toHaveLength(MATCHES); // the matches, enlarged and outlined
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);

      const artifacts = join(REPO_ROOT, 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, 'report-default.png');
      await page.screenshot({ path: shot, fullPage: true });
      await page
        .locator('#imagenet-val__imagenetv2-matched-frequency figure.scatter')
        .screenshot({ path: join(artifacts, 'report-imagenet-matched-frequency.png') });
      await cloud.screenshot({ path: join(artifacts, 'report-imagenet-matched-frequency-timm.png') });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
