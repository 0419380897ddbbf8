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
  evaluate: {
    imports: ['analyze', 'datasets', 'formats', 'onnx', 'preprocess', 'results'],
    why: 'analyze: accuracy intervals in the summary; preprocess: the tensors a model is fed (issue 15 owns evaluate)',
  },
  import: { imports: ['analyze', 'datasets', 'formats', 'results'], why: 'analyze: import/types re-exports CountRecord (known; a candidate for results)' },
  report: {
    imports: ['analyze', 'import', 'results'],
    why: 'import: the published accuracy tables and the frequency files the report draws (known; they belong in a data folder)',
  },
  catalog: { imports: ['classes', 'store'] },
  workspace: {
    imports: ['catalog', 'classes', 'store'],
    why: 'catalog: the class list is written at init and read at open, through ImageCatalog',
  },
  label: { imports: ['store'] },
  collect: {
    imports: ['catalog', 'classes', 'formats', 'workspace'],
    why: 'catalog: ingest writes its rows and failures through ImageCatalog; workspace: the folder, its config and its database',
  },
  dedup: {
    imports: ['datasets', 'evaluate', 'formats', 'label', 'onnx', 'store', 'workspace'],
    why: 'evaluate: model sidecars and image→tensor for CNN-feature descriptors (known; they belong in onnx/preprocess); label: selection frequencies choose the keeper of a duplicate group',
  },
  sample: { imports: ['label', 'store'], why: 'label: the SelectionFrequency type and reference histograms' },
  export: { imports: ['catalog', 'formats', 'sample'] },
  plan: {
    imports: ['analyze', 'label', 'sample'],
    why: 'sample: the histogram rounding a plan simulates; label: the SelectionFrequency type and reference histograms of a pilot (read through PilotSources)',
  },
  server: {
    imports: ['catalog', 'classes', 'dedup', 'formats', 'label', 'sample', 'store', 'workspace'],
    why: 'the only web layer: labelling app, dashboard, sample review and the near-duplicate review pages over their stages',
  },
  jobs: {
    imports: ['collect', 'datasets', 'dedup', 'evaluate', 'formats', 'results', 'workspace'],
    why: "the job kinds run the stages' own functions on shards (eval, describe, dedup search, ingest) through BullMQ or in-process",
  },
  cli: {
    imports: [
      'analyze',
      'catalog',
      'classes',
      'collect',
      'datasets',
      'dedup',
      'evaluate',
      'export',
      'formats',
      'import',
      'jobs',
      'label',
      'onnx',
      'plan',
      'report',
      'results',
      'sample',
      'server',
      'store',
      'workspace',
    ],
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
  'app -> */schema.ts': "the composition root composes every stage's migrations without loading the stages (start-up stays light)",
  'app -> cli/main.ts': 'the composition root builds and runs the CLI (cli has no index.ts: commands load lazily)',
  'app -> cli/types.ts': 'the App contract the composition root implements',
  'app -> cli/app-results.ts': 'the App contract (results half)',
  'app -> cli/app-workspace.ts': 'the App contract (workspace half)',
  'app -> server/sql-server-store.ts':
    "the composition root builds the server's store for every workspace command without loading Fastify (server/index.ts loads the app)",
  'cli/commands/jobs.ts -> jobs/queue-url.ts': 'the --queue option is declared by eval/dedup/collect without loading BullMQ (jobs/index.ts loads it)',
};

interface Edge {
  fromFile: string;
  toFile: string;
  from: string;
  to: string;
  names: string;
}

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
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
        return;
      }
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

  it("no folder but src/app imports another folder's schema or migrations", () => {
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

/**
 * The test layout (CONTRIBUTING.md, "Layout"): tests mirror src by folder. A test of src/X/y.ts is
 * test/X/y*.test.ts; a feature test of stage X (a command, a conformance suite) is test/X/*.test.ts;
 * browser tests are test/e2e/; only the tests over the source tree sit at test/ itself.
 */
const TEST = resolve(import.meta.dirname);
const ROOT_TESTS = ['architecture.test.ts'];
/** Feature tests whose name is also a file of another folder, with what they test. */
const FEATURE_TESTS: Record<string, string> = {
  'catalog/ingest.conformance.test.ts': "the catalog's ingest calls (ImageCatalog), not src/collect/ingest.ts",
};

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [relative(TEST, path)] : [];
  });
}

/** The folders of src whose files are named `stem` (src/cli/commands/<verb>.ts left out: verbs are named after their stages). */
function stemFolders(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    if (rel.startsWith('cli/commands/')) continue;
    const stem = rel.slice(rel.lastIndexOf('/') + 1, -'.ts'.length);
    if (stem === 'index' || stem === 'types' || stem === 'schema') continue;
    if (!out.has(stem)) out.set(stem, new Set());
    out.get(stem)!.add(rel.split('/')[0]!);
  }
  return out;
}

