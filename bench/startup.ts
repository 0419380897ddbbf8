/**
 * npm run bench:startup — how long `retest --help` and `retest analyze --published …` take to
 * start, running the compiled JavaScript (dist/, what `npm ci` builds) against the baseline of the
 * same command run from the TypeScript sources through tsx (how every command started before
 * compiled output was shipped), measured in the same run. Median of N runs each, wall clock of the
 * whole process. Writes docs/benchmarks/startup.md (unless --no-write).
 *
 * Options: --runs N (default 9), --json, --no-write. Run `npm run build` first (`npm ci` does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '9' }, json: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'retest.js');
const log = (text: string) => {
  if (!values.json) console.log(text);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

if (!existsSync(join(root, 'dist', '.build-stamp'))) {
  console.error('bench:startup: no compiled build in dist/ — run `npm run build` first');
  process.exit(1);
}
const cwd = mkdtempSync(join(tmpdir(), 'retest-bench-startup-'));

/** Median wall-clock seconds of `retest ARGS`, compiled or from sources. */
function time(args: string[], fromSource: boolean): number {
  const seconds: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, RETEST_FROM_SOURCE: fromSource ? '1' : '0' } });
    const elapsed = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`retest ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    if (i > 0) seconds.push(elapsed); // the first run warms the file cache
  }
  return median(seconds);
}

const cases = [
  { name: 'retest --help', args: ['--help'], goal: '< 0.3 s' },
  {
    name: 'retest analyze --published (67 models, 100,000 bootstrap resamples)',
    args: ['analyze', '--original', 'imagenet-val', '--new', 'imagenetv2-matched-frequency', '--published', '--json'],
    goal: 'no slower than from sources',
  },
];
const results = cases.map((c) => {
  const compiled = time(c.args, false);
  const sources = time(c.args, true);
  log(`${c.name}: compiled ${compiled.toFixed(3)} s, from sources (tsx) ${sources.toFixed(3)} s → ${(sources / compiled).toFixed(2)}× faster`);
  return { ...c, compiled, sources, ratio: sources / compiled };
});
rmSync(cwd, { recursive: true, force: true });

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical cores), Node ${process.version}`;
if (values.json)
  console.log(
    JSON.stringify({
      runs,
      machine,
      results: results.map(({ name, compiled, sources, ratio }) => ({ name, compiled_s: compiled, sources_s: sources, ratio })),
    }),
  );
if (!values['no-write']) {
  const rows = results.map((r) => `| \`${r.name}\` | ${r.compiled.toFixed(3)} | ${r.sources.toFixed(3)} | **${r.ratio.toFixed(2)}×** | ${r.goal} |`).join('\n');
  writeFileSync(
    join(root, 'docs', 'benchmarks', 'startup.md'),
    `# Benchmark: start-up time (\`npm run bench:startup\`)

What: wall-clock time of the whole \`retest\` process, median of ${runs} runs after one warm-up, running
the compiled JavaScript in \`dist/\` (built by \`npm ci\` through \`prepare\`, or \`npm run build\`) against the
baseline measured in the same run: the same command from the TypeScript sources through tsx
(\`RETEST_FROM_SOURCE=1\`), which is how every command started before compiled output shipped. Each
command loads only its own module (src/cli/commands/index.ts); \`--help\` loads none of the heavy
modules (asserted by test/cli/startup.test.ts).

| command | compiled (s) | from sources (s) | speed-up | goal |
|---|---:|---:|---:|---|
${rows}

Machine: ${machine}; a shared machine, so absolute times vary between runs.

Command:

\`\`\`
npm run build && npm run bench:startup            # writes this file
npm run bench:startup -- --runs 21 --json --no-write
\`\`\`
`,
  );
}
