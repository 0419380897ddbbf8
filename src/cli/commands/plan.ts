/**
 * `retest plan accuracy|drop|trend|pilot|answers`: how big a test set, how many models, how many
 * candidates and answers. The numbers come from src/plan (pure, with the formulas in its doc
 * comments and docs/planning.md); this file reads options, the store or a pilot workspace, and
 * prints a table or one JSON object.
 */
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pairModels } from '../../analyze/index.ts';
import type { CountRecord, Scale } from '../../analyze/index.ts';
import { createRng, usageError } from '../../core/index.ts';
import { loadPublishedTables, originalOf, PUBLISHED_TABLES } from '../../import/index.ts';
import {
  accuracyPrecision,
  answersForError,
  answersForMeanError,
  dropSampleSize,
  imagesForHalfWidth,
  planFromPilot,
  readPilot,
  slopeByModelCount,
} from '../../plan/index.ts';
import { CONFIG_FILE, resolveWorkspaceDir, workspaceOption } from '../../workspace/index.ts';
import type { App, PlanAccuracyTableJson, PlanAccuracyTargetJson, PlanAnswersJson, PlanDropJson, PlanTrendJson } from '../types.ts';
import { dbOption, jsonOption, positiveInt, printJson } from '../options.ts';
import { parseSeed } from './analysis-options.ts';
import { parseClassList } from './tasks.ts';

/** An accuracy or frequency given as a fraction (0.76) or in percent (76, 76%). */
export function parseFraction(name: string): (value: string) => number {
  return (value: string) => {
    const t = value.trim();
    const v = Number(t.endsWith('%') ? t.slice(0, -1) : t);
    const f = t.endsWith('%') || v > 1 ? v / 100 : v;
    if (!Number.isFinite(v) || !(f >= 0 && f <= 1))
      throw usageError(`${name} must be a fraction (0.76) or a percentage (76)`, { field: name, received: JSON.stringify(value) });
    return f;
  };
}

function positiveNumber(name: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!(v > 0) || !Number.isFinite(v)) throw usageError(`${name} must be a positive number`, { field: name, received: JSON.stringify(value) });
    return v;
  };
}

function intList(name: string, min: number): (value: string) => number[] {
  return (value: string) =>
    value.split(',').map((s) => {
      const n = Number(s.trim().replace(/_/g, ''));
      if (!Number.isInteger(n) || n < min)
        throw usageError(`${name} takes integers ≥ ${min}, comma-separated`, { field: name, received: JSON.stringify(value) });
      return n;
    });
}