/** The problems of one test path (relative to test/) under the layout rule. */
function layoutProblems(path: string, srcFolders: readonly string[], stems: Map<string, Set<string>>): string[] {
  const parts = path.split('/');
  if (parts.length === 1)
    return ROOT_TESTS.includes(path) ? [] : [`test/${path}: a test at test/ itself (only ${ROOT_TESTS.join(', ')}): move it to test/<src folder>/`];
  const [folder, name] = [parts[0]!, parts[parts.length - 1]!];
  if (folder === 'e2e') return [];
  if (parts.length > 2) return [`test/${path}: tests are not nested below test/<src folder>/: move it to test/${folder}/${name}`];
  if (!srcFolders.includes(folder)) return [`test/${path}: test/${folder}/ mirrors no folder of src/`];
  const stem = name.slice(0, -'.test.ts'.length);
  const named = (s: string) => stem === s || stem.startsWith(`${s}-`) || stem.startsWith(`${s}.`);
  if (stem === folder || path in FEATURE_TESTS || [...stems].some(([s, fs]) => fs.has(folder) && named(s))) return [];
  // Named after a file of exactly one other folder: it belongs beside that file's tests.
  const elsewhere = [...stems].filter(([s, fs]) => fs.size === 1 && named(s)).map(([s, fs]) => `src/${[...fs][0]}/${s}.ts`);
  return elsewhere.length > 0
    ? [`test/${path}: named after ${elsewhere.join(', ')}: move it to test/${elsewhere[0]!.split('/')[1]}/ (or name the feature it tests)`]
    : [];
}

describe('the test layout', () => {
  const stems = stemFolders();

  it('every test mirrors a src folder, named after a file of that folder or a feature of it', () => {
    expect(testFiles(TEST).flatMap((p) => layoutProblems(p, folders, stems))).toEqual([]);
  });

  it('no test files inside src/', () => {
    expect(
      sourceFiles(SRC)
        .filter((f) => /\.(test|spec)\.ts$/.test(f))
        .map((f) => relative(SRC, f)),
    ).toEqual([]);
  });

  it('the rule refuses misplaced tests (and accepts the layouts it should)', () => {
    const bad = ['frequency-bins.test.ts', 'core/deep/rng.test.ts', 'nowhere/x.test.ts', 'server/npy.test.ts'];
    expect(bad.map((p) => layoutProblems(p, folders, stems).length)).toEqual([1, 1, 1, 1]);
    expect(layoutProblems('server/npy.test.ts', folders, stems)[0]).toMatch(/named after src\/formats\/npy\.ts: move it to test\/formats\//);
    const good = [
      'formats/npy.test.ts',
      'formats/npy-header.test.ts',
      'plan/plan.test.ts',
      'dedup/cli.test.ts',
      'e2e/labelling.test.ts',
      'architecture.test.ts',
    ];
    expect(good.flatMap((p) => layoutProblems(p, folders, stems))).toEqual([]);
  });
});

/**
 * Contracts live in `types.ts` with a doc comment on every field (CONTRIBUTING.md): the fields of
 * every interface and type literal there (not the parameters of methods), counted with the
 * TypeScript parser. No field may be undocumented, in any types.ts, old or new.
 */
const UNDOCUMENTED_FIELDS: Record<string, number> = {};

async function undocumentedFields(file: string): Promise<string[]> {
  const ts = (await import('typescript')).default;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: import('typescript').Node, inParameter: boolean) => {
    const param = inParameter || ts.isParameter(node) || ts.isMethodSignature(node) || ts.isFunctionTypeNode(node);
    if (ts.isPropertySignature(node) && !inParameter && ts.getJSDocCommentsAndTags(node).length === 0) {
      out.push(`${relative(SRC, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.name.getText()}`);
    }
    ts.forEachChild(node, (child) => visit(child, param && !ts.isPropertySignature(node) ? true : param));
  };
  visit(source, false);
  return out;
}

describe('contracts are documented', () => {
  it('every field in a types.ts has a doc comment', async () => {
    const files = sourceFiles(SRC).filter((f) => f.endsWith('/types.ts'));
    expect(files.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const file of files) missing.push(...(await undocumentedFields(file)));
    expect(missing).toEqual([]);
    expect(UNDOCUMENTED_FIELDS).toEqual({});
  });

  it('the export manifest and the eval --json shapes are complete', async () => {
    expect(await undocumentedFields(join(SRC, 'export', 'types.ts'))).toEqual([]);
    expect((await undocumentedFields(join(SRC, 'evaluate', 'types.ts'))).filter((f) => /Summary|ci95|correct/.test(f))).toEqual([]);
  });
});

