import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.ts';
import { CIFAR_RECORD_BYTES, encodeCifarBin, readCifarBin, readNpy, writeCifarBin, type CifarArrays } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { catchError } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-cifarbin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomArrays(count: number, seed: number): CifarArrays {
  const rng = createRng(seed);
  const labels = Uint8Array.from({ length: count }, () => rng.int(10));
  const pixels = Uint8Array.from({ length: count * 3072 }, () => rng.int(256));
  return { count, labels, pixels };
}

describe('CIFAR-10 binary batches', () => {
  it('round-trips labels and pixels', () => {
    const arrays = randomArrays(7, 1);
    const file = join(dir, 'rt.bin');
    writeCifarBin(file, arrays);
    expect(readFileSync(file).length).toBe(7 * CIFAR_RECORD_BYTES);
    const back = readCifarBin(file);
    expect(back.count).toBe(7);
    expect(Array.from(back.labels)).toEqual(Array.from(arrays.labels));
    expect(Buffer.compare(Buffer.from(back.pixels), Buffer.from(arrays.pixels))).toBe(0);
  });

  it('turns channel planes into interleaved RGB', () => {
    const record = new Uint8Array(CIFAR_RECORD_BYTES);
    record[0] = 4;
    record[1] = 10; // R of pixel (0,0)
    record[1 + 1024] = 20; // G of pixel (0,0)
    record[1 + 2048] = 30; // B of pixel (0,0)
    record[1 + 33] = 40; // R of pixel (row 1, col 1)
    const file = join(dir, 'one.bin');
    writeFileSync(file, record);
    const arrays = readCifarBin(file);
    expect(arrays.labels[0]).toBe(4);
    expect(Array.from(arrays.pixels.subarray(0, 3))).toEqual([10, 20, 30]);
    expect(arrays.pixels[(32 + 1) * 3]).toBe(40);
    expect(Buffer.compare(Buffer.from(encodeCifarBin(arrays)), Buffer.from(record))).toBe(0);
  });

  it('names the record and byte offset of a truncated file', () => {
    const bytes = encodeCifarBin(randomArrays(3, 2));
    const file = join(dir, 'cut.bin');
    writeFileSync(file, bytes.subarray(0, 2 * CIFAR_RECORD_BYTES + 100));
    const error = catchError(() => readCifarBin(file));
    expect(error.kind).toBe('data');
    expect(error.file).toBe(file);
    expect(error.record).toBe(2);
    expect(error.field).toBe('byte 6146');
    expect(error.message).toMatch(/record 2 starts at byte 6146 but only 100 of its 3073 bytes/);
  });

  it('refuses empty files and labels above 9', () => {
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    expect(catchError(() => readCifarBin(empty)).message).toMatch(/empty/);
    const bytes = encodeCifarBin(randomArrays(2, 3));
    bytes[CIFAR_RECORD_BYTES] = 57;
    const bad = join(dir, 'bad-label.bin');
    writeFileSync(bad, bytes);
    const error = catchError(() => readCifarBin(bad));
    expect(error.record).toBe(1);
    expect(error.field).toBe(`byte ${CIFAR_RECORD_BYTES}`);
    expect(error.received).toBe('57');
  });

  it('reads the official cifar-10-batches-bin folder, test or train split', () => {
    const root = join(dir, 'official');
    const batches = join(root, 'cifar-10-batches-bin');
    mkdirSync(batches, { recursive: true });
    writeCifarBin(join(batches, 'test_batch.bin'), randomArrays(3, 10));
    for (let i = 1; i <= 5; i++) writeCifarBin(join(batches, `data_batch_${i}.bin`), randomArrays(2, 10 + i));
    expect(readCifarBin(batches).count).toBe(3);
    expect(readCifarBin(root).count).toBe(3); // the folder above works too
    const train = readCifarBin(batches, { split: 'train' });
    expect(train.count).toBe(10);
    expect(Array.from(train.labels.subarray(8))).toEqual(Array.from(randomArrays(2, 15).labels));
    expect(Buffer.compare(Buffer.from(train.pixels.subarray(2 * 3072, 4 * 3072)), Buffer.from(randomArrays(2, 12).pixels))).toBe(0);
  });

  it('says which batch files are missing from a folder', () => {
    const root = join(dir, 'partial');
    mkdirSync(root, { recursive: true });
    writeCifarBin(join(root, 'data_batch_1.bin'), randomArrays(1, 4));
    const error = catchError(() => readCifarBin(root, { split: 'train' }));
    expect(error.file).toBe(join(root, 'data_batch_2.bin'));
    expect(error.received).toBe('data_batch_1.bin');
    expect(catchError(() => readCifarBin(join(dir, 'nowhere.bin'))).kind).toBe('io');
  });

  it('refuses to write mismatched arrays', () => {
    expect(() => writeCifarBin(join(dir, 'x.bin'), { count: 2, labels: new Uint8Array(1), pixels: new Uint8Array(6144) })).toThrow(/labels do not match/);
    expect(() => writeCifarBin(join(dir, 'x.bin'), { count: 1, labels: Uint8Array.of(10), pixels: new Uint8Array(3072) })).toThrow(/not a CIFAR-10 class/);
  });
});

describeWithData('real CIFAR-10 batches', () => {
  it('test_batch_first1000.bin: 1,000 records whose labels are the official first 1,000', () => {
    const arrays = readCifarBin(join(SHARED_DATA, 'cifar10/test_batch_first1000.bin'));
    expect(arrays.count).toBe(1000);
    expect(Array.from(arrays.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    const official = readNpy(join(SHARED_DATA, 'cifar10/test_labels_official.npy')).data as Uint16Array;
    expect(Array.from(arrays.labels)).toEqual(Array.from(official.subarray(0, 1000)));
    // First pixel of the first image (the cat), as numpy reads the planes: R 158, G 112, B 49.
    expect(Array.from(arrays.pixels.subarray(0, 3))).toEqual([158, 112, 49]);
  });

  it('writes back the same bytes', () => {
    const file = join(SHARED_DATA, 'cifar10/test_batch_first1000.bin');
    const out = join(dir, 'copy.bin');
    writeCifarBin(out, readCifarBin(file));
    expect(Buffer.compare(readFileSync(out), readFileSync(file))).toBe(0);
  });

  it('a truncated copy names the byte offset', () => {
    const cut = join(dir, 'first1000-cut.bin');
    copyFileSync(join(SHARED_DATA, 'cifar10/test_batch_first1000.bin'), cut);
    writeFileSync(cut, readFileSync(cut).subarray(0, 3073 * 999 + 5));
    const error = catchError(() => readCifarBin(cut));
    expect(error.record).toBe(999);
    expect(error.field).toBe(`byte ${3073 * 999}`);
  });
});
