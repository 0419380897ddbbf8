/**
 * `retest dedup search|review|resolve`: near-duplicate detection (DESIGN §1.5).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../../core/errors.ts';
import {
  closestPairs,
  listTensors,
  openArraySearchSources,
  openImageSource,
  addKeepers,
  listKeepers,
  removeKeepers,
  searchArraySources,
  searchWorkspace,
  sourceLabel,
  updateDedupStatus,
  writeSearchSheets,
  formatDistance,
  type ArraySearchSources,
  type ArraySearchStep,
  type Descriptor,
  type ImageSource,
} from '../../dedup/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { cacheDir, dataDirOption, jsonOption, positiveInt, printJson } from '../options.ts';
import type { App } from '../types.ts';
import { queueOption } from './jobs.ts';

/**
 * The default descriptor: standardized pixels at 32² (docs/dedup.md: recall at least that of raw
 * pixels on every planted transformation, blind to brightness and contrast, and 3,072 values per
 * image whatever the source size, so ImageNet-size search stays a tractable GEMM).
 */
const DEFAULT_DESCRIPTOR = 'pixels-std@32';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function thresholdPair(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^(.+)=([0-9.eE+-]+)$/.exec(value);
  if (!m || !Number.isFinite(Number(m[2]))) {
    throw usageError('--threshold takes DESCRIPTOR=VALUE', {
      field: '--threshold',
      received: JSON.stringify(value),
      expected: 'e.g. pixels=1.2e8 or pixels-std=0.15',
    });
  }
  return { ...previous, [m[1] as string]: Number(m[2]) };
}

interface SearchFlags {
  queries?: string;
  references?: string[];
  trainReferences?: string[];
  workspace?: string;
  k?: number;
  descriptor?: string[];
  json?: boolean;
  out?: string;
  top: number;
  sheet: number;
  threshold?: Record<string, number>;
  autoDuplicateBelow?: number;
  workers?: number;
  dataDir?: string;
  listTensors?: string;
  dssimShortList?: boolean;
  approximate?: boolean;
  indexDescriptor: string;
  shortList: number;
  recallSample: number;
  queue?: string;
  detach?: boolean;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander declarations: one subcommand and its flags per block
export function register(program: Command, app: App): void {
  const dedup = program.command('dedup').summary('find near-duplicates of original images among new ones, review and resolve them');

  dedup
    .command('search')
    .summary('k nearest neighbours of every query image among reference sets')
    .description(
      'Exact k-nearest-neighbour search (squared L2 as a blocked matrix product on all cores).\n' +
        'Array mode: --queries X --references Y [--references Z]: X/Y are dataset names (cifar10-test) or paths\n' +
        '(.bin, uint8 .npy, image folders). A reference equal to the queries is searched without self-matches.\n' +
        'Workspace mode: --workspace DIR: candidates against the pool itself, the originals, any --references (val/test)\n' +
        'and --train-references; neighbours are stored for `retest dedup review` and dedup_status is updated.\n' +
        'Descriptors: pixels[@SIZE], pixels-std[@SIZE] (default pixels-std@32), features:MODEL.onnx#TENSOR, dssim.\n' +
        'dssim: in a workspace, searched (top --k) against the training images of the class and its 5 most similar classes,\n' +
        "all other originals and the candidates (as ImageNetV2); in array mode it re-ranks the previous descriptor's top 30.",
    )
    .option('--queries <name|path>', 'query images (array mode)')
    .option('--references <name|path>', 'reference set (repeatable; in a workspace: validation/test originals)', collect)
    .option(
      '--train-references <name|path>',
      'workspace mode: a labelled training set of originals (repeatable); dssim searches only its images of related classes',
      collect,
    )
    .addOption(workspaceOption())
    .option('-k, --k <n>', 'neighbours per query (default 10; 100 in workspace mode)', positiveInt('--k'))
    .option('--descriptor <spec>', 'descriptor (repeatable): pixels[@S] | pixels-std[@S] | features:M.onnx#T | dssim', collect)
    .option('--out <dir>', 'write a contact sheet (HTML) of the closest pairs and pairs JSON per descriptor here')
    .option('--top <n>', 'closest pairs listed on the terminal', positiveInt('--top'), 20)
    .option('--sheet <n>', 'pairs on each contact sheet', positiveInt('--sheet'), 100)
    .option('--threshold <descriptor=value>', 'review threshold (workspace mode; repeatable)', thresholdPair)
    .option(
      '--auto-duplicate-below <l2>',
      'workspace mode: mark raw-pixel pairs at or below this Euclidean (not squared) L2 as duplicates (CIFAR-10.1: 1000 at 32²)',
      Number,
    )
    .option('--dssim-short-list', "workspace mode: dssim re-scores only the other metrics' first 30 neighbours (fast; not the authors' search)")
    .option('--workers <n>', 'worker threads (default: all cores)', positiveInt('--workers'))
    .option('--approximate', 'array mode: HNSW index (usearch) over --index-descriptor, short list re-ranked exactly')
    .option('--index-descriptor <spec>', 'reduced descriptor indexed by --approximate', 'pixels-std@8')
    .option('--short-list <n>', 'candidates per query taken from the index and re-ranked', positiveInt('--short-list'), 100)
    .option('--recall-sample <n>', 'with --approximate: queries checked against exact search for recall@k (0: none)', Number, 200)
    .addOption(queueOption())
    .option('--detach', 'with --queue: submit the jobs and return at once (see `retest jobs status`)')
    .option('--list-tensors <model.onnx>', 'print the tensors of an ONNX model usable as features:MODEL#TENSOR, and exit')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (flags: SearchFlags) => {
      if (flags.listTensors) {
        const tensors = listTensors(readFileSync(flags.listTensors));
        if (flags.json) printJson({ model: flags.listTensors, tensors });
        else for (const t of tensors) process.stdout.write(`${t.op.padEnd(20)} ${t.name}\n`);
        return;
      }
      // Without --queries, the workspace is --workspace, else $RETEST_WORKSPACE, else the current folder (as every command).
      const inWorkspace =
        flags.workspace !== undefined || (!flags.queries && (process.env.RETEST_WORKSPACE !== undefined || existsSync(join(process.cwd(), 'retest.json'))));
      if (inWorkspace) await searchWorkspaceCommand(app, flags);
      else await searchArrays(flags);
    });

