/**
 * Every sub-command, in pipeline order (`retest --help` lists them in this order). Each lives in one
 * file of this folder exporting `register(program, app)`; the file is loaded only when its command
 * runs (or its help is asked for), so `retest --help` and `retest analyze` do not load the web
 * server, onnxruntime, sharp or SQLite. `summary` is what the top-level help shows; a test checks
 * that it equals the command's own summary.
 */
import type { RegisterCommand } from '../types.ts';

export type { RegisterCommand } from '../types.ts';

/** One top-level command: its name, its one-line summary, and how to load its module. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ register: RegisterCommand }>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'datasets', summary: 'list the named datasets and where they are', load: () => import('./datasets.ts') },
  { name: 'fetch', summary: 'download a named dataset into the cache', load: () => import('./fetch.ts') },
  { name: 'eval', summary: 'run an ONNX classifier on a test set and store every prediction', load: () => import('./eval.ts') },
  {
    name: 'runs',
    summary: 'list the runs in the results store with their provenance (model hash, preprocessing, provider, version, test-set content)',
    load: () => import('./runs.ts'),
  },
  { name: 'preprocess', summary: 'write the tensors `retest eval` feeds a model, to inspect or compare', load: () => import('./preprocess.ts') },
  {
    name: 'import',
    summary: "import predictions made elsewhere (ImageNetV2 / CIFAR-10.1 authors' files, CSV, NPY) or published accuracy tables",
    load: () => import('./import.ts'),
  },
  { name: 'analyze', summary: 'the generalization gap between two test sets, its uncertainty and the trend across models', load: () => import('./analyze.ts') },
  { name: 'report', summary: "HTML report with plots and tables (offline; the paper's figures by default)", load: () => import('./report.ts') },
  { name: 'plan', summary: 'plan a test set: its size, the models a trend needs, the candidates and answers a build needs', load: () => import('./plan.ts') },
  { name: 'init', summary: 'create a workspace folder (config, SQLite database, image blobs) for building a new test set', load: () => import('./init.ts') },
  { name: 'classes', summary: 'print a class list: index, wnid, lemmas, gloss, hypernyms and most similar classes', load: () => import('./classes.ts') },
  {
    name: 'keywords',
    summary: "CIFAR-10.1's keyword allocation: images per keyword in proportion to the original dataset's keyword counts",
    load: () => import('./keywords.ts'),
  },
  {
    name: 'collect',
    summary: 'collect candidate images into the workspace: Flickr search, a folder, a URL list, image arrays',
    load: () => import('./collect.ts'),
  },
  { name: 'tasks', summary: 'labelling tasks: 42 candidates + 3 positive + 3 negative controls per task, N workers each', load: () => import('./tasks.ts') },
  { name: 'answers', summary: 'import crowd answers and review workers', load: () => import('./answers.ts') },
  { name: 'frequencies', summary: 'selection frequencies per class, the reference histograms and control accuracy', load: () => import('./frequencies.ts') },
  { name: 'dedup', summary: 'find near-duplicates of original images among new ones, review and resolve them', load: () => import('./dedup.ts') },
  { name: 'sample', summary: 'sample the new test set from eligible candidates; every run is a stored revision', load: () => import('./sample.ts') },
  { name: 'blacklist', summary: 'exclude candidates from sampling, with a reason (kept for the record)', load: () => import('./blacklist.ts') },
  { name: 'export', summary: 'write a sample revision as a test set others can load (read back by `retest eval`)', load: () => import('./export.ts') },
  { name: 'serve', summary: 'serve the labelling app (invite links, MTurk ExternalQuestion) and the builder dashboard', load: () => import('./serve.ts') },
  { name: 'labellers', summary: 'invite labellers (personal links to the labelling app)', load: () => import('./labellers.ts') },
  { name: 'db', summary: 'schema version of a store: applied, pending and unknown migrations', load: () => import('./db.ts') },
  {
    name: 'worker',
    summary: 'take jobs (eval, describe, dedup search, ingest) from a Redis queue and run them, on any machine',
    load: () => import('./worker.ts'),
  },
  { name: 'jobs', summary: 'job groups on a queue: progress, parked jobs with their errors; retry or cancel', load: () => import('./jobs.ts') },
  {
    name: 'mturk',
    summary: 'MTurk ExternalQuestion mode of `retest serve`: off unless turned on for a batch of tasks with its published HITs',
    load: () => import('./mturk.ts'),
  },
];
