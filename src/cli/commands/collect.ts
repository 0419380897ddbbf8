import { Option, type Command } from 'commander';
import { z } from 'zod';
import { findClass, type ClassDef } from '../../classes/index.ts';
import { usageError } from '../../core/errors.ts';
import { terminalProgress } from '../../core/progress.ts';
import {
  FlickrClient,
  arrayCandidateSource,
  collectStatus,
  flickrSource,
  folderSource,
  ingest,
  listIngestFailures,
  parseDateWindow,
  urlListSource,
  type CandidateSource,
  type IngestSummary,
} from '../../collect/index.ts';
import { workspaceOption, type Workspace } from '../../workspace/index.ts';
import { dataDirOption, jsonOption, positiveInt, printJson } from '../options.ts';
import { parseFile } from '../../core/parse.ts';
import type { App } from '../types.ts';
import { queueOption } from './jobs.ts';

interface CommonOptions {
  workspace?: string;
  json?: boolean;
  concurrency: number;
  role: 'candidate' | 'reference';
  maxMb: number;
  timeout: number;
  queue?: string;
  dataDir?: string;
}

function common(command: Command): Command {
  return command
    .addOption(workspaceOption())
    .addOption(
      new Option('--role <role>', 'candidate (collected) or reference (original test-set images)').choices(['candidate', 'reference']).default('candidate'),
    )
    .option('--concurrency <n>', 'images processed at once', positiveInt('--concurrency'), 4)
    .option('--max-mb <n>', 'largest image accepted, in MiB (larger ones are recorded as failures)', positiveInt('--max-mb'), 25)
    .option('--timeout <seconds>', 'per-download timeout', positiveInt('--timeout'), 30)
    .addOption(queueOption())
    .addOption(dataDirOption())
    .addOption(jsonOption());
}

function resolveClass(classes: readonly ClassDef[], key: string, option: string): number {
  const c = findClass(classes, key);
  if (!c)
    throw usageError(`${option}: no such class in the workspace`, {
      field: option,
      received: JSON.stringify(key),
      expected: 'a class id (wnid), index or name; see retest classes',
    });
  return c.index;
}

async function run(
  app: App,
  options: CommonOptions,
  build: (workspace: Workspace) => CandidateSource,
  extra: (s: CandidateSource) => Record<string, unknown> = () => ({}),
): Promise<void> {
  await app.withWorkspace(options.workspace, async (workspace) => {
    let source = build(workspace);
    const ingestOptions = {
      role: options.role,
      concurrency: options.concurrency,
      maxBytes: options.maxMb * 1024 * 1024,
      timeoutMs: options.timeout * 1000,
      progress: terminalProgress({ quiet: options.json === true, unit: 'images' }),
    };
    // --queue: the files are made by `retest worker` processes (src/jobs/ingest-jobs.ts); the rows here, as always.
    const summary: IngestSummary = options.queue
      ? await (await import('../../jobs/index.ts')).ingestFromCli({
          queue: options.queue,
          dataDir: options.dataDir,
          workspace,
          source: () => (source = build(workspace)),
          options: ingestOptions,
          quiet: options.json === true,
        })
      : await ingest(workspace, source, ingestOptions);
    const out = { workspace: workspace.dir, source: source.name, role: options.role, ...summary, ...extra(source) };
    if (options.json) printJson(out);
    else {
      process.stdout.write(
        `${source.name}: ${summary.seen} seen, ${summary.ingested} ingested (${summary.exactDuplicates} exact duplicates, ${summary.otherClassLinks} linked to another class), ${summary.skipped} already there, ${summary.failed} failed\n`,
      );
      for (const r of summary.failureReasons) process.stdout.write(`  ${String(r.count).padStart(6)} × ${r.reason}\n`);
      if (summary.failed > 0) process.stdout.write(`see them with: retest collect failures --workspace ${workspace.dir}\n`);
    }
  });
}

const overridesSchema = z.record(z.string(), z.array(z.string().min(1)).min(1));

export function register(program: Command, app: App): void {
  const collect = program
    .command('collect')
    .description('collect candidate images into the workspace: Flickr search, a folder, a URL list, image arrays')
    .addHelpText(
      'after',
      `
Every image is stored three times under blobs/: the original, a copy with the longer side 500 px
(JPEG q90; shown to labellers and exported) and a squashed square copy (near-duplicate search).
Re-running a command resumes: images already ingested are skipped; failures are recorded
(retest collect failures) and retried on the next run.`,
    );
  registerFlickr(collect, app);
  registerFolder(collect, app);
  registerUrls(collect, app);
  registerArrays(collect, app);
  registerStatus(collect, app);
  registerFailures(collect, app);
}