  dedup
    .command('review')
    .summary('serve the review page: pairs closer than the thresholds, d = duplicate, n = not')
    .description(
      'Serves the near-duplicate review page on 127.0.0.1 (prints its URL; Ctrl-C stops it): every pair closer than its\n' +
        'threshold, undecided first, both images side by side. Keys: d duplicate, n not duplicate, arrows move.\n' +
        'Decisions are stored with the reviewer name; then run `retest dedup resolve`.',
    )
    .addOption(workspaceOption())
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', portNumber, 0)
    .option('--reviewer <name>', 'name recorded with each decision (default: your user name)')
    .action(async (flags: { workspace?: string; port: number; reviewer?: string }) => {
      // The one server (src/server): the review is its /admin/dedup page, behind the admin token,
      // with the labelling app's security headers, rate limits and origin checks.
      const { startServer } = await import('../../server/index.ts');
      const server = await startServer({
        openWorkspace: async () => {
          const workspace = await app.openWorkspace(flags.workspace);
          return { workspace, stores: await app.storesOf(workspace) };
        },
        host: '127.0.0.1',
        port: flags.port,
        logger: false,
        dedupReviewer: flags.reviewer ?? safeUserName(),
      });
      process.stdout.write(`near-duplicate review: ${server.url}/admin/login?token=${server.adminToken}&next=/admin/dedup/
(press Ctrl-C to stop; then run \`retest dedup resolve\`)
`);
      const stop = () => void server.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  dedup
    .command('resolve')
    .summary('duplicate graph → excluded / kept candidates (writes dedup_status)')
    .description(
      'Builds the duplicate graph (pairs decided duplicate, exact duplicates, same source id) and writes dedup_status.\n' +
        'A group touching an original is excluded whole; a group of candidates keeps one image by the ImageNetV2 rule\n' +
        '(a `retest dedup keep` override; else the class with the fewest good candidates among those whose best member\n' +
        'scores ≥ 0.7, else ≥ 0.6, else the best; its most-selected member, ties to the highest id). A candidate with an\n' +
        'undecided close pair, or not searched with every metric used in the workspace, stays pending (ineligible).',
    )
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (flags: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(flags.workspace, async ({ dedup: stores }) => {
        const { resolutions, counts } = await updateDedupStatus(stores);
        if (flags.json) {
          printJson({
            counts,
            duplicates: resolutions.filter((r) => r.status === 'duplicate'),
            pending: resolutions.filter((r) => r.status === 'pending').map((r) => r.imageId),
          });
          return;
        }
        process.stdout.write(`candidates: ${resolutions.length}  clear: ${counts.clear}  pending review: ${counts.pending}  duplicate: ${counts.duplicate}\n`);
        for (const r of resolutions.filter((x) => x.status === 'duplicate').slice(0, 20)) process.stdout.write(`  duplicate ${r.imageId}: ${r.reason}\n`);
        if (counts.pending > 0)
          process.stdout.write(
            'pending candidates stay ineligible until they are searched with every metric and every pair closer than a threshold is decided (`retest dedup review`).\n',
          );
      });
    });

  keepCommand(dedup, app);
}

function keepCommand(dedup: Command, app: App): void {
  dedup
    .command('keep')
    .summary("manual keepers of duplicate groups of candidates (the authors' resolution override)")
    .description(
      'Names the candidate to keep in its group of near-duplicate candidates, overriding the automatic rule.\n' +
        'At most one keeper per group (two leave the group pending). --file takes a JSON array of image ids\n' +
        "(the ImageNetV2 authors' near_duplicate_resolution_override.json). Then run `retest dedup resolve`.",
    )
    .argument('[ids...]', 'candidate image ids')
    .option('--file <json>', 'a JSON array of candidate ids to keep')
    .option('--reason <text>', 'why (stored)', 'manual override')
    .option('--remove', 'remove these keepers instead')
    .option('--list', 'list the keepers')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (ids: string[], flags: { file?: string; reason: string; remove?: boolean; list?: boolean; workspace?: string; json?: boolean }) => {
      const all = [...ids, ...(flags.file ? keeperFile(flags.file) : [])];
      await app.withWorkspaceStores(flags.workspace, async ({ dedup: stores }) => {
        if (!flags.list) {
          if (all.length === 0)
            throw usageError('give candidate ids or --file', { field: 'ids', hint: 'e.g. retest dedup keep 3f2a… --reason "sharper copy"' });
          if (flags.remove) await removeKeepers(stores, all);
          else await addKeepers(stores, all, { reason: flags.reason, by: safeUserName() });
        }
        const keepers = await listKeepers(stores);
        if (flags.json) printJson({ keepers });
        else for (const k of keepers) process.stdout.write(`${k.imageId}\t${k.reason}\t${k.by}\t${k.at}\n`);
      });
    });
}

