/**
 * The shape of the source tree (CONTRIBUTING.md, "Layout"): which folder of `src/` may import which,
 * that the folder graph has no cycle, that a folder imports another only through its `index.ts`,
 * and that no folder but the composition root (`src/app`) touches another folder's schema.
 *
 * `MAY_IMPORT` is the layout in code: a folder's entry lists the folders it may import, with the
 * reason where the dependency is not obvious. A new folder, or a new dependency, is added here
 * (and to the picture in CONTRIBUTING.md); the test fails until it is.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** folder → the folders it may import (every folder may import `core`). */
const MAY_IMPORT: Record<string, { imports: string[]; why?: string }> = {
  core: { imports: [], why: 'errors, rng, hashes, files, csv, progress: the kernel every folder uses' },
  formats: { imports: [], why: 'file formats and the one sharp adapter (image-io.ts)' },
  classes: { imports: [], why: 'class lists (ImageNet, CIFAR-10, custom JSON)' },
  store: { imports: [], why: 'the database port (SqlDatabase), its SQLite and PostgreSQL adapters, migrations' },
  onnx: { imports: [], why: 'the one onnxruntime adapter' },
  analyze: { imports: [] },
  preprocess: { imports: ['formats'] },
  datasets: { imports: ['classes', 'formats', 'store'], why: 'store: the content-hash cache is a small store of its own (file-hash-store.ts)' },
  results: { imports: ['store'] },
  evaluate: { imports: ['analyze', 'datasets', 'formats', 'onnx', 'preprocess', 'results'], why: 'analyze: accuracy intervals in the summary; preprocess: the tensors a model is fed (issue 15 owns evaluate)' },
  import: { imports: ['analyze', 'datasets', 'formats', 'results'], why: 'analyze: import/types re-exports CountRecord (known; a candidate for results)' },
  report: { imports: ['analyze', 'import', 'results'], why: 'import: the published accuracy tables and the frequency files the report draws (known; they belong in a data folder)' },
  catalog: { imports: ['classes', 'store'] },
  workspace: { imports: ['catalog', 'classes', 'store'], why: 'catalog: the class list is written and read at init/open (legacy-sync.ts, until opening is async)' },
  label: { imports: ['store'] },
  collect: { imports: ['catalog', 'classes', 'formats', 'store', 'workspace'], why: 'catalog: status and failures; store/workspace: ingest still writes images on the synchronous Db (TODO: through ImageCatalog)' },
  dedup: {
    imports: ['datasets', 'evaluate', 'formats', 'label', 'onnx', 'store', 'workspace'],
    why: 'evaluate: model sidecars and image→tensor for CNN-feature descriptors (known; they belong in onnx/preprocess); label: selection frequencies choose the keeper of a duplicate group',
  },
  sample: { imports: ['label', 'store'], why: 'label: the SelectionFrequency type and reference histograms' },
  export: { imports: ['catalog', 'formats', 'sample'] },
  plan: { imports: ['analyze', 'label', 'sample', 'store'], why: 'sample: the histogram rounding a plan simulates; store/label: the pilot answers (legacy Db)' },
  server: {
    imports: ['catalog', 'classes', 'dedup', 'formats', 'label', 'sample', 'store', 'workspace'],
    why: 'the only web layer: labelling app, dashboard, sample review and the near-duplicate review pages over their stages',
  },
  jobs: {
    imports: ['collect', 'datasets', 'dedup', 'evaluate', 'formats', 'results', 'workspace'],
    why: 'the job kinds run the stages\' own functions on shards (eval, describe, dedup search, ingest) through BullMQ or in-process',
  },
  cli: {
    imports: ['analyze', 'catalog', 'classes', 'collect', 'datasets', 'dedup', 'evaluate', 'export', 'formats', 'import', 'jobs', 'label', 'onnx', 'plan', 'report', 'results', 'sample', 'server', 'store', 'workspace'],
    why: 'one command per stage; never src/app (the App is passed in)',
  },
  app: { imports: ['*'], why: 'the composition root: the one place that knows every stage' },
};

/**
 * Imports of a file that is not the folder's index.ts, allowed with a reason. Keys are
 * `from-folder-or-file -> to-file` (paths under src/); `*` matches any folder.
 */
