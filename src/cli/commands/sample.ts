/**
 * `retest sample matched-frequency|threshold|top-images`, `retest sample list|show`: revisions of
 * the new test set (DESIGN §1.6).
 */
import { Option, type Command } from 'commander';
import { usageError } from '../../core/index.ts';
import { createRevision, getRevision, listRevisions, type HistogramRounding, type StrategyChoice } from '../../sample/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import type { App } from '../types.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';
import { intArg } from './tasks.ts';

interface SampleOptions {
  workspace?: string;
  json?: boolean;
  perClass: number;
  seed: number;
  parent?: number;
  fresh?: boolean;
  minAnswers: number;
  minReferenceAnswers: number;
  skipDedup?: boolean;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander option declarations, one per line; the actions call the sampling strategies
export function register(program: Command, app: App): void {
  const group = program
    .command('sample')
    .description('sample the new test set from eligible candidates; every run is a stored revision')
    .addHelpText(
      'after',
      `
Eligible: not blacklisted, not an exact or near duplicate, searched with every near-duplicate
metric and reviewed (\`retest dedup search\` / \`review\`), ≥ --min-answers valid answers.
A run starts from the latest revision of the same strategy (its still-eligible images are kept and
only the gaps re-sampled) unless --fresh or --parent ID. Same workspace + seed ⇒ same images.

Examples:
  $ retest sample matched-frequency --per-class 10 --seed 1     # ImageNetV2 MatchedFrequency
  $ retest sample threshold --tau 0.7 --per-class 10 --seed 1   # Threshold0.7
  $ retest sample top-images --per-class 10 --seed 1            # TopImages
  $ retest blacklist add 3f2a… --reason "drawing" && retest sample matched-frequency --per-class 10 --seed 2
  $ retest sample list`,
    );
  const common = (cmd: Command) =>
    cmd
      .addOption(new Option('--per-class <n>', 'images per class').makeOptionMandatory().argParser(positiveInt('--per-class')))
      .addOption(new Option('--seed <n>', 'seed of the draws and the final shuffle').makeOptionMandatory().argParser(intArg('--seed')))
      .addOption(new Option('--parent <id>', 'revision to start from (default: the latest of the same strategy)').argParser(positiveInt('--parent')))
      .option('--fresh', 'start from scratch (no parent)')
      .addOption(new Option('--min-answers <n>', 'valid answers a candidate needs').default(10).argParser(positiveInt('--min-answers')))
      .addOption(
        new Option('--min-reference-answers <n>', 'valid answers a reference image needs to enter the histogram')
          .default(10)
          .argParser(positiveInt('--min-reference-answers')),
      )
      .option('--skip-dedup', "let candidates never searched for near-duplicates through (not the authors' process; recorded in the revision)")
      .addOption(workspaceOption())
      .addOption(jsonOption());
  common(group.command('matched-frequency').description("match each class's reference histogram of selection frequencies (ImageNetV2 MatchedFrequency)"))
    .option('--no-upward', 'do not borrow from higher bins when a bin runs short')
    .addOption(
      new Option('--min-reference-images <n>', 'reference images a histogram needs for a valid revision')
        .default(20)
        .argParser(intArg('--min-reference-images')),
    )
    .addOption(
      new Option('--rounding <rule>', "bin targets: the authors' float64 arithmetic, or exact integer remainders (not the authors' rule)")
        .choices(['authors-float64', 'exact-integer'])
        .default('authors-float64'),
    )
    .action((options: SampleOptions & { upward: boolean; minReferenceImages: number; rounding: HistogramRounding }) =>
      run(app, options, {
        function: 'matched-frequency',
        params: { upwardSampling: options.upward, minReferenceImages: options.minReferenceImages, rounding: options.rounding },
      }),
    );
  common(group.command('threshold').description('a random draw among candidates with selection frequency ≥ τ (ImageNetV2 Threshold0.7)'))
    .addOption(new Option('--tau <x>', 'frequency threshold').default(0.7).argParser(Number))
    .option('--class-tau <list>', 'per-class overrides, e.g. 12=0.5,40=0.6')
    .action((options: SampleOptions & { tau: number; classTau?: string }) => {
      const perClassTau: Record<number, number> = {};
      for (const part of (options.classTau ?? '').split(',').filter(Boolean)) {
        const [c, t] = part.split('=');
        const ci = Number(c),
          tv = Number(t);
        if (!Number.isInteger(ci) || !(tv >= 0 && tv <= 1))
          throw usageError('--class-tau takes CLASS=TAU pairs', { field: '--class-tau', received: JSON.stringify(part), expected: 'e.g. 12=0.5' });
        perClassTau[ci] = tv;
      }
      if (!(options.tau >= 0 && options.tau <= 1)) throw usageError('--tau must be in [0, 1]', { field: '--tau', received: String(options.tau) });
      return run(app, options, { function: 'threshold', params: Object.keys(perClassTau).length ? { tau: options.tau, perClassTau } : { tau: options.tau } });
    });
  common(group.command('top-images').description('the most-selected candidates per class (ImageNetV2 TopImages), deterministic')).action(
    (options: SampleOptions) => run(app, options, { function: 'top-images' }),
  );
  group
    .command('list')
    .description('all revisions, newest first')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ sample }) => {
        const revs = await listRevisions(sample);
        if (options.json) printJson({ revisions: revs });
        else
          for (const r of revs)
            process.stdout.write(
              `${r.id}\t${r.function}\tseed ${r.seed}\tparent ${r.parentId ?? '-'}\t${r.valid ? 'valid' : `SHORT classes ${r.shortClasses.join(',')}`}\t${r.createdAt}\t${JSON.stringify(r.parameters)}\n`,
            );
      });
    });
  group
    .command('show')
    .description('one revision with its images (default: the latest)')
    .argument('[id]', 'revision id')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (id: string | undefined, options: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ sample }) => {
        const rev = await getRevision(sample, id === undefined ? 'latest' : positiveInt('id')(id));
        if (options.json) printJson(rev);
        else {
          process.stdout.write(
            `revision ${rev.id}: ${rev.function} seed ${rev.seed} parent ${rev.parentId ?? '-'} ${rev.valid ? 'valid' : 'INVALID'} ${rev.images.length} images\n`,
          );
          for (const im of rev.images)
            process.stdout.write(
              `${im.position}\t${im.classIdx}\t${im.imageId}\t${im.frequency.toFixed(3)}\t${im.answers}${im.carriedOver ? '\tcarried over' : ''}\n`,
            );
        }
      });
    });
}