/** The ids of a keeper file: a JSON array of strings. */
function keeperFile(path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw usageError('cannot read the keeper file as JSON', { file: path, field: '--file', cause, expected: 'a JSON array of image ids' });
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw usageError('the keeper file must be a JSON array of image ids', {
      file: path,
      field: '--file',
      expected: '["<image id>", …]',
      received: JSON.stringify(parsed).slice(0, 80),
    });
  }
  return parsed as string[];
}

function safeUserName(): string {
  try {
    return userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}

/** `dedup search --queries … [--references …]`: the search runs in src/dedup (searchArraySources); this parses flags and prints. */
async function searchArrays(flags: SearchFlags): Promise<void> {
  if (!flags.queries)
    throw usageError('give --queries (with --references) or --workspace', {
      field: '--queries',
      hint: 'e.g. retest dedup search --queries new.npy --references cifar10-test',
    });
  const sources = await openArraySearchSources(flags.queries, flags.references ?? [], {
    cacheDir: cacheDir(),
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
  });
  const { queries, references } = sources;
  const k = flags.k ?? 10;
  const specs = flags.descriptor?.length ? flags.descriptor : [DEFAULT_DESCRIPTOR];
  const queue = flags.queue;
  const steps = searchArraySources(sources, {
    descriptors: specs,
    k,
    ...(flags.workers ? { workers: flags.workers } : {}),
    ...(flags.approximate
      ? { approximate: { indexDescriptor: flags.indexDescriptor, shortList: flags.shortList, recallSample: flags.json ? 0 : flags.recallSample } }
      : {}),
    // --queue: the same exact search as jobs for `retest worker` processes (src/jobs).
    ...(queue
      ? {
          exactSearch: async (descriptor: Descriptor, searchK: number) =>
            (await import('../../jobs/index.ts')).searchFromCli({
              queue,
              dataDir: flags.dataDir,
              queries,
              references,
              spec: descriptor.name,
              k: searchK,
              detach: !!flags.detach,
              quiet: !!flags.json,
            }),
        }
      : {}),
  });
  for await (const step of steps) {
    const a = step.approximate;
    if (a?.recall)
      process.stdout.write(
        `HNSW over ${a.index} (build ${a.buildSeconds.toFixed(1)} s, query ${a.querySeconds.toFixed(1)} s), short list ${a.shortList} re-ranked on ${step.descriptor}: recall@${k} ${(a.recall.recall * 100).toFixed(1)} % on ${a.recall.sampled} queries checked against exact search\n`,
      );
    if (flags.json) printNeighbourLines(sources, step, specs.length > 1);
    else printClosestPairs(sources, step, flags.top);
    if (flags.out) {
      const sheet = await writeSearchSheets(flags.out, sources, step, flags.sheet);
      if (!flags.json) process.stdout.write(`  contact sheet: ${sheet}\n`);
    }
  }
}

/** --json: one line per query with its neighbours (documented in docs/dedup.md). */
function printNeighbourLines({ queries, references }: ArraySearchSources, step: ArraySearchStep, withDescriptor: boolean): void {
  const lines = step.neighbours.map((list, q) =>
    JSON.stringify({
      query: sourceLabel(queries, q),
      ...(withDescriptor ? { descriptor: step.descriptor } : {}),
      neighbours: list.map((n) => ({ reference: sourceLabel(references[n.set]!, n.index), set: references[n.set]!.name, distance: n.distance })),
      ...(step.kernel ? { kernel: step.kernel.name } : {}),
    }),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printClosestPairs({ queries, references, selfSets }: ArraySearchSources, step: ArraySearchStep, top: number): void {
  const { kernel } = step;
  process.stdout.write(
    `${step.descriptor}: ${queries.count} queries × ${references.map((r) => `${r.count} ${r.name}`).join(' + ')} in ${step.seconds.toFixed(1)} s${kernel ? ` (kernel ${kernel.name})` : ''}; closest pairs:\n`,
  );
  for (const skipped of kernel?.skipped ?? []) process.stderr.write(`note: kernel ${skipped.name} not used: ${skipped.reason}\n`);
  for (const p of closestPairs(step.neighbours, selfSets, top)) {
    const ref = references[p.set]!;
    process.stdout.write(
      `  ${String(sourceLabel(queries, p.query)).padStart(6)} ${queries.name}  ↔  ${String(sourceLabel(ref, p.reference)).padStart(6)} ${ref.name}   ${formatDistance(p.distance)}\n`,
    );
  }
}

/** `--port`: an integer 0–65535 (0 = any free port), else a usage error naming the option. */
function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw usageError('--port must be an integer 0–65535', { field: '--port', expected: '0 (any free port) … 65535', received: JSON.stringify(value) });
  return n;
}

async function searchWorkspaceCommand(app: App, flags: SearchFlags): Promise<void> {
  const descriptors = flags.descriptor?.length ? flags.descriptor : [DEFAULT_DESCRIPTOR];
  if (flags.autoDuplicateBelow !== undefined && !descriptors.some((d) => /^pixels(@\d+)?$/.test(d))) {
    // The threshold is a raw-pixel squared L2 (CIFAR-10.1's 1000 at 32²): with no raw-pixel descriptor it would silently mark nothing.
    throw usageError('--auto-duplicate-below applies to raw-pixel distances only', {
      field: '--auto-duplicate-below',
      received: `descriptors ${descriptors.join(', ')}`,
      hint: 'add --descriptor pixels (e.g. --descriptor pixels --descriptor pixels-std)',
    });
  }
  await app.withWorkspaceStores(flags.workspace, async ({ workspace, dedup: stores }) => {
    const open = (name: string) =>
      openImageSource(name, { cacheDir: cacheDir(), side: workspace.config.squareSize, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) });
    const references: ImageSource[] = [];
    for (const name of flags.references ?? []) references.push(await open(name));
    const trainReferences: ImageSource[] = [];
    for (const name of flags.trainReferences ?? []) trainReferences.push(await open(name));
    const summary = await searchWorkspace(workspace, {
      stores,
      descriptors,
      references,
      trainReferences,
      ...(flags.dssimShortList ? { dssim: 'short-list' as const } : {}),
      ...(flags.k !== undefined ? { k: flags.k } : {}),
      ...(flags.threshold ? { thresholds: flags.threshold } : {}),
      ...(flags.autoDuplicateBelow !== undefined ? { autoDuplicateBelow: flags.autoDuplicateBelow } : {}),
      ...(flags.workers ? { workers: flags.workers } : {}),
      ...(flags.json ? {} : { onProgress: (m: string) => process.stderr.write(`${m}\n`) }),
    });
    if (flags.json) {
      printJson(summary);
      return;
    }
    process.stdout.write(`${summary.candidates} candidates searched\n`);
    for (const m of summary.metrics) {
      process.stdout.write(
        `  ${m.metric}: ${m.underThreshold} pairs ≤ ${m.threshold === null ? '(no threshold: give --threshold)' : formatDistance(m.threshold)} among the first 30, ${m.seconds.toFixed(1)} s${m.kernel ? ` (kernel ${m.kernel})` : ''}\n`,
      );
      if (m.thresholdNote) process.stderr.write(`note: ${m.metric}: ${m.thresholdNote}\n`);
    }
    if (summary.autoDuplicates) process.stdout.write(`  ${summary.autoDuplicates} pairs marked duplicate automatically\n`);
    process.stdout.write(`status: ${summary.status.clear} clear, ${summary.status.pending} pending review, ${summary.status.duplicate} duplicate\n`);
    if (summary.status.pending) process.stdout.write('next: retest dedup review, then retest dedup resolve\n');
  });
}