type FlickrOptions = CommonOptions & {
  classes?: string;
  perClass: number;
  uploaded: string;
  taken?: string;
  widen?: string;
  perPage: number;
  rate: number;
  sort: string;
  appendHypernym?: boolean;
  concatCompounds?: boolean;
  keywords?: string;
  baseUrl?: string;
};

function registerFlickr(collect: Command, app: App): void {
  common(
    collect
      .command('flickr')
      .description('search Flickr (flickr.photos.search), one query per lemma, oldest first, and ingest the results')
      .option('--classes <list>', 'comma-separated class ids/indices/names (default: all classes)')
      .option('--per-class <n>', 'candidates per class, split evenly over its queries', positiveInt('--per-class'), 200)
      .option('--uploaded <from..to>', 'upload-date window, both days inclusive', '2012-07-11..2013-07-11')
      .option('--taken <from..to>', 'taken-date window; "uploaded": the upload window (also when widened); "any": no filter', 'uploaded')
      .option('--widen <windows>', 'comma-separated further upload windows for queries that ran short (e.g. 2013-07-12..2014-07-11)')
      .option('--per-page <n>', 'results per search page (≤ 500)', positiveInt('--per-page'), 100)
      .option(
        '--rate <requests-per-second>',
        'API request rate limit',
        (v) => {
          const n = Number(v);
          if (!(n > 0)) throw usageError('--rate must be a positive number', { field: '--rate', received: JSON.stringify(v) });
          return n;
        },
        1,
      )
      .option('--sort <order>', 'Flickr sort order', 'date-posted-asc')
      .option('--append-hypernym', 'append the hypernym name to each lemma when it occurs in the gloss')
      .option('--concat-compounds', 'also search multi-word lemmas with the words joined')
      .option('--keywords <file.json>', 'hand-written queries per class: {"n01440764": ["tench fish"], …}')
      .addOption(new Option('--base-url <url>', 'Flickr REST endpoint').env('FLICKR_API_URL'))
      .addHelpText(
        'after',
        `
The API key is read from FLICKR_API_KEY.
Example:
  $ FLICKR_API_KEY=… retest collect flickr --per-class 200 --uploaded 2012-07-11..2013-07-11 --workspace my-v2`,
      ),
  ).action((options: FlickrOptions) => collectFlickr(app, options));
}