const DEEP_IMPORTS: Record<string, string> = {
  '* -> core/*': 'core imports nothing outside itself, so a deep import cannot form a cycle; many stages import core/errors.ts directly',
  'app -> */schema.ts': 'the composition root composes every stage\'s migrations without loading the stages (start-up stays light)',
  'app -> cli/main.ts': 'the composition root builds and runs the CLI (cli has no index.ts: commands load lazily)',
  'app -> cli/types.ts': 'the App contract the composition root implements',
  'app -> cli/app-results.ts': 'the App contract (results half)',
  'app -> cli/app-workspace.ts': 'the App contract (workspace half)',
  'app -> server/sql-server-store.ts': 'the composition root builds the server\'s store for every workspace command without loading Fastify (server/index.ts loads the app)',
  'cli/commands/jobs.ts -> jobs/queue-url.ts': 'the --queue option is declared by eval/dedup/collect without loading BullMQ (jobs/index.ts loads it)',
};

interface Edge { fromFile: string; toFile: string; from: string; to: string; names: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?([^'";]*?)\s*from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const fromFile = relative(SRC, file);
    const from = fromFile.split('/')[0]!;
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[2] ?? m[3]!;
      const toFile = relative(SRC, resolve(dirname(file), spec));
      if (toFile.startsWith('..')) continue;
      const to = toFile.split('/')[0]!;
      if (to !== from && toFile.includes('/')) out.push({ fromFile, toFile, from, to, names: m[1] ?? '' });
    }
  }
  return out;
}

const all = edges();
const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());

function deepAllowed(e: Edge): boolean {
  const toRest = e.toFile.slice(e.to.length + 1);
  return Object.keys(DEEP_IMPORTS).some((key) => {
    const [left, right] = key.split(' -> ') as [string, string];
    const fromOk = left === '*' || left === e.from || left === e.fromFile;
    const rightOk = right === e.toFile || (right.endsWith('/*') && right.slice(0, -2) === e.to) || (right.startsWith('*/') && toRest === right.slice(2));
    return fromOk && rightOk;
  });
}

describe('the folder layout', () => {
  it('lists every folder of src/ in MAY_IMPORT', () => {
    expect(folders.filter((f) => !(f in MAY_IMPORT)).map((f) => `src/${f} has no entry in MAY_IMPORT (test/architecture.test.ts)`)).toEqual([]);
  });

  it('a folder imports only the folders its MAY_IMPORT entry lists (and core)', () => {
    const refused = all
      .filter((e) => e.to !== 'core' && !MAY_IMPORT[e.from]?.imports.includes('*') && !MAY_IMPORT[e.from]?.imports.includes(e.to))
      .map((e) => `${e.fromFile} → ${e.toFile}`);
    expect([...new Set(refused)]).toEqual([]);
  });

  it('MAY_IMPORT (and so the folder import graph) has no cycle', () => {
    const graph = new Map(Object.entries(MAY_IMPORT).map(([f, e]) => [f, e.imports.includes('*') ? [] : [...e.imports, ...(f === 'core' ? [] : ['core'])]]));
    // Nothing may import the composition root.
    for (const [f, e] of Object.entries(MAY_IMPORT)) expect(e.imports.includes('app') ? f : null).toBeNull();
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' → ')); return; }
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
    // The actual graph is a subgraph of MAY_IMPORT (previous test), so it has no cycle either.
  });

  it('a folder imports another only through its index.ts (or a listed deep import)', () => {
    const deep = all.filter((e) => !/^[^/]+\/index\.ts$/.test(e.toFile) && !deepAllowed(e)).map((e) => `${e.fromFile} → ${e.toFile}`);
    expect([...new Set(deep)]).toEqual([]);
  });

  it('no folder but src/app imports another folder\'s schema or migrations', () => {
    const schema = all
      .filter((e) => e.from !== 'app' && e.to !== 'store')
      .filter((e) => /\/(schema|tables|migrations)\.ts$/.test(e.toFile) || /\b\w*(?:Migrations|MIGRATIONS)\b/.test(e.names))
      .map((e) => `${e.fromFile} → ${e.toFile} (${e.names.replace(/\s+/g, ' ')})`);
    expect(schema).toEqual([]);
  });

  it('the checks see the imports (the parser finds known edges)', () => {
    expect(all.some((e) => e.fromFile === 'app/migrations.ts' && e.toFile === 'catalog/schema.ts')).toBe(true);
    expect(all.some((e) => e.fromFile === 'app/workspace.ts' && e.toFile === 'app/workspace-stores.ts')).toBe(false); // same folder
    expect(all.some((e) => e.fromFile.startsWith('cli/commands/') && e.to === 'sample')).toBe(true);
  });
});