/**
 * Where a server source reads a request's body or query string by hand: `request.body`,
 * `request['query']`, `const { body } = request`, a `Body`/`Querystring` type argument (a cast in
 * disguise), or a POST route whose handler does not call `parseBody`. Only src/server/request-input.ts
 * (parseBody/parseQuery: a zod schema through parseValue) may read them.
 */
async function handReadInput(file: string, text: string): Promise<string[]> {
  const ts = (await import('typescript')).default;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const at = (node: import('typescript').Node, what: string) => out.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${what}`);
  const isRequest = (node: import('typescript').Node) => ts.isIdentifier(node) && /^(req|request)$/i.test(node.text);
  const isPart = (name: string) => name === 'body' || name === 'query';
  const visit = (node: import('typescript').Node) => {
    if (ts.isPropertyAccessExpression(node) && isRequest(node.expression) && isPart(node.name.text)) at(node, node.getText());
    if (ts.isElementAccessExpression(node) && isRequest(node.expression) && ts.isStringLiteral(node.argumentExpression) && isPart(node.argumentExpression.text))
      at(node, node.getText());
    if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isRequest(node.initializer)) {
      for (const element of node.name.elements) if (isPart((element.propertyName ?? element.name).getText())) at(node, node.getText());
    }
    if (ts.isPropertySignature(node) && ['Body', 'Querystring'].includes(node.name.getText()) && ts.isTypeLiteralNode(node.parent))
      at(node, `a ${node.name.getText()} type argument`);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['post', 'put', 'patch'].includes(node.expression.name.text)) {
      const handler = node.arguments[node.arguments.length - 1];
      if (handler && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) && !handler.getText().includes('parseBody('))
        at(node, `a ${node.expression.name.text.toUpperCase()} route that does not parseBody`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('request input', () => {
  const SERVER = join(SRC, 'server');
  it('no server source but request-input.ts reads a request body or query string without a schema (parseBody/parseQuery)', async () => {
    const problems: string[] = [];
    for (const file of sourceFiles(SERVER).filter((f) => !f.endsWith('/request-input.ts')))
      problems.push(...(await handReadInput(relative(SRC, file), readFileSync(file, 'utf8'))));
    expect(problems).toEqual([]);
  });

  it('every route file parses what it reads (the check sees the routes)', () => {
    const routes = sourceFiles(join(SERVER, 'routes'));
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const file of routes) expect(readFileSync(file, 'utf8'), relative(SRC, file)).toMatch(/\bparse(Body|Query)\(/);
  });

  it('the rule refuses hand-read input (and accepts the helper)', async () => {
    const bad = `
      app.get<{ Querystring: { notice?: string } }>('/a', async (request) => String(request.query.notice ?? ''));
      app.post('/b', async (request) => (request.body as { x: string }).x);
      app.post('/c', async (req) => req['body']);
      app.get('/d', async (request) => { const { query } = request; return query; });
    `;
    expect((await handReadInput('x.ts', bad)).map((p) => p.replace(/^x\.ts:\d+ /, ''))).toEqual([
      'a Querystring type argument',
      'request.query',
      'a POST route that does not parseBody',
      'request.body',
      'a POST route that does not parseBody',
      "req['body']",
      '{ query } = request',
    ]);
    const good = `
      app.get('/a', async (request) => parseQuery(request, Q, { what: 'q' }).notice);
      app.post('/b', async (request) => parseBody(request, B, { what: 'b' }).x);
    `;
    expect(await handReadInput('x.ts', good)).toEqual([]);
  });
});

/**
 * One name, one thing (CONTRIBUTING, "One of each small concept"): no two source files export a
 * function, class, constant or type of the same name, so an import never picks the wrong one.
 * Re-exports (`export { x } from`) are the same thing and not counted; overloads count once.
 */
function exportedNames(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const declaration = /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
  for (const file of sourceFiles(SRC)) {
    const names = new Set([...readFileSync(file, 'utf8').matchAll(declaration)].map((m) => m[1]!));
    for (const name of names) where.set(name, [...(where.get(name) ?? []), relative(SRC, file)]);
  }
  return where;
}

/** Names every module of a kind exports by contract: `register(program, app)` of each lazily loaded command module (src/cli/commands/index.ts). */
const CONTRACT_NAMES = new Set(['register']);

describe('exported names', () => {
  it('no two source files export different things under one name', () => {
    const clashes = [...exportedNames()]
      .filter(([name, files]) => files.length > 1 && !CONTRACT_NAMES.has(name))
      .map(([name, files]) => `${name}: ${files.join(', ')}`);
    expect(clashes).toEqual([]);
  });
});
