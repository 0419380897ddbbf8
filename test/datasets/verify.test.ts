/**
 * `retest datasets` checks present datasets against the official files: a lossy copy of
 * test_batch.bin placed as cifar10-test is "present, modified", not "present".
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/app/main.ts';
import { writeMarker } from '../../src/datasets/cache.ts';
import { datasetContentHash, FileHashCache, findDataset, loadNamed, verifyDataset, type DatasetSpec } from '../../src/datasets/index.ts';
import { encodeCifarBin, writeCifar101, writeCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';

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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('verifyDataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-verify-'));
  const hashes = new FileHashCache(join(dir, 'hashes.db'));

  it('checks a hand-placed CIFAR batch against reference checksums of its labels and leading records (cached)', async () => {
    const count = 20;
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const pixels = Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7) % 256);
    const bytes = encodeCifarBin({ count, labels, pixels });
    const spec: DatasetSpec = {
      ...findDataset('cifar10-test')!,
      count,
      placedCheck: { bytes: bytes.length, labelsSha256: sha256(labels), leadingRecords: 5, leadingSha256: sha256(bytes.subarray(0, 5 * 3073)), source: 'test' },
    };
    const file = join(dir, 'test_batch.bin');
    writeFileSync(file, bytes);
    const when = new Date('2026-01-01T00:00:00Z');
    utimesSync(file, when, when);
    expect((await verifyDataset(spec, file, 'data-dir', { cacheDir: dir, hashes })).status).toBe('verified');
    // A changed pixel in the leading records, with a new mtime.
    const changed = bytes.slice();
    changed[2 * 3073 + 100] = (changed[2 * 3073 + 100]! + 1) % 256;
    writeFileSync(file, changed);
    expect(await verifyDataset(spec, file, 'data-dir', { cacheDir: dir, hashes })).toEqual({
      status: 'modified',
      detail: 'its images differ from the official ones (checked: the first 5)',
    });
    // A changed label.
    const relabelled = bytes.slice();
    relabelled[7 * 3073] = 9;
    writeFileSync(file, relabelled);
    expect((await verifyDataset(spec, file, 'data-dir', { cacheDir: dir, hashes })).detail).toBe('its labels differ from the official test labels');
    // Cached by size and mtime: the same stamp as a verified check answers from the cache.
    writeFileSync(file, bytes);
    utimesSync(file, when, when);
    expect((await verifyDataset(spec, file, 'data-dir', { cacheDir: dir, hashes })).status).toBe('verified');
    writeFileSync(file, relabelled);
    utimesSync(file, when, when);
    expect((await verifyDataset(spec, file, 'data-dir', { cacheDir: dir, hashes })).status).toBe('verified'); // not read again
  });

  it('checks a fetched copy against the content recorded at fetch time', async () => {
    const cache = join(dir, 'cache');
    const { placedCheck: _none, ...cifar } = findDataset('cifar10-test')!;
    const spec: DatasetSpec = { ...cifar, count: 3 };
    const file = join(cache, 'cifar10-test', 'cifar-10-batches-bin', 'test_batch.bin');
    mkdirSync(join(cache, 'cifar10-test', 'cifar-10-batches-bin'), { recursive: true });
    writeCifarBin(file, { count: 3, labels: Uint8Array.from([1, 2, 3]), pixels: new Uint8Array(3 * 3072).fill(9) });
    const content = (await datasetContentHash(loadNamed(spec, file), hashes))!;
    writeMarker(cache, {
      name: 'cifar10-test',
      fetchedAt: '2026-01-01T00:00:00Z',
      files: [{ url: 'u', fileName: 'f', bytes: 1, sha256: 'x', md5: 'y', verifiedBy: 'md5', unpacked: true }],
      content,
    });
    expect((await verifyDataset(spec, file, 'cache', { cacheDir: cache, hashes })).status).toBe('verified');
    writeCifarBin(file, { count: 3, labels: Uint8Array.from([1, 2, 3]), pixels: new Uint8Array(3 * 3072).fill(8) });
    expect(await verifyDataset(spec, file, 'cache', { cacheDir: cache, hashes })).toMatchObject({ status: 'modified' });
  });

  it('refuses CIFAR-10.1 labels that are not the released file', async () => {
    const prefix = join(dir, 'v6', 'cifar10.1_v6');
    mkdirSync(join(dir, 'v6'));
    writeCifar101(prefix, { count: 2000, pixels: new Uint8Array(2000 * 3072), labels: new Array(2000).fill(0) });
    const check = await verifyDataset(findDataset('cifar10.1-v6')!, prefix, 'data-dir', { cacheDir: dir, hashes });
    expect(check.status).toBe('modified');
    expect(check.detail).toMatch(/differs from the released labels file/);
  });
});

describeWithData('retest datasets on real copies', () => {
  it('lists a lossy copy of test_batch.bin as "present, modified"; the released CIFAR-10.1 labels as not modified', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'retest-verify-data-'));
    copyFileSync(join(SHARED_DATA, 'cifar10', 'test_batch_jpeg10000.bin'), join(dataDir, 'test_batch.bin'));
    mkdirSync(join(dataDir, 'cifar10.1'));
    // Real released labels, images unknown here (zeros): the labels pass, the images stay unverified.
    writeFileSync(join(dataDir, 'cifar10.1', 'cifar10.1_v6_labels.npy'), readFileSync(join(SHARED_DATA, 'cifar10.1', 'cifar10.1_v6_labels.npy')));
    writeCifar101(join(dataDir, 'cifar10.1', 'scratch'), { count: 2000, pixels: new Uint8Array(2000 * 3072), labels: new Array(2000).fill(0) });
    copyFileSync(join(dataDir, 'cifar10.1', 'scratch_data.npy'), join(dataDir, 'cifar10.1', 'cifar10.1_v6_data.npy'));
    const cache = join(dataDir, 'cache');
    const json = await run(['datasets', '--data-dir', dataDir, '--cache', cache, '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout).datasets as { name: string; present: boolean; check: { status: string; detail: string } | null }[];
    expect(rows.find((r) => r.name === 'cifar10-test')).toMatchObject({
      present: true,
      check: { status: 'modified', detail: 'its labels differ from the official test labels' },
    });
    expect(rows.find((r) => r.name === 'cifar10.1-v6')).toMatchObject({ present: true, check: { status: 'unverified' } });
    expect(rows.find((r) => r.name === 'imagenet-val')).toMatchObject({ present: false, check: null });
    const text = await run(['datasets', '--data-dir', dataDir, '--cache', cache]);
    expect(text.stdout).toMatch(/cifar10-test +present, modified \(data-dir\)/);
    expect(text.stdout).toMatch(/cifar10\.1-v6 +present, not verified \(data-dir\)/);
  });

  it('the exact first 1,000 records pass the image check (the reference is the official file)', async () => {
    const exact = readFileSync(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const reference = findDataset('cifar10-test')!.placedCheck!;
    expect(sha256(exact)).toBe(reference.leadingSha256);
    const labels = new Uint8Array(1000);
    for (let i = 0; i < 1000; i++) labels[i] = exact[i * 3073]!;
    // The label reference covers all 10,000 official labels; its first 1,000 agree with this file's.
    const official = readFileSync(join(SHARED_DATA, 'cifar10', 'test_labels_official.npy'));
    const header = official.readUInt16LE(8) + 10;
    const all = Uint8Array.from({ length: 10_000 }, (_, i) => official.readUInt16LE(header + 2 * i));
    expect(sha256(all)).toBe(reference.labelsSha256);
    expect(Array.from(all.subarray(0, 1000))).toEqual(Array.from(labels));
  });
});
