/**
 * `retest dedup search|review|resolve` in-process, with only the dedup command registered.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/dedup.ts';
import { isRetestError } from '../../src/core/errors.ts';
import { npyArray, writeNpy } from '../../src/formats/index.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { describeWithData, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { makeWorkspace, noiseImage, nudged } from './workspace-fixture.ts';
import { createApp } from '../../src/app/main.ts';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('retest').exitOverride();
  register(program, createApp());
  const walk = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(walk);
  };
  walk(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (isRetestError(error)) return { code: error.kind === 'usage' ? 2 : 1, stdout, stderr: stderr + error.render() };
    throw error;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'retest-dedup-cli-'));
const refs = new Uint8Array(40 * 3072);
for (let i = 0; i < 40; i++) refs.set(noiseImage(100 + i), i * 3072);
const queries = new Uint8Array(3 * 3072);
queries.set(refs.subarray(7 * 3072, 8 * 3072), 0); // exact copy of reference 7
queries.set(nudged(refs.subarray(21 * 3072, 22 * 3072), 6), 3072); // brighter copy of 21
queries.set(noiseImage(999), 2 * 3072); // new
writeNpy(join(dir, 'refs.npy'), npyArray('|u1', [40, 32, 32, 3], refs));
writeNpy(join(dir, 'new_data.npy'), npyArray('|u1', [3, 32, 32, 3], queries));

describe('retest dedup search (arrays)', () => {
  it('--json prints one object per query with 0-based record indices, set names and distances', async () => {
    const { code, stdout } = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'new_data.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--k',
      '2',
      '--descriptor',
      'pixels',
      '--workers',
      '1',
      '--json',
    ]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { query: number; neighbours: { reference: number; set: string; distance: number }[] });
    expect(lines.map((l) => l.query)).toEqual([0, 1, 2]);
    expect(lines[0]?.neighbours[0]).toEqual({ reference: 7, set: 'refs', distance: 0 });
    expect(lines[1]?.neighbours[0]?.reference).toBe(21);
    expect(lines[1]?.neighbours[0]?.distance).toBeLessThanOrEqual(3072 * 36);
    expect(lines.every((l) => l.neighbours.length === 2)).toBe(true);
  });

  it('a set searched against itself never matches an image with itself', async () => {
    const { stdout } = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'refs.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--k',
      '3',
      '--workers',
      '1',
      '--json',
    ]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { query: number; neighbours: { reference: number }[] });
    expect(lines).toHaveLength(40);
    for (const l of lines) expect(l.neighbours.map((n) => n.reference)).not.toContain(l.query);
  });

  it('lists the closest pairs and writes a contact sheet and pairs JSON per descriptor', async () => {
    const out = join(dir, 'sheets');
    const { code, stdout } = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'new_data.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--descriptor',
      'pixels-std',
      '--descriptor',
      'dssim',
      '--top',
      '2',
      '--sheet',
      '3',
      '--out',
      out,
      '--workers',
      '1',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/pixels-std: 3 queries × 40 refs/);
    expect(stdout).toMatch(/\b0 new\s+↔\s+7 refs\s+0\n/);
    const html = readFileSync(join(out, 'contact-sheet-pixels-std.html'), 'utf8');
    expect(html.match(/class="pair"/g)).toHaveLength(3);
    expect(html).toContain('data:image/png;base64,');
    const pairs = JSON.parse(readFileSync(join(out, 'pairs-dssim.json'), 'utf8')) as { pairs: { query: number; reference: number; distance: number }[] };
    expect(pairs.pairs[0]).toMatchObject({ query: 0, reference: 7, distance: 0 });
  });

  it('--approximate (HNSW + exact re-rank) finds the same first neighbours and reports recall on a sample', async () => {
    const json = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'new_data.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--k',
      '2',
      '--approximate',
      '--json',
    ]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { neighbours: { reference: number; distance: number }[] });
    expect(lines[0]?.neighbours[0]).toMatchObject({ reference: 7, distance: 0 });
    expect(lines[1]?.neighbours[0]?.reference).toBe(21);
    const text = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'refs.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--approximate',
      '--recall-sample',
      '10',
      '--top',
      '1',
    ]);
    // HNSW is built on two threads, so its graph (and, rarely, a 10th neighbour) can vary from run to run.
    const recall = /HNSW over pixels-std@8 .* recall@10 ([\d.]+) % on 10 queries/.exec(text.stdout);
    expect(recall, text.stdout + text.stderr).not.toBeNull();
    expect(Number(recall![1])).toBeGreaterThanOrEqual(90);
  });

  it('an unknown descriptor is a usage error (exit 2)', async () => {
    const { code, stderr } = await run([
      'dedup',
      'search',
      '--queries',
      join(dir, 'new_data.npy'),
      '--references',
      join(dir, 'refs.npy'),
      '--descriptor',
      'sift',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown descriptor/);
  });
});

describe('retest dedup search --workspace, resolve', () => {
  it('--auto-duplicate-below without a raw-pixel descriptor is refused instead of marking nothing', async () => {
    const { code, stderr } = await run(['dedup', 'search', '--workspace', dir, '--auto-duplicate-below', '1000']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/raw-pixel distances only/);
    expect(stderr).toMatch(/--descriptor pixels/);
  });

  it('stores neighbours, reports pending pairs, resolve --json gives the counts', async () => {
    const r0 = noiseImage(1);
    const workspace = await makeWorkspace([
      { id: 'ref', role: 'reference', pixels: r0 },
      { id: 'copy', role: 'candidate', pixels: nudged(r0, 1) },
      { id: 'new', role: 'candidate', pixels: noiseImage(2) },
    ]);
    const wsDir = workspace.dir;
    await closeWorkspace(workspace);
    const search = await run(['dedup', 'search', '--workspace', wsDir, '--descriptor', 'pixels', '--auto-duplicate-below', '5000', '--workers', '1', '--json']);
    expect(search.code).toBe(0);
    const summary = JSON.parse(search.stdout) as { candidates: number; autoDuplicates: number; status: Record<string, number> };
    expect(summary).toMatchObject({ candidates: 2, autoDuplicates: 1, status: { clear: 1, pending: 0, duplicate: 1 } });
    const resolved = await run(['dedup', 'resolve', '--workspace', wsDir, '--json']);
    const body = JSON.parse(resolved.stdout) as { counts: Record<string, number>; duplicates: { imageId: string }[] };
    expect(body.counts).toEqual({ clear: 1, pending: 0, duplicate: 1 });
    expect(body.duplicates.map((d) => d.imageId)).toEqual(['copy']);
  });

  it('dedup keep: a keeper file overrides the automatic keeper; bad files are usage errors', async () => {
    const shared = noiseImage(7);
    const workspace = await makeWorkspace([
      { id: 'k1', role: 'candidate', pixels: shared },
      { id: 'k2', role: 'candidate', pixels: nudged(shared, 1) },
    ]);
    const wsDir = workspace.dir;
    await closeWorkspace(workspace);
    await run(['dedup', 'search', '--workspace', wsDir, '--descriptor', 'pixels', '--auto-duplicate-below', '1000', '--workers', '1', '--json']);
    const before = JSON.parse((await run(['dedup', 'resolve', '--workspace', wsDir, '--json'])).stdout) as { duplicates: { imageId: string }[] };
    expect(before.duplicates.map((d) => d.imageId)).toEqual(['k1']);
    writeFileSync(join(dir, 'keep.json'), JSON.stringify(['k1']));
    const kept = await run(['dedup', 'keep', '--file', join(dir, 'keep.json'), '--reason', 'sharper', '--workspace', wsDir, '--json']);
    expect(JSON.parse(kept.stdout).keepers).toMatchObject([{ imageId: 'k1', reason: 'sharper' }]);
    const after = JSON.parse((await run(['dedup', 'resolve', '--workspace', wsDir, '--json'])).stdout) as { duplicates: { imageId: string; reason: string }[] };
    expect(after.duplicates).toMatchObject([{ imageId: 'k2', reason: 'duplicate of kept k1' }]);
    writeFileSync(join(dir, 'bad-keep.json'), JSON.stringify({ ids: ['k1'] }));
    const bad = await run(['dedup', 'keep', '--file', join(dir, 'bad-keep.json'), '--workspace', wsDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/JSON array of image ids/);
    expect((await run(['dedup', 'keep', '--workspace', wsDir])).code).toBe(2);
  });

  it('without --queries or --workspace, searches the workspace in the current folder', async () => {
    const workspace = await makeWorkspace([
      { id: 'ref', role: 'reference', pixels: noiseImage(3) },
      { id: 'new', role: 'candidate', pixels: noiseImage(4) },
    ]);
    const wsDir = workspace.dir;
    await closeWorkspace(workspace);
    const cwd = process.cwd();
    const saved = process.env.RETEST_WORKSPACE;
    delete process.env.RETEST_WORKSPACE;
    process.chdir(wsDir);
    try {
      const search = await run(['dedup', 'search', '--workers', '1', '--json']);
      expect(search.code).toBe(0);
      expect(JSON.parse(search.stdout)).toMatchObject({ candidates: 1 });
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.RETEST_WORKSPACE = saved;
    }
    const badPort = await run(['dedup', 'review', '--workspace', wsDir, '--port', '99999']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port must be an integer 0–65535/);
  });
});

describeWithData('retest dedup search on real CIFAR-10 files', () => {
  it('--list-tensors names the pooled features of a CIFAR ResNet', async () => {
    const { stdout } = await run(['dedup', 'search', '--list-tensors', join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx')]);
    expect(stdout).toMatch(/Flatten\s+\/net\/Flatten_output_0/);
  });
  it('first 1,000 test images against themselves: no self-matches, distances sorted', async () => {
    const file = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
    expect(existsSync(file)).toBe(true);
    const { stdout } = await run(['dedup', 'search', '--queries', file, '--references', file, '--k', '3', '--workers', '2', '--json']);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { query: number; neighbours: { reference: number; set: string; distance: number }[] });
    expect(lines).toHaveLength(1000);
    for (const l of lines) {
      expect(l.neighbours.map((n) => n.reference)).not.toContain(l.query);
      expect(l.neighbours[0]?.set).toBe('test_batch_first1000');
      expect(l.neighbours.map((n) => n.distance)).toEqual([...l.neighbours.map((n) => n.distance)].sort((a, b) => a - b));
    }
  });
});
