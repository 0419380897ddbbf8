/**
 * npm run bench:analyze — 100,000 bootstrap refits of the OLS line over the 67 published ImageNet
 * models (new = MatchedFrequency vs original = val accuracy), in TypeScript (src/analyze) and in
 * numpy doing the same (vectorised: draw a [R, 67] index matrix, gather, closed-form slope and
 * intercept per row), in the same run, on the same data. Prints the ratio and writes
 * docs/benchmarks/analyze.md (unless --no-write).
 *
 * Options: --resamples R (default 100000), --rounds N (default 5; the median is reported), --json,
 * --no-write. Python: /usr/bin/python3 (Debian python3-numpy) when present, else python3 on PATH.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bootstrapLines, compareTestSets, lineIntervals, pairModels } from '../src/analyze/index.ts';
import { createRng } from '../src/core/rng.ts';
import { openResultsStore } from '../src/app/results.ts';
import { loadPublished, readImagenetV2Predictions, writeImportBatch } from '../src/import/index.ts';

const { values } = parseArgs({
  options: {
    resamples: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const R = Number(values.resamples);
const rounds = Number(values.rounds);
const log = (text: string) => {
  if (!values.json) console.log(text);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const pairs = pairModels(loadPublished(), { original: 'imagenet-val', new: 'imagenetv2-matched-frequency', metric: 'top1' });
const x = pairs.map((p) => p.original.correct / p.original.n);
const y = pairs.map((p) => p.new.correct / p.new.n);
log(
  `data: ${pairs.length} published ImageNet models (imagenet-val → imagenetv2-matched-frequency), ${R.toLocaleString('en-US')} resamples, median of ${rounds} rounds`,
);

// TypeScript
bootstrapLines(x, y, 2000, createRng(1)); // warm-up (JIT)
const tsTimes: number[] = [];
let tsSlopeCi: [number, number] | undefined;
for (let r = 0; r < rounds; r++) {
  const started = performance.now();
  const lines = bootstrapLines(x, y, R, createRng(r));
  tsTimes.push(performance.now() - started);
  if (r === 0) tsSlopeCi = lineIntervals(lines)?.slope;
}
const tsMs = median(tsTimes);
log(
  `TypeScript  bootstrapLines: ${tsMs.toFixed(1)} ms  (${((R / tsMs) * 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })} refits/s; slope 95% CI [${tsSlopeCi?.map((v) => v.toFixed(3)).join(', ')}])`,
);

// numpy, same data, same work
const PY = `
import json, sys, time
import numpy as np
d = json.load(sys.stdin)
x = np.asarray(d['x']); y = np.asarray(d['y']); R = int(d['R']); rounds = int(d['rounds']); n = x.size
def refit(seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(R, n))
    xs = x[idx]; ys = y[idx]
    mx = xs.mean(axis=1); my = ys.mean(axis=1)
    sxx = np.einsum('ij,ij->i', xs, xs) - n * mx * mx
    sxy = np.einsum('ij,ij->i', xs, ys) - n * mx * my
    slope = sxy / sxx
    return slope, my - slope * mx
refit(0)
times = []
for r in range(rounds):
    t = time.perf_counter(); slope, intercept = refit(r); times.append((time.perf_counter() - t) * 1000)
    if r == 0: ci = np.percentile(slope, [2.5, 97.5]).tolist()
print(json.dumps({'ms': sorted(times)[len(times) // 2], 'slope_ci': ci, 'numpy': np.__version__, 'python': sys.version.split()[0], 'executable': sys.executable}))
`;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
interface NumpyResult {
  ms: number;
  slope_ci: [number, number];
  numpy: string;
  python: string;
  executable: string;
}
let numpy: NumpyResult | null = null;
try {
  numpy = JSON.parse(execFileSync(python, ['-c', PY], { input: JSON.stringify({ x, y, R, rounds }), encoding: 'utf8', maxBuffer: 1 << 20 })) as NumpyResult;
} catch (error) {
  log(`numpy baseline unavailable (${python}): ${(error as Error).message.split('\n')[0]}`);
}
if (numpy) log(`numpy ${numpy.numpy} (${numpy.executable}): ${numpy.ms.toFixed(1)} ms  (slope 95% CI [${numpy.slope_ci.map((v) => v.toFixed(3)).join(', ')}])`);
const ratio = numpy ? numpy.ms / tsMs : null;
if (ratio !== null) log(`ratio: TypeScript is ${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'} than numpy (goal: faster)`);

// End to end: the whole analysis of one pair (3 scales × R resamples, intervals, rank correlation).
const started = performance.now();
compareTestSets(pairs, { original: 'imagenet-val', new: 'imagenetv2-matched-frequency', metric: 'top1', resamples: R, seed: 0 });
const fullMs = performance.now() - started;
log(`whole analysis of the pair (3 scales × ${R.toLocaleString('en-US')} resamples + intervals): ${fullMs.toFixed(0)} ms`);

// Import: the authors' 13 ImageNet models × 4 sets (1.04 M prediction rows) into a fresh store, when ../shared is there.
const shared = join(process.env.RETEST_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'), 'data');
let importMs: number | null = null,
  recountMs: number | null = null;
if (existsSync(join(shared, 'imagenetv2-predictions'))) {
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-import-'));
  try {
    const store = await openResultsStore(join(dir, 'r.db'));
    const t0 = performance.now();
    await writeImportBatch(store, readImagenetV2Predictions(join(shared, 'imagenetv2-predictions'), { metadata: join(shared, 'imagenet') }));
    importMs = performance.now() - t0;
    const t1 = performance.now();
    await store.counts();
    recountMs = performance.now() - t1;
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(
    `import of 13 ImageNet models × 4 sets (1,040,000 rows, one transaction): ${(importMs / 1000).toFixed(1)} s; the counts of all 52 runs (kept as the rows were written): ${recountMs.toFixed(1)} ms`,
  );
} else log('import timing skipped: ../shared/data/imagenetv2-predictions not found');

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical cores), Node ${process.version}`;
const result = {
  resamples: R,
  models: pairs.length,
  rounds,
  typescript_ms: tsMs,
  numpy_ms: numpy?.ms ?? null,
  ratio,
  numpy_version: numpy?.numpy ?? null,
  python: numpy?.executable ?? null,
  full_analysis_ms: fullMs,
  import_ms: importMs,
  recount_ms: recountMs,
  machine,
};
if (values.json) console.log(JSON.stringify(result));

if (!values['no-write']) {
  const file = join(import.meta.dirname, '..', 'docs', 'benchmarks', 'analyze.md');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `# Benchmark: bootstrap of the trend across models (\`npm run bench:analyze\`)

What: ${R.toLocaleString('en-US')} bootstrap refits of the least-squares line of new vs original accuracy over the
${pairs.length} published ImageNet models (imagenet-val → imagenetv2-matched-frequency), as \`retest analyze\`
does per scale (the paper used 100,000 resamples). TypeScript: \`bootstrapLines\` in
\`src/analyze/bootstrap.ts\` (typed arrays, closed-form sums, no allocation per resample, seeded
xoshiro128**). Baseline, measured in the same run on the same data: numpy ${numpy?.numpy ?? '(unavailable)'} doing the same
work vectorised (one \`[R, ${pairs.length}]\` index matrix, gather, closed-form slope/intercept per row). Median of ${rounds} rounds
after a warm-up.

| implementation | time (ms) | refits / s |
|---|---:|---:|
| TypeScript (\`bootstrapLines\`) | ${tsMs.toFixed(1)} | ${Math.round((R / tsMs) * 1000).toLocaleString('en-US')} |
| numpy (vectorised, ${numpy?.executable ?? 'n/a'}) | ${numpy ? numpy.ms.toFixed(1) : 'n/a'} | ${numpy ? Math.round((R / numpy.ms) * 1000).toLocaleString('en-US') : 'n/a'} |

Ratio: ${ratio === null ? 'n/a' : `TypeScript is **${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'}** than numpy`} (goal: faster than numpy).
Slope 95% interval from the first round: TypeScript [${tsSlopeCi?.map((v) => v.toFixed(3)).join(', ')}], numpy [${numpy?.slope_ci.map((v) => v.toFixed(3)).join(', ') ?? 'n/a'}]
(different generators, same distribution). The whole analysis of one pair (three scales, intervals,
rank correlation) takes ${fullMs.toFixed(0)} ms.
${
  importMs === null
    ? ''
    : `
Import: \`retest import imagenetv2\` of the authors' 13 ImageNet models × 4 sets (1,040,000 prediction
rows, multi-row inserts, one transaction) into a fresh store takes ${(importMs / 1000).toFixed(1)} s; reading the counts
of all 52 runs, which the store keeps as the rows are written (what \`analyze\` and \`report\` read), takes
${recountMs!.toFixed(1)} ms (\`npm run bench:store\` compares it with recounting the rows, as retest did before).
`
}
Machine: ${machine}; a shared machine, so absolute times vary between runs; the ratio is the figure to compare.

Command:

\`\`\`
npm run bench:analyze                      # writes this file
npm run bench:analyze -- --rounds 9 --json # more rounds, one JSON line
\`\`\`
`,
  );
  log(`wrote ${file}`);
}