/** `collect flickr`: the flags checked, the Flickr source built per workspace, ingested. */
async function collectFlickr(app: App, options: FlickrOptions): Promise<void> {
  if (options.perPage > 500) throw usageError("--per-page must be at most 500 (Flickr's limit)", { field: '--per-page', received: String(options.perPage) });
  const uploaded = parseDateWindow(options.uploaded, '--uploaded');
  const taken =
    options.taken === 'uploaded' || options.taken === 'any'
      ? options.taken === 'any'
        ? undefined
        : 'uploaded'
      : parseDateWindow(options.taken ?? '', '--taken');
  const widen = options.widen ? options.widen.split(',').map((w) => parseDateWindow(w.trim(), '--widen')) : [];
  const overrides = options.keywords ? readOverrides(options.keywords) : undefined;
  const client = new FlickrClient({
    apiKey: process.env.FLICKR_API_KEY ?? '',
    requestsPerSecond: options.rate,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
  await run(
    app,
    options,
    (workspace) =>
      flickrSource({
        client,
        classes: workspace.classes,
        ...(options.classes ? { classIndices: options.classes.split(',').map((k) => resolveClass(workspace.classes, k.trim(), '--classes')) } : {}),
        perClass: options.perClass,
        uploaded,
        ...(taken ? { taken } : {}),
        widenUploaded: widen,
        perPage: options.perPage,
        sort: options.sort,
        appendHypernym: options.appendHypernym === true,
        concatenateCompounds: options.concatCompounds === true,
        ...(overrides ? { overrides } : {}),
      }),
    () => ({ apiRequests: client.requests }),
  );
}

function registerFolder(collect: Command, app: App): void {
  common(
    collect
      .command('folder')
      .description('ingest every image file under a folder')
      .argument('<dir>', 'folder of images (JPEG, PNG, WebP, …), searched recursively')
      .option('--class <id>', 'class of every image; without it, each top-level sub-folder names a class')
      .addHelpText(
        'after',
        `
Examples:
  $ retest collect folder ./photos/tench --class n01440764
  $ retest collect folder ./val --role reference     # ./val/n01440764/*.JPEG, …`,
      ),
  ).action(async (dir: string, options: CommonOptions & { class?: string }) => {
    await run(app, options, (workspace) =>
      folderSource({
        root: dir,
        classes: workspace.classes,
        ...(options.class !== undefined ? { classIdx: resolveClass(workspace.classes, options.class, '--class') } : {}),
      }),
    );
  });
}

function registerUrls(collect: Command, app: App): void {
  common(
    collect
      .command('urls')
      .description('download and ingest the images of a URL list (CSV)')
      .argument('<file.csv>', 'CSV with a header: url, and optionally class, keyword, uploaded_at, taken_at, source, source_id')
      .option('--class <id>', 'class of rows without a class column')
      .addHelpText(
        'after',
        `
Example list:
  url,class,keyword,uploaded_at
  https://example.org/a.jpg,n01440764,tench,2013-01-02T10:00:00Z`,
      ),
  ).action(async (file: string, options: CommonOptions & { class?: string }) => {
    await run(app, options, (workspace) =>
      urlListSource({
        file,
        classes: workspace.classes,
        ...(options.class !== undefined ? { classIdx: resolveClass(workspace.classes, options.class, '--class') } : {}),
      }),
    );
  });
}

function registerArrays(collect: Command, app: App): void {
  common(
    collect
      .command('arrays')
      .description('ingest images stored as arrays: a CIFAR-10 .bin batch or an NPY uint8 (N, H, W, 3) file')
      .argument('<file>', 'CIFAR .bin (labels inside) or .npy')
      .option('--labels <file.npy>', 'one class index per image (default: the labels of a .bin)')
      .option('--class <id>', 'class of every image')
      .option('--keywords <file>', 'one keyword per image: JSON array of strings, or one line per image')
      .option('--limit <n>', 'only the first n images', positiveInt('--limit'))
      .addHelpText(
        'after',
        `
Examples:
  $ retest collect arrays test_batch.bin --role reference
  $ retest collect arrays pool_data.npy --labels pool_labels.npy --keywords pool_keywords.json`,
      ),
  ).action(async (file: string, options: CommonOptions & { labels?: string; class?: string; keywords?: string; limit?: number }) => {
    await run(app, options, (workspace) =>
      arrayCandidateSource({
        file,
        classes: workspace.classes,
        ...(options.labels ? { labelsFile: options.labels } : {}),
        ...(options.class !== undefined ? { classIdx: resolveClass(workspace.classes, options.class, '--class') } : {}),
        ...(options.keywords ? { keywordsFile: options.keywords } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
      }),
    );
  });
}

function registerStatus(collect: Command, app: App): void {
  collect
    .command('status')
    .description('how many images each class has, and how many failures are still open')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ workspace, catalog }) => {
        const status = await collectStatus(catalog, workspace.classes.length);
        if (options.json) printJson({ workspace: workspace.dir, ...status });
        else {
          const counts = status.perClass;
          const min = Math.min(...counts);
          const short = counts
            .map((n, i) => ({ n, i }))
            .filter((x) => x.n === min)
            .slice(0, 5)
            .map((x) => workspace.classes[x.i]?.id);
          process.stdout.write(
            `${status.images.candidate} candidates (${status.distinctCandidates} distinct), ${status.images.reference} references (per class ${Math.min(...status.referencePerClass)}…${Math.max(...status.referencePerClass)}); ` +
              `candidates per class min ${min} (${short.join(', ')}${counts.filter((n) => n === min).length > 5 ? ', …' : ''}), max ${Math.max(...counts)}; ${status.openFailures} open failures\n`,
          );
        }
      });
    });
}

function registerFailures(collect: Command, app: App): void {
  collect
    .command('failures')
    .description('list recorded ingest failures, newest first')
    .addOption(workspaceOption())
    .option('--limit <n>', 'how many', positiveInt('--limit'), 50)
    .addOption(jsonOption())
    .action(async (options: { workspace?: string; json?: boolean; limit: number }) => {
      await app.withWorkspaceStores(options.workspace, async ({ workspace, catalog }) => {
        const failures = await listIngestFailures(catalog, options.limit);
        if (options.json) printJson({ workspace: workspace.dir, failures });
        else for (const f of failures) process.stdout.write(`${f.at}  ${f.source}  ${f.urlOrPath}\n    ${f.reason}\n`);
      });
    });
}

function readOverrides(file: string): Record<string, string[]> {
  return parseFile(file, overridesSchema, { what: 'the keyword overrides', expected: 'JSON: {"<class id>": ["query", …]}' });
}