const pct = (f: number, d = 2) => `${(f * 100).toFixed(d)}%`;
const points = (f: number, d = 2) => (f * 100).toFixed(d);

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander declarations: the plan's flags
export function register(program: Command, app: App): void {
  const group = program.command('plan').description('plan a test set: its size, the models a trend needs, the candidates and answers a build needs');

  group
    .command('accuracy')
    .description('the exact (Clopper–Pearson) 95% half-width of an accuracy measured on n images, or the n for a half-width')
    .addOption(new Option('--n <list>', 'test-set sizes, comma-separated').default([2000, 10000, 50000]).argParser(intList('--n', 1)))
    .addOption(new Option('--accuracy <a>', 'the accuracy expected (0.76 or 76); 0.5 is the widest').default(0.5).argParser(parseFraction('--accuracy')))
    .addOption(
      new Option('--half-width <points>', 'instead: the fewest images for this half-width, in points (e.g. 1)').argParser(positiveNumber('--half-width')),
    )
    .addOption(new Option('--level <l>', 'confidence level').default(0.95).argParser(parseFraction('--level')))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
The interval is the exact one retest reports for every accuracy: k = round(accuracy × n) correct,
lower = Beta⁻¹(α/2; k, n−k+1), upper = Beta⁻¹(1−α/2; k+1, n−k); the half-width is (upper − lower)/2.

Examples:
  $ retest plan accuracy --n 2000,10000 --accuracy 0.9
  $ retest plan accuracy --half-width 1 --accuracy 0.76     # images for ±1 point`,
    )
    .action((o: { n: number[]; accuracy: number; halfWidth?: number; level: number; json?: boolean }) => {
      if (o.halfWidth !== undefined) {
        const n = imagesForHalfWidth(o.halfWidth / 100, o.accuracy, o.level);
        const at = accuracyPrecision(n, o.accuracy, o.level);
        if (o.json) {
          printJson({
            half_width: o.halfWidth / 100,
            accuracy: o.accuracy,
            level: o.level,
            n,
            interval: at.interval,
            achieved_half_width: at.halfWidth,
          } satisfies PlanAccuracyTargetJson);
          return;
        }
        process.stdout.write(
          `${n.toLocaleString('en-US')} images give a ${pct(o.level, 0)} interval of ±${points(at.halfWidth, 3)} points (≤ ${o.halfWidth}) at accuracy ${pct(o.accuracy)}: [${pct(at.interval[0])}, ${pct(at.interval[1])}]\n`,
        );
        return;
      }
      const rows = o.n.map((n) => accuracyPrecision(n, o.accuracy, o.level));
      if (o.json) {
        printJson({
          accuracy: o.accuracy,
          level: o.level,
          rows: rows.map((r) => ({ n: r.n, correct: r.correct, interval: r.interval, half_width: r.halfWidth })),
        } satisfies PlanAccuracyTableJson);
        return;
      }
      const out = [
        `accuracy ${pct(o.accuracy)}, exact ${pct(o.level, 0)} intervals (Clopper–Pearson):`,
        `${'images'.padStart(10)}  ${'correct'.padStart(9)}  ${'interval'.padEnd(20)}  half-width (points)`,
      ];
      for (const r of rows)
        out.push(
          `${r.n.toLocaleString('en-US').padStart(10)}  ${r.correct.toLocaleString('en-US').padStart(9)}  ${`[${pct(r.interval[0])}, ${pct(r.interval[1])}]`.padEnd(20)}  ±${points(r.halfWidth, 3)}`,
        );
      process.stdout.write(`${out.join('\n')}\n`);
    });

  group
    .command('drop')
    .description('images needed in the new test set to detect an accuracy drop of d points with a given power')
    .requiredOption('--drop <points>', 'the drop to detect, in points (3 = 3 points)', positiveNumber('--drop'))
    .addOption(new Option('--accuracy <a>', 'accuracy on the original test set (0.76 or 76)').default(0.5).argParser(parseFraction('--accuracy')))
    .addOption(new Option('--power <p>', 'power wanted').default(0.8).argParser(parseFraction('--power')))
    .addOption(new Option('--alpha <a>', 'two-sided significance level').default(0.05).argParser(parseFraction('--alpha')))
    .addOption(
      new Option('--original-n <n>', 'images in the original test set, when fixed (ImageNet: 50000); default: both sets the same size').argParser(
        positiveInt('--original-n'),
      ),
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A two-sided test of equal proportions on two independent test sets, normal approximation with the
pooled variance under H0 (docs/planning.md gives the formula). With equal sizes:
  n = (z₁₋α/₂ √(2 p̄ q̄) + z₁₋β √(p₁q₁ + p₂q₂))² / d²,  p̄ = (p₁ + p₂)/2.

Examples:
  $ retest plan drop --drop 3 --accuracy 0.76
  $ retest plan drop --drop 1 --accuracy 0.76 --original-n 50000 --power 0.9`,
    )
    .action((o: { drop: number; accuracy: number; power: number; alpha: number; originalN?: number; json?: boolean }) => {
      if (!(o.accuracy - o.drop / 100 > 0))
        throw usageError('the drop is larger than the accuracy', { field: '--drop', received: `${o.drop} points from ${pct(o.accuracy)}` });
      const r = dropSampleSize({ originalAccuracy: o.accuracy, drop: o.drop / 100, alpha: o.alpha, power: o.power, originalN: o.originalN ?? null });
      if (o.json) {
        printJson({
          original_accuracy: r.originalAccuracy,
          drop: r.drop,
          alpha: r.alpha,
          power: r.power,
          original_n: r.originalN,
          new_n: r.newN,
          achieved_power: r.achievedPower,
        } satisfies PlanDropJson);
        return;
      }
      const from = `from ${pct(o.accuracy)} to ${pct(o.accuracy - o.drop / 100)}`;
      if (r.newN === null) {
        process.stdout.write(
          `no new test set is large enough: with ${r.originalN?.toLocaleString('en-US')} original images the power stays below ${pct(o.power, 0)} for a ${o.drop}-point drop (${from})\n`,
        );
        return;
      }
      process.stdout.write(
        `${r.newN.toLocaleString('en-US')} images ${r.originalN === null ? 'in each test set' : `in the new test set (original: ${r.originalN.toLocaleString('en-US')})`} detect a ${o.drop}-point drop (${from}) with power ${pct(r.achievedPower!, 1)} at α = ${o.alpha} (two-sided)\n`,
      );
    });

  group
    .command('trend')
    .description("the slope's 95% interval as a function of how many models are fitted (bootstrap over the given models)")
    .requiredOption('--new <name>', 'new test set')
    .option('--original <name>', 'original test set (default: the known original of --new)')
    .option('--published [tables...]', `use bundled published results too: ${PUBLISHED_TABLES.map((t) => t.name).join(', ')} (alone: recht2019)`)
    .addOption(new Option('--models <list>', 'model counts, comma-separated').default([5, 10, 20, 40]).argParser(intList('--models', 2)))
    .addOption(new Option('--scale <scale>', 'scale of the fit').choices(['linear', 'probit', 'logit']).default('linear'))
    .addOption(new Option('--resamples <n>', 'draws per model count').default(10_000).argParser(positiveInt('--resamples')))
    .option('--seed <seed>', 'seed of the draws', parseSeed, 0)
    .option('--include <pattern...>', 'only models matching these names or globs')
    .option('--exclude <pattern...>', "leave out models matching these names or globs (e.g. 'fv_*')")
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
For each count m: draw m of the given models with replacement, fit new vs original accuracy by least
squares, repeat; the central 95% of the slopes is what a study with m such models can expect.

Example:
  $ retest plan trend --published --new imagenetv2-matched-frequency --exclude 'fv_*' --models 5,10,20,64`,
    )
    .action(
      async (o: {
        new: string;
        original?: string;
        published?: boolean | string[];
        models: number[];
        scale: Scale;
        resamples: number;
        seed: number | string;
        include?: string[];
        exclude?: string[];
        db: string;
        json?: boolean;
      }) => {
        const original = o.original ?? originalOf(o.new);
        if (!original) throw usageError(`no known original test set for "${o.new}"`, { field: '--original', hint: 'pass --original NAME' });
        const tables = o.published === true ? ['recht2019'] : Array.isArray(o.published) ? o.published : [];
        await app.withResultsIfPresent(o.db, async (store) => {
          const stored: CountRecord[] = store ? [...(await store.counts([original, o.new])), ...(await store.publishedCounts())] : [];
          const counts = [...stored, ...loadPublishedTables(tables)];
          const pairs = pairModels(counts, {
            original,
            new: o.new,
            metric: 'top1',
            ...(o.include ? { include: o.include } : {}),
            ...(o.exclude ? { exclude: o.exclude } : {}),
          });
          if (pairs.length < 2)
            throw usageError(`${pairs.length} model(s) on both ${original} and ${o.new}: a trend needs at least 2`, {
              file: o.db,
              hint: tables.length > 0 ? 'check --include/--exclude' : 'evaluate or import models, or add --published',
            });
          const models = pairs.map((p) => ({ original: p.original.correct / p.original.n, new: p.new.correct / p.new.n }));
          const rows = slopeByModelCount(models, o.models, { resamples: o.resamples, rng: createRng(o.seed), scale: o.scale });
          if (o.json) {
            printJson({
              original,
              new: o.new,
              scale: o.scale,
              given_models: pairs.length,
              resamples: o.resamples,
              seed: o.seed,
              rows: rows.map((r) => ({ models: r.models, median: r.median, interval: r.interval, half_width: r.halfWidth, draws: r.draws })),
            } satisfies PlanTrendJson);
            return;
          }
          const out = [
            `${original} → ${o.new}: ${o.scale} slope when fitting m of the ${pairs.length} given models (${o.resamples.toLocaleString('en-US')} draws each, seed ${o.seed}):`,
            `${'models'.padStart(7)}  ${'median'.padStart(7)}  ${'95% interval'.padEnd(16)}  half-width`,
          ];
          for (const r of rows)
            out.push(
              `${String(r.models).padStart(7)}  ${r.median === null ? '—'.padStart(7) : r.median.toFixed(3).padStart(7)}  ${(r.interval ? `[${r.interval[0].toFixed(3)}, ${r.interval[1].toFixed(3)}]` : '—').padEnd(16)}  ${r.halfWidth === null ? '—' : `±${r.halfWidth.toFixed(3)}`}`,
            );
          process.stdout.write(`${out.join('\n')}\n`);
        });
      },
    );

  group
    .command('pilot')
    .description('from a pilot workspace: per class, the expected shortfall of MatchedFrequency and Threshold, and the candidates still needed')
    .addOption(workspaceOption())
    .addOption(new Option('--per-class <n>', 'images wanted per class').default(10).argParser(positiveInt('--per-class')))
    .addOption(new Option('--tau <t>', 'threshold τ').default(0.7).argParser(parseFraction('--tau')))
    .addOption(new Option('--min-answers <n>', 'answers a candidate (or reference image) needs to count').default(10).argParser(positiveInt('--min-answers')))
    .addOption(new Option('--draws <n>', 'multinomial draws behind the expected shortfall').default(1000).argParser(positiveInt('--draws')))
    .option('--seed <seed>', 'seed of the draws', parseSeed, 0)
    .option('--classes <list>', 'only these class indices (comma-separated)')
    .option('--all', 'list every class, not only the short ones')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Per class: the pilot's share of labelled candidates per frequency bin is assumed for all its
