import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/app/main.ts';
import { writeCifar101 } from '../../src/formats/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-datasets-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), stdout: out.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('retest datasets / retest fetch (command line)', () => {
  it('datasets --json: one object listing every dataset, present or not, and where', async () => {
    const dataDir = join(dir, 'data');
    writeCifar101(join(dataDir, 'cifar10.1_v4'), { count: 2021, pixels: new Uint8Array(2021 * 3072), labels: new Array(2021).fill(0) });
    const { code, stdout } = await run(['datasets', '--data-dir', dataDir, '--cache', join(dir, 'cache'), '--json']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').length).toBe(1);
    const listing = JSON.parse(stdout);
    expect(listing.dataDir).toBe(dataDir);
    expect(listing.datasets.length).toBe(7);
    expect(listing.datasets[1]).toMatchObject({ name: 'cifar10.1-v4', present: true, where: 'data-dir', path: join(dataDir, 'cifar10.1_v4') });
    const missing = listing.datasets[0];
    expect(missing).toMatchObject({ name: 'cifar10-test', present: false, path: null });
    expect(missing.looked).toContain(join(dir, 'cache', 'cifar10-test', 'cifar-10-batches-bin', 'test_batch.bin'));
    expect(missing.downloads[0].md5).toBe('c32a1d4ab5d03f1284b67883e8d87530');
  });

  it('datasets without --json prints a table', async () => {
    const { code, stdout } = await run(['datasets', '--cache', join(dir, 'cache')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/cifar10\.1-v6 +missing: retest fetch cifar10\.1-v6/);
    expect(stdout).toMatch(/imagenet-val +missing: bring it yourself/);
  });

  it('fetch imagenet-val is a usage error (exit 2) that says where to get it', async () => {
    const { code, stdout } = await run(['fetch', 'imagenet-val', '--cache', join(dir, 'cache'), '--json']);
    expect(code).toBe(2);
    const error = JSON.parse(stdout);
    expect(error.error).toBe('usage');
    expect(error.hint).toMatch(/image-net\.org/);
  });
});
