/**
 * `retest plan`: exact accuracy half-widths, test-set sizes for a drop, the slope's interval by
 * model count, MatchedFrequency/Threshold shortfalls from a pilot, answers for a standard error.
 * Expected values were worked out with scipy 1.17 (beta.ppf, norm.ppf/cdf) or by hand, as noted.
 */
import { Command } from 'commander';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/plan.ts';
import { createRng } from '../../src/core/index.ts';
import { loadPublishedTables } from '../../src/import/index.ts';
import { pairModels } from '../../src/analyze/index.ts';
import { createTasks } from '../../src/label/index.ts';
import {
  accuracyPrecision,
  answersForError,
  answersForMeanError,
  candidatesToFill,
  dropSampleSize,
  dropTestPower,
  equalSizeForDrop,
  imagesForHalfWidth,
  planFromPilot,
  slopeByModelCount,
  upwardFillShortfall,
} from '../../src/plan/index.ts';
import { createApp } from '../../src/app/main.ts';
import { matchedFrequency } from '../../src/sample/index.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { answerAll, workspaceWithImages, on } from '../label/fixtures.ts';

async function plan(args: string[]): Promise<string> {
  const program = new Command('retest').exitOverride();
  register(program, createApp());
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['plan', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('accuracy precision (Clopper–Pearson)', () => {
  it("matches scipy's beta.ppf", () => {
    const a = accuracyPrecision(10000, 0.76);
    expect(a.correct).toBe(7600);
    expect(a.interval[0]).toBeCloseTo(0.751504315015599, 10);
    expect(a.interval[1]).toBeCloseTo(0.7683440135878099, 10);
    expect(a.halfWidth).toBeCloseTo(0.008419849286105452, 10);
    expect(accuracyPrecision(2000, 0.5).halfWidth).toBeCloseTo(0.02214944576889022, 10);
    expect(accuracyPrecision(50000, 0.7613).halfWidth).toBeCloseTo(0.0037464463520363034, 10);
  });

  it('has the closed forms at k = 0 and k = n: 1 − (α/2)^(1/n)', async () => {
    expect(accuracyPrecision(10, 0).interval).toEqual([0, expect.closeTo(1 - 0.025 ** 0.1, 12)]);
    expect(accuracyPrecision(10, 1).interval).toEqual([expect.closeTo(0.025 ** 0.1, 12), 1]);
  });

  it('finds the fewest images for a half-width (7,105 for ±1 point at 76 %, as a scan with scipy finds)', async () => {
    const n = imagesForHalfWidth(0.01, 0.76);
    expect(n).toBe(7105);
    expect(accuracyPrecision(n, 0.76).halfWidth).toBeLessThanOrEqual(0.01);
    expect(accuracyPrecision(n - 1, 0.76).halfWidth).toBeGreaterThan(0.01);
  });

  it('refuses nonsense', async () => {
    expect(() => accuracyPrecision(0, 0.5)).toThrow(RangeError);
    expect(() => accuracyPrecision(10, 1.5)).toThrow(RangeError);
  });
});

describe('images to detect a drop', () => {
  it('equal sizes: the closed form, 3,313 for 76 % → 73 % at α = 0.05, power 0.8', async () => {
    // by hand: p̄ = 0.745; (1.959964·√(2·0.745·0.255) + 0.841621·√(0.76·0.24 + 0.73·0.27))² / 0.03² = 3312.36
    const za = 1.959963984540054,
      zb = 0.8416212335729143;
    const byHand = (za * Math.sqrt(2 * 0.745 * 0.255) + zb * Math.sqrt(0.76 * 0.24 + 0.73 * 0.27)) ** 2 / 0.03 ** 2;
    expect(equalSizeForDrop(0.76, 0.03)).toBeCloseTo(byHand, 6);
    expect(byHand).toBeCloseTo(3312.3562133608198, 6);
    const r = dropSampleSize({ originalAccuracy: 0.76, drop: 0.03 });
    expect(r.newN).toBe(3313);
    expect(r.achievedPower!).toBeGreaterThanOrEqual(0.8);
    expect(dropTestPower(0.76, 0.03, 3312, 3312)).toBeLessThan(0.8);
  });

  it("a fixed original set: the smallest new set that reaches the power (20,391 beside ImageNet's 50,000 for 1 point)", () => {
    const r = dropSampleSize({ originalAccuracy: 0.76, drop: 0.01, originalN: 50000 });
    expect(r.newN).toBe(20391);
    expect(r.achievedPower!).toBeCloseTo(0.8000045944401486, 8);
    expect(dropTestPower(0.76, 0.01, 50000, 20390)).toBeCloseTo(0.7999910319268243, 8);
  });

  it('says when no size is enough', async () => {
    expect(dropSampleSize({ originalAccuracy: 0.76, drop: 0.005, originalN: 2000 }).newN).toBeNull();
    expect(() => dropSampleSize({ originalAccuracy: 0.02, drop: 0.03 })).toThrow(RangeError);
  });
});

describe('the slope by model count', () => {
  it('is exact when the models lie on a line', async () => {
    const models = [0.5, 0.6, 0.7, 0.8].map((x) => ({ original: x, new: 1.2 * x - 0.1 }));
    const [r] = slopeByModelCount(models, [3], { resamples: 500, rng: createRng(1) });
    expect(r!.interval![0]).toBeCloseTo(1.2, 10);
    expect(r!.interval![1]).toBeCloseTo(1.2, 10);
    expect(r!.draws).toBeLessThan(500); // draws of one model three times have no line
  });

  it("narrows with more models; at all 64 of the paper's CNNs it is the paper's bootstrap interval", () => {
    const pairs = pairModels(loadPublishedTables(['recht2019']), {
      original: 'imagenet-val',
      new: 'imagenetv2-matched-frequency',
      metric: 'top1',
      exclude: ['fv_*'],
    });
    expect(pairs).toHaveLength(64);
    const models = pairs.map((p) => ({ original: p.original.correct / p.original.n, new: p.new.correct / p.new.n }));
    const rows = slopeByModelCount(models, [5, 10, 20, 64], { resamples: 4000, rng: createRng(0) });
    const widths = rows.map((r) => r.halfWidth!);
    expect(widths[0]!).toBeGreaterThan(widths[1]!);
    expect(widths[1]!).toBeGreaterThan(widths[2]!);
    expect(widths[2]!).toBeGreaterThan(widths[3]!);
    // docs/analysis.md: 1.110 [1.078, 1.189] with 100,000 resamples; 4,000 land within 0.01
    expect(rows[3]!.interval![0]).toBeCloseTo(1.078, 1);
    expect(Math.abs(rows[3]!.interval![0] - 1.078)).toBeLessThan(0.01);
    expect(Math.abs(rows[3]!.interval![1] - 1.189)).toBeLessThan(0.01);
    expect(() => slopeByModelCount(models, [1], { resamples: 10, rng: createRng(0) })).toThrow(RangeError);
  });
});

describe('answers for a standard error', () => {
  it('is ⌈f(1 − f)/se²⌉', async () => {
    expect(answersForError(0.05).answers).toBe(100);
    expect(answersForError(0.05, 0.8).answers).toBe(64);
    expect(answersForError(0.05, 0.95).answers).toBe(19); // 0.0475 / 0.0025
    expect(answersForError(0.1, 1).answers).toBe(1);
    expect(answersForMeanError(0.05, [0.5, 0.9])).toBe(68); // mean(0.25, 0.09) = 0.17 → 68
    expect(answersForMeanError(0.05, [])).toBeNull();
  });
});

describe('MatchedFrequency on counts', () => {
  it('upward fill agrees with the suffix formula and with the real sampler on 300 random classes', async () => {
    const rng = createRng(7);
    for (let t = 0; t < 300; t++) {
      const targets = Array.from({ length: 5 }, () => rng.int(4));
      const available = Array.from({ length: 5 }, () => rng.int(5));
      const short = upwardFillShortfall(targets, available);
      let suffix = 0;
      for (let b = 0; b < 5; b++) suffix = Math.max(suffix, targets.slice(b).reduce((a, c) => a + c, 0) - available.slice(b).reduce((a, c) => a + c, 0));
      expect(short).toBe(suffix);
      const perClass = targets.reduce((a, b) => a + b, 0);
      if (perClass === 0) continue;
      const candidates = available.flatMap((k, b) =>
        Array.from({ length: k }, (_, i) => ({ imageId: `b${b}-${i}`, classIdx: 0, frequency: 0.1 + 0.2 * b, answers: 10 })),
      );
      const outcome = matchedFrequency(
        { classes: [0], perClass, candidates, referenceHistograms: new Map([[0, targets]]) },
        { minReferenceImages: 0 },
        createRng(t),
      );
      expect(outcome.classes[0]!.short).toBe(short);
    }
  });

  it("counts the candidates that fill every slot at the pilot's shares", () => {
    // by hand: suffix demand / suffix share from the top: 2/.4 = 5, 4/.7, 7/.85, 9/.95, 10/1 → 10
    expect(candidatesToFill([1, 2, 3, 2, 2], [0.05, 0.1, 0.15, 0.3, 0.4])).toBe(10);
    expect(candidatesToFill([0, 0, 0, 2, 8], [0.5, 0, 0, 0, 0.5])).toBe(20); // only the top half counts
    expect(candidatesToFill([1, 0, 0, 0, 9], [0, 0, 0, 0, 1])).toBe(10); // bin 0 borrows from the top
    expect(candidatesToFill([0, 0, 0, 1, 1], [0.5, 0.5, 0, 0, 0])).toBeNull(); // nothing above: cannot
  });
});

describe('planFromPilot', () => {
  // 20 labelled of the class's candidates: 2, 2, 4, 4 and 8 per bin; reference histogram 1, 1, 2, 2, 4.
  const frequencies = [0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.5, 0.5, 0.65, 0.65, 0.75, 0.75, ...Array.from({ length: 8 }, () => 0.9)];
  const pilot = (candidates: number) => ({ classIdx: 3, candidates, frequencies, referenceHistogram: [1, 1, 2, 2, 4] });

  it('is short by the expected deficit when too few candidates were collected (worked by hand)', async () => {
    const p = planFromPilot([pilot(8)], { perClass: 10, minAnswers: 10, rng: createRng(0), draws: 400 });
    const c = p.classes[0]!;
    expect(c.binShare).toEqual([0.1, 0.1, 0.2, 0.2, 0.4]);
    expect(c.binTargets).toEqual([1, 1, 2, 2, 4]);
    expect(c.expectedPerBin!.map((v) => Number(v.toFixed(6)))).toEqual([0.8, 0.8, 1.6, 1.6, 3.2]);
    expect(c.shortfallAtExpected).toBeCloseTo(2, 12); // every bin 20 % short, nothing to borrow
    expect(c.moreCandidates).toBe(2); // 10 candidates at these shares fill every bin
    expect(c.expectedShortfall!).toBeGreaterThan(2); // drawing the bins only adds chances to be short
    expect(c.shortProbability!).toBeGreaterThan(0.9);
    expect(c.expectedAboveTau).toBeCloseTo(4, 12); // 10 of 20 labelled are ≥ 0.7
    expect(c.thresholdShortfall).toBeCloseTo(6, 12);
    expect(c.thresholdMoreCandidates).toBe(12); // ⌈10 / 0.5⌉ − 8
    expect(p.totals).toEqual({ shortClasses: 1, moreCandidates: 2, thresholdShortClasses: 1, thresholdMoreCandidates: 12 });
  });

  it('is not short with plenty of candidates, and says why a number is missing', async () => {
    const p = planFromPilot([pilot(400), { classIdx: 4, candidates: 30, frequencies: [], referenceHistogram: null }], {
      perClass: 10,
      minAnswers: 10,
      rng: createRng(0),
      draws: 200,
    });
    expect(p.classes[0]).toMatchObject({ shortfallAtExpected: 0, moreCandidates: 0, shortProbability: 0, expectedShortfall: 0, thresholdMoreCandidates: 0 });
    expect(p.classes[1]).toMatchObject({ labelled: 0, binShare: null, moreCandidates: null, thresholdMoreCandidates: null });
    expect(p.classes[1]!.notes).toEqual([
      'no candidate with enough answers yet: label some first',
      'no reference histogram: MatchedFrequency has nothing to match',
    ]);
  });

  it('is reproducible from its seed', async () => {
    const a = planFromPilot([pilot(9)], { perClass: 10, minAnswers: 10, rng: createRng('s'), draws: 300 });
    const b = planFromPilot([pilot(9)], { perClass: 10, minAnswers: 10, rng: createRng('s'), draws: 300 });
    expect(a).toEqual(b);
  });
});

describe('retest plan (command line)', () => {
  it('accuracy, drop and answers print the numbers above, and one JSON object with --json', async () => {
    expect(await plan(['accuracy', '--n', '10000', '--accuracy', '76'])).toContain('10,000      7,600  [75.15%, 76.83%]      ±0.842');
    expect(JSON.parse(await plan(['accuracy', '--half-width', '1', '--accuracy', '0.76', '--json']))).toMatchObject({ n: 7105 });
    expect(await plan(['drop', '--drop', '3', '--accuracy', '0.76'])).toContain('3,313 images in each test set detect a 3-point drop (from 76.00% to 73.00%)');
    expect(JSON.parse(await plan(['drop', '--drop', '1', '--accuracy', '76', '--original-n', '50000', '--json']))).toMatchObject({
      original_n: 50000,
      new_n: 20391,
    });
    expect(JSON.parse(await plan(['answers', '--se', '5', '--frequency', '0.8', '--json']))).toMatchObject({
      standard_error: 0.05,
      rows: [{ frequency: 0.8, answers: 64 }],
    });
    await expect(plan(['accuracy', '--accuracy', '140'])).rejects.toThrow(/--accuracy must be a fraction/);
  });

  it('trend uses the store and the bundled tables', async () => {
    const json = JSON.parse(
      await plan([
        'trend',
        '--published',
        '--new',
        'imagenetv2-matched-frequency',
        '--exclude',
        'fv_*',
        '--models',
        '10,64',
        '--resamples',
        '500',
        '--db',
        '/nonexistent/none.db',
        '--json',
      ]),
    ) as { given_models: number; rows: { models: number; half_width: number }[] };
    expect(json.given_models).toBe(64);
    expect(json.rows.map((r) => r.models)).toEqual([10, 64]);
    expect(json.rows[0]!.half_width).toBeGreaterThan(json.rows[1]!.half_width);
    await expect(plan(['trend', '--new', 'imagenetv2-matched-frequency', '--db', '/nonexistent/none.db'])).rejects.toThrow(/a trend needs at least 2/);
  });

  it('pilot reads a workspace: the short class and the candidates it needs', async () => {
    // class 0: 42 candidates, all chosen by every worker; class 1: 10 candidates, half chosen by 3 of 10
    const ws = await workspaceWithImages({ candidates: { 0: 42, 1: 10 }, references: { 0: 20, 1: 20, 2: 20, 8: 20, 9: 20 } });
    try {
      await createTasks(...on(ws), { seed: 1 });
      await answerAll(ws, (id, role) => (role === 'negative' ? 0 : id.startsWith('c1-00') && Number(id.slice(-1)) < 5 ? 3 : 10));
      const json = JSON.parse(await plan(['pilot', '--workspace', ws.dir, '--per-class', '10', '--classes', '0,1', '--draws', '200', '--json'])) as {
        classes: {
          classIdx: number;
          candidates: number;
          labelled: number;
          binTargets: number[];
          shortfallAtExpected: number;
          moreCandidates: number;
          thresholdMoreCandidates: number;
        }[];
      };
      const [c0, c1] = json.classes;
      expect(c0).toMatchObject({
        classIdx: 0,
        candidates: 42,
        labelled: 42,
        binTargets: [0, 0, 0, 0, 10],
        shortfallAtExpected: 0,
        moreCandidates: 0,
        thresholdMoreCandidates: 0,
      });
      // half of class 1's 10 candidates reach the top bin: 5 expected there, 10 wanted → 10 more candidates
      expect(c1).toMatchObject({
        classIdx: 1,
        candidates: 10,
        labelled: 10,
        binTargets: [0, 0, 0, 0, 10],
        shortfallAtExpected: 5,
        moreCandidates: 10,
        thresholdMoreCandidates: 10,
      });
      const text = await plan(['pilot', '--workspace', ws.dir, '--per-class', '10', '--classes', '0,1', '--draws', '200']);
      expect(text).toContain('MatchedFrequency: 1 classes short, 10 more candidates needed');
      expect(text).toMatch(/^1 automobile\s+10\s+10\s+5\.0\s+/m);
      expect(text).not.toMatch(/^0 airplane/m);
      const answers = JSON.parse(await plan(['answers', '--se', '5', '--workspace', ws.dir, '--json'])) as { pilot: { candidates: number; answers: number } };
      // 47 candidates at f = 1 (variance 0) and 5 at f = 0.3 (0.21): mean 0.0202 → ⌈8.08⌉ = 9
      expect(answers.pilot).toEqual({ candidates: 52, answers: 9 });
    } finally {
      const dir = ws.dir;
      closeWorkspace(ws);
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