async function run(app: App, options: SampleOptions, strategy: StrategyChoice): Promise<void> {
  if (options.fresh && options.parent !== undefined) throw usageError('--fresh and --parent exclude each other', { field: '--fresh' });
  await app.withWorkspaceStores(options.workspace, async ({ sample, sampling }) => {
    let parent: number | null = options.parent ?? null;
    if (!options.fresh && options.parent === undefined) {
      const latest = (await listRevisions(sample)).find((r) => r.function === strategy.function);
      parent = latest?.id ?? null;
    }
    const { revision, outcome, eligibility } = await createRevision(
      { sample, sources: sampling },
      {
        strategy,
        perClass: options.perClass,
        seed: options.seed,
        parent,
        minAnswers: options.minAnswers,
        minReferenceAnswers: options.minReferenceAnswers,
        requireDedup: options.skipDedup !== true,
      },
    );
    const carried = revision.images.filter((i) => i.carriedOver).length;
    if (options.json) {
      printJson({
        revision: revision.id,
        function: revision.function,
        parameters: revision.parameters,
        seed: revision.seed,
        parent: revision.parentId,
        valid: revision.valid,
        size: revision.images.length,
        carriedOver: carried,
        shortClasses: outcome.classes
          .filter((c) => c.short > 0 || outcome.shortClasses.includes(c.classIdx))
          .map((c) => ({ classIdx: c.classIdx, short: c.short, notes: c.notes })),
        exclusions: eligibility.counts,
        eligible: eligibility.eligible.length,
      });
      return;
    }
    process.stdout.write(
      `revision ${revision.id}: ${revision.function}, ${revision.images.length} images (${carried} carried over from ${parent ?? 'nothing'}), ${revision.valid ? 'valid' : 'NOT valid'}\n`,
    );
    process.stdout.write(
      `eligible candidates: ${eligibility.eligible.length}; excluded: ${Object.entries(eligibility.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
    // Classes with the same outcome share one line (an empty 1,000-class workspace would print 1,000).
    const byNote = new Map<string, number[]>();
    for (const c of outcome.classes) {
      if (c.short === 0 && c.notes.length === 0) continue;
      const note = `short ${c.short}${c.notes.length ? ` — ${c.notes.join('; ')}` : ''}`;
      byNote.set(note, [...(byNote.get(note) ?? []), c.classIdx]);
    }
    for (const [note, idx] of byNote) {
      const which = idx.length === 1 ? `class ${idx[0]}` : `${idx.length} classes (${idx.slice(0, 10).join(', ')}${idx.length > 10 ? ', …' : ''})`;
      process.stderr.write(`${which}: ${note}\n`);
    }
  });
}