candidates. MatchedFrequency needs, per bin, the reference histogram scaled to --per-class; with
upward sampling a short bin borrows from higher bins. Reported: the shortfall at the expected
counts, the mean shortfall over multinomial draws (and how often a draw is short), and the
candidates to add so that the expected counts fill every slot. Threshold τ needs --per-class
candidates with frequency ≥ τ. Formulas: docs/planning.md.

Example:
  $ retest plan pilot --per-class 10 --min-answers 5`,
    )
    .action(
      async (o: {
        workspace?: string;
        perClass: number;
        tau: number;
        minAnswers: number;
        draws: number;
        seed: number | string;
        classes?: string;
        all?: boolean;
        json?: boolean;
      }) => {
        await app.withWorkspaceStores(o.workspace, async ({ workspace: ws, catalog, label }) => {
          const wanted = o.classes ? new Set(parseClassList(o.classes)) : null;
          const classes = ws.classes.map((c) => c.index).filter((c) => !wanted || wanted.has(c));
          const pilot = await readPilot(
            { candidates: () => catalog.candidates(), frequencies: (minAnswers) => label.frequencies({ minAnswers }) },
            classes,
            o.minAnswers,
          );
          const plan = planFromPilot(pilot, { perClass: o.perClass, tau: o.tau, minAnswers: o.minAnswers, draws: o.draws, rng: createRng(o.seed) });
          if (o.json) {
            printJson(plan);
            return;
          }
          const name = (idx: number) => ws.classes[idx]?.names[0] ?? String(idx);
          const show = plan.classes.filter((c) => o.all || (c.moreCandidates ?? 0) > 0 || (c.thresholdMoreCandidates ?? 0) > 0 || c.notes.length > 0);
          const out = [
            `pilot: ${plan.classes.length} classes, ${plan.classes.reduce((s, c) => s + c.labelled, 0).toLocaleString('en-US')} of ${plan.classes.reduce((s, c) => s + c.candidates, 0).toLocaleString('en-US')} candidates labelled (≥ ${o.minAnswers} answers); ${o.perClass} images per class, τ = ${o.tau}`,
            `MatchedFrequency: ${plan.totals.shortClasses} classes short, ${plan.totals.moreCandidates.toLocaleString('en-US')} more candidates needed · Threshold ${o.tau}: ${plan.totals.thresholdShortClasses} classes short, ${plan.totals.thresholdMoreCandidates.toLocaleString('en-US')} more candidates needed`,
            '',
            `${'class'.padEnd(24)}  ${'cands'.padStart(6)}  ${'labelled'.padStart(8)}  ${'MF short@E'.padStart(10)}  ${'E[short]'.padStart(8)}  ${'P(short)'.padStart(8)}  ${'MF +cands'.padStart(9)}  ${'≥τ exp.'.padStart(8)}  ${'τ +cands'.padStart(8)}`,
          ];
          const f = (v: number | null, d = 1) => (v === null ? '—' : v.toFixed(d));
          for (const c of show) {
            out.push(
              `${`${c.classIdx} ${name(c.classIdx)}`.slice(0, 24).padEnd(24)}  ${String(c.candidates).padStart(6)}  ${String(c.labelled).padStart(8)}  ${f(c.shortfallAtExpected).padStart(10)}  ${f(c.expectedShortfall, 2).padStart(8)}  ${f(c.shortProbability, 2).padStart(8)}  ${(c.moreCandidates === null ? '—' : String(c.moreCandidates)).padStart(9)}  ${f(c.expectedAboveTau).padStart(8)}  ${(c.thresholdMoreCandidates === null ? '—' : String(c.thresholdMoreCandidates)).padStart(8)}${c.notes.length > 0 ? `  (${c.notes.join('; ')})` : ''}`,
            );
          }
          if (show.length === 0) out.push("(no class is short: every class's expected counts fill both strategies)");
          process.stdout.write(`${out.join('\n')}\n`);
        });
      },
    );

  group
    .command('answers')
    .description('answers per image for a target standard error of the selection frequency')
    .requiredOption('--se <points>', 'standard error wanted, in points (5 = ±0.05)', positiveNumber('--se'))
    .addOption(new Option('--frequency <f>', 'the frequency assumed (0.5 is the worst case)').argParser(parseFraction('--frequency')))
    .addOption(new Option('--min-answers <n>', 'with a workspace: answers a candidate needs to count').default(10).argParser(positiveInt('--min-answers')))
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A frequency from n answers has standard error √(f(1−f)/n), so n = ⌈f(1−f)/se²⌉. Inside a workspace
(or with --workspace) the pilot's candidates also give the n whose root-mean-square error over
them meets the target: ⌈mean f(1−f) / se²⌉.

Examples:
  $ retest plan answers --se 5                  # ±0.05 at worst: 100 answers
  $ retest plan answers --se 10 --frequency 0.8`,
    )
    .action(async (o: { se: number; frequency?: number; minAnswers: number; workspace?: string; json?: boolean }) => {
      const se = o.se / 100;
      const rows = (o.frequency !== undefined ? [o.frequency] : [0.5, 0.7, 0.8, 0.9, 0.95]).map((f) => answersForError(se, f));
      let pilot: { candidates: number; answers: number | null } | null = null;
      const tryPilot = o.workspace !== undefined || existsSync(join(resolveWorkspaceDir(undefined), CONFIG_FILE));
      if (tryPilot) {
        await app.withWorkspaceStores(o.workspace, async ({ label }) => {
          const freqs = (await label.frequencies({ minAnswers: o.minAnswers })).filter((f) => f.role === 'candidate').map((f) => f.frequency);
          pilot = { candidates: freqs.length, answers: answersForMeanError(se, freqs) };
        });
      }
      const p = pilot as { candidates: number; answers: number | null } | null;
      if (o.json) {
        printJson({ standard_error: se, rows: rows.map((r) => ({ frequency: r.frequency, answers: r.answers })), pilot: p } satisfies PlanAnswersJson);
        return;
      }
      const out = [
        `answers per image for a standard error of ${se} (${o.se} points):`,
        ...rows.map((r) => `  frequency ${r.frequency.toFixed(2)}: ${r.answers}`),
      ];
      if (p)
        out.push(
          p.answers === null
            ? '  pilot: no candidate with enough answers yet'
            : `  pilot (${p.candidates.toLocaleString('en-US')} labelled candidates, root-mean-square): ${p.answers}`,
        );
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
