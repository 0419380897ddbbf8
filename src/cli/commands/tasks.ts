/**
 * `retest tasks create|status|export mturk`: the crowd tasks of a workspace (DESIGN §1.3).
 */
import { Option, type Command } from 'commander';
import { usageError } from '../../core/index.ts';
import { createTasks, exportMturk } from '../../label/index.ts';
import { adaptiveOptions, runAdaptive, type AdaptiveCliOptions } from './tasks-adaptive.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';
import type { App } from '../types.ts';

interface Common {
  workspace?: string;
  json?: boolean;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander option declarations, one per line; the actions call the label stage
export function register(program: Command, app: App): void {
  const group = program.command('tasks').description('labelling tasks: 42 candidates + 3 positive + 3 negative controls per task, N workers each');
  const create = group
    .command('create')
    .description(
      'create tasks for every candidate without one (re-run after collecting more), plus reference tasks (16/16/16); --adaptive: follow-up tasks where answers are still needed',
    )
    .addOption(workspaceOption())
    .addOption(new Option('--assignments <n>', 'assignments (distinct workers) per task').default(10).argParser(positiveInt('--assignments')))
    .addOption(new Option('--seed <n>', 'seed of the composition (shuffles, control draws, top-ups)').default(0).argParser(intArg('--seed')))
    .addOption(
      new Option('--reference-images <n>', 'reference images per class that must reach --reference-answers planned answers')
        .default(20)
        .argParser(positiveInt('--reference-images')),
    )
    .addOption(new Option('--reference-answers <n>', 'planned answers per reference image').default(10).argParser(positiveInt('--reference-answers')))
    .option('--classes <list>', 'only these class indices (comma-separated)')
    .addOption(jsonOption());
  for (const option of adaptiveOptions()) create.addOption(option);
  create
    .addHelpText(
      'after',
      `
Each main task shows 42 candidates of one class, 3 random reference images of the class (positive
controls) and 3 reference images of its most similar class (negative controls), shuffled. The last
chunk of a class is topped up with re-drawn candidates. Reference tasks (16 candidates, 16 positives,
16 negatives) are added until every class has --reference-images reference images with
--reference-answers planned answers: they give the reference distribution of selection frequencies.

Examples:
With --adaptive --budget N it instead reads the answers so far and adds follow-up tasks (up to N
candidate answers in all, over every adaptive round) for the images whose selection frequency is
still uncertain with respect to a bin edge or τ; images whose bin more answers cannot change get
none. Every raw answer is kept and eligibility still needs 10 (docs/labelling-and-sampling.md).

Examples:
  $ retest tasks create --assignments 10 --seed 1
  $ retest tasks create --adaptive --budget 20000          # after the first answers are in; re-run as more arrive
  $ retest tasks export mturk hits/ --base-url https://label.example.org`,
    )
    .action(
      async (
        options: Common & AdaptiveCliOptions & { assignments: number; seed: number; referenceImages: number; referenceAnswers: number; classes?: string },
      ) => {
        if (options.adaptive) {
          await runAdaptive(app, options);
          return;
        }
        await app.withWorkspaceStores(options.workspace, async ({ workspace: ws, label, labelSources }) => {
          const classes = options.classes ? parseClassList(options.classes, ws.classes.length) : undefined;
          const report = await createTasks(label, labelSources, {
            seed: options.seed,
            shape: { assignmentsPerTask: options.assignments, referenceImages: options.referenceImages, referenceAnswers: options.referenceAnswers },
            ...(classes ? { classes } : {}),
          });
          if (options.json) {
            printJson(report);
            return;
          }
          process.stdout.write(
            `created ${report.mainTasks} main and ${report.referenceTasks} reference tasks (${report.items} items, ${options.assignments} assignments each)\n`,
          );
          // One line per distinct warning (an empty 1,000-class workspace would otherwise print 2,000 lines).
          const byWarning = new Map<string, number[]>();
          for (const c of report.classes) for (const w of c.warnings) byWarning.set(w, [...(byWarning.get(w) ?? []), c.classIdx]);
          for (const [w, idx] of byWarning) {
            const which = idx.length === 1 ? `class ${idx[0]}` : `${idx.length} classes (${idx.slice(0, 10).join(', ')}${idx.length > 10 ? ', …' : ''})`;
            process.stderr.write(`warning: ${which}: ${w}\n`);
          }
        });
      },
    );
  group
    .command('status')
    .description('tasks and assignments by kind and status')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: Common) => {
      await app.withWorkspaceStores(options.workspace, async ({ label }) => {
        const { tasks, assignments, complete } = await label.taskSummary();
        if (options.json) {
          printJson({ tasks, assignments, completeTasks: complete });
          return;
        }
        for (const t of tasks) process.stdout.write(`${t.kind} tasks: ${t.n} (${t.wanted} assignments wanted)\n`);
        process.stdout.write(`complete tasks: ${complete}\n`);
        for (const a of assignments) process.stdout.write(`assignments ${a.status} (${a.source}): ${a.n}\n`);
      });
    });
  const exp = group.command('export').description('write tasks for a crowd platform');
  exp
    .command('mturk')
    .description('write hits.csv (one row per task, opaque image URLs), images/<token>.jpg to upload, hit-layout.html and external-question.xml')
    .argument('<out>', 'output folder')
    .requiredOption('--base-url <url>', 'https URL the images/ folder will be served from (image URLs are <url>/<token>.jpg)')
    .option('--server-url <url>', "URL of `retest serve` for the ExternalQuestion (default: the base URL's origin)")
    .option('--no-images', 'do not copy the images (they are already uploaded)')
    .addOption(new Option('--kind <kind>', 'only main or reference tasks').choices(['main', 'reference']))
    .option('--all', 'include tasks that already have all their answers')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Two ways to run the tasks on MTurk:
  1. Requester UI: upload out/images/ to --base-url (e.g. an S3 bucket; the file names are opaque
     tokens, so workers cannot tell candidates from controls), create a project with
     out/hit-layout.html, publish a batch from out/hits.csv with 10 assignments per HIT, download
     the results and run \`retest answers import mturk Batch_…_batch_results.csv\`.
  2. ExternalQuestion: create HITs with out/external-question.xml; \`retest serve\` assigns the
     tasks and stores the answers itself.`,
    )
    .action(async (out: string, options: Common & { baseUrl: string; serverUrl?: string; images: boolean; kind?: 'main' | 'reference'; all?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ workspace: ws, label, labelSources }) => {
        const result = await exportMturk(label, labelSources, out, {
          baseUrl: options.baseUrl,
          onlyOpen: !options.all,
          ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
          ...(options.images ? { workspaceDir: ws.dir } : {}),
          ...(options.kind ? { kind: options.kind } : {}),
        });
        if (options.json) printJson({ out, ...result });
        else process.stdout.write(`wrote ${result.tasks} tasks (${result.images} images) to ${out}: ${result.files.join(', ')}\n`);
      });
    });
}

export function intArg(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw usageError(`${name} must be an integer`, { field: name, received: JSON.stringify(value) });
    return n;
  };
}

/** `--classes 0,3,7`: class indices, each below `numClasses` (the workspace's classes) when given. */
export function parseClassList(text: string, numClasses?: number): number[] {
  return text.split(',').map((s) => {
    const part = s.trim();
    const n = /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (!Number.isInteger(n) || n < 0)
      throw usageError('--classes must be comma-separated class indices', { field: '--classes', received: JSON.stringify(text), expected: 'e.g. 0,3,7' });
    if (numClasses !== undefined && n >= numClasses) {
      throw usageError(`class ${n} is not in the workspace`, {
        field: '--classes',
        expected: `class indices 0…${numClasses - 1}`,
        received: part,
        hint: "run `retest classes` to list the workspace's classes",
      });
    }
    return n;
  });
}
