/**
 * `retest frequencies`: selection frequencies (DESIGN §1.4), the per-class reference histogram and
 * control accuracy per assignment and worker.
 */
import { Option, type Command } from 'commander';
import { frequencyBin } from '../../core/index.ts';
import { referenceHistograms } from '../../label/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';
import type { App, WorkspaceStores } from '../types.ts';

const BINS = ['[0,.2)', '[.2,.4)', '[.4,.6)', '[.6,.8)', '[.8,1]'];

export function register(program: Command, app: App): void {
  program
    .command('frequencies')
    .description('selection frequencies per class, the reference histograms and control accuracy')
    .addOption(new Option('--min-answers <n>', 'valid answers an image needs to count').default(10).argParser(positiveInt('--min-answers')))
    .option('--images', 'with --json: include every (image, class) frequency')
    .option('--workers', 'list control accuracy per worker')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
The selection frequency of image i for class c is the fraction of valid assignments (submitted or
approved, worker not rejected) of tasks for c that showed i and selected it. Candidates get theirs
as candidates, reference images as positive controls: their histogram over the bins
[0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1] is what MatchedFrequency matches.`,
    )
    .action((options: FrequenciesOptions) => app.withWorkspaceStores(options.workspace, (stores) => runFrequencies(options, stores)));
}

interface FrequenciesOptions {
  workspace?: string;
  json?: boolean;
  minAnswers: number;
  images?: boolean;
  workers?: boolean;
}

/** Computes the histograms and the control accuracy, and prints them (as JSON or a table). */
async function runFrequencies(options: FrequenciesOptions, { workspace: ws, label }: WorkspaceStores): Promise<void> {
  const freqs = await label.frequencies({ minAnswers: options.minAnswers });
  const classes = ws.classes.map((c) => c.index);
  const hist = referenceHistograms(freqs, classes);
  const candHist = candidateHistograms(freqs, classes);
  const control = await label.controlAccuracy();
  const meanAccuracy = meanControlAccuracy(control.assignments);
  const perClass = classes.map((c) => ({ classIdx: c, id: ws.classes[c]!.id, candidates: candHist[c]!, reference: hist.find((h) => h.classIdx === c)! }));
  if (options.json) {
    printJson({
      minAnswers: options.minAnswers,
      bins: BINS,
      classes: perClass.map((p) => ({
        classIdx: p.classIdx,
        id: p.id,
        candidates: p.candidates.images,
        candidateHistogram: p.candidates.counts,
        referenceImages: p.reference.images,
        referenceHistogram: p.reference.counts,
      })),
      controlAccuracy: {
        assignments: control.assignments.length,
        meanPerAssignment: meanAccuracy,
        workers: options.workers ? control.workers : control.workers.length,
      },
      ...(options.images ? { images: freqs } : {}),
    });
    return;
  }
  process.stdout.write(`class\tcandidates ${BINS.join(' ')}\treference ${BINS.join(' ')}\n`);
  for (const p of perClass)
    process.stdout.write(
      `${p.classIdx} ${p.id}\t${p.candidates.images}: ${p.candidates.counts.join(' ')}\t${p.reference.images}: ${p.reference.counts.join(' ')}\n`,
    );
  process.stdout.write(
    `control accuracy: ${control.assignments.length} answered assignments, mean ${meanAccuracy === null ? 'n/a' : meanAccuracy.toFixed(3)}, ${control.workers.length} workers\n`,
  );
  if (options.workers)
    for (const w of control.workers)
      process.stdout.write(
        `${w.workerHash}\t${w.status}\t${w.assignments} assignments\t${w.correct}/${w.controls}\t${w.accuracy === null ? 'n/a' : w.accuracy.toFixed(3)}\n`,
      );
}

/** Per class: how many candidates have a frequency, and their histogram over the bins. */
function candidateHistograms(
  freqs: readonly { role: string; classIdx: number; frequency: number }[],
  classes: readonly number[],
): { classIdx: number; counts: number[]; images: number }[] {
  const candHist = classes.map((c) => ({ classIdx: c, counts: [0, 0, 0, 0, 0], images: 0 }));
  for (const f of freqs)
    if (f.role === 'candidate') {
      const h = candHist[f.classIdx];
      if (h) {
        h.counts[frequencyBin(f.frequency)]! += 1;
        h.images += 1;
      }
    }
  return candHist;
}

/** Mean control accuracy over the assignments that have one (null when none does). */
function meanControlAccuracy(assignments: readonly { accuracy: number | null }[]): number | null {
  const scored = assignments.filter((a) => a.accuracy !== null);
  // Summed in value order: assignment ids are random, so row order differs between workspaces (and backends) with the same answers.
  return scored.length
    ? scored
        .map((a) => a.accuracy!)
        .sort((x, y) => x - y)
        .reduce((s, v) => s + v, 0) / scored.length
    : null;
}
