/**
 * `retest --help` is instant because it loads no heavy module: every command is loaded only when it
 * runs, and native adapters (onnxruntime, sharp, SQLite, PostgreSQL) only when used. These tests run
 * the real `bin/retest.js` with an import recorder and assert on what was loaded (times are measured
 * by `npm run bench:startup`, not asserted here).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/main.ts';
import { commands } from '../../src/cli/commands/index.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { REPO_ROOT } from '../helpers/shared.ts';

const HEAVY = [
  'fastify',
  'better-sqlite3',
  'onnxruntime-node',
  'sharp',
  'pg',
  'bullmq',
  'ioredis',
  'zod',
  'tar',
  'csv-parse',
  'csv-stringify',
  'vega',
  'vega-lite',
  'piscina',
  'usearch',
  'cli-progress',
];

const dir = mkdtempSync(join(tmpdir(), 'retest-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs bin/retest.js with `args`; returns the packages (node_modules/<name>) it loaded. */
function loadedPackages(args: string[], name: string): { status: number | null; stdout: string; packages: Set<string> } {
  const record = join(dir, `${name}.txt`);
  const run = spawnSync(process.execPath, ['--import', join(REPO_ROOT, 'test/helpers/record-imports.mjs'), join(REPO_ROOT, 'bin/retest.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, RETEST_RECORD_IMPORTS: record },
    timeout: 60_000,
  });
  let lines: string[] = [];
  try {
    lines = readFileSync(record, 'utf8').split('\n');
  } catch {
    // nothing recorded
  }
  const packages = new Set<string>();
  for (const line of lines) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line) ?? /^require:((?:@[^/]+\/)?[^./][^/]*)/.exec(line);
    if (m?.[1]) packages.add(m[1]);
  }
  return { status: run.status, stdout: run.stdout, packages };
}

describe('start-up', () => {
  it('`retest --help` lists every command and loads none of the heavy modules', () => {
    const { status, stdout, packages } = loadedPackages(['--help'], 'help');
    expect(status).toBe(0);
    for (const entry of commands) expect(stdout).toContain(entry.name);
    expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
  });

  it('`retest analyze --help` loads the analyze command only: no server, no native adapters', () => {
    const { status, stdout, packages } = loadedPackages(['analyze', '--help'], 'analyze');
    expect(status).toBe(0);
    expect(stdout).toContain('--original');
    expect(['fastify', 'onnxruntime-node', 'sharp', 'better-sqlite3', 'pg', 'bullmq'].filter((p) => packages.has(p))).toEqual([]);
  });

  it('each command summary in the manifest is the summary the command itself declares', async () => {
    const program = await buildProgram(createApp(), { all: true });
    const declared = Object.fromEntries(program.commands.map((c) => [c.name(), c.summary() || c.description().split('\n')[0]]));
    expect(Object.fromEntries(commands.map((c) => [c.name, c.summary]))).toEqual(declared);
  });

  it('loads only the command an argv names, and `help X` loads X', async () => {
    const loaded = (argv: string[]) => buildProgram(createApp(), { argv }).then((p) => p.commands.filter((c) => c.options.length > 0).map((c) => c.name()));
    expect(await loaded(['eval', '--model', 'm.onnx'])).toEqual(['eval']);
    expect(await loaded(['help', 'report'])).toEqual(['report']);
    expect(await loaded(['--help'])).toEqual([]);
  });
});
