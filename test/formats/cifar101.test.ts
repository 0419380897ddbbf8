import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyArray, readCifar101, readNpy, writeCifar101, writeNpy } from '../../src/formats/index.ts';
import { catchError } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-cifar101-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CIFAR-10.1 npy pairs', () => {
  const pixels = Uint8Array.from({ length: 3 * 3072 }, (_, i) => (i * 7) % 256);
  const labels = [9, 0, 4];

  it('round-trips, writing uint8 (N,32,32,3) data and int32 labels', () => {
    const prefix = join(dir, 'toy_v1');
    writeCifar101(prefix, { count: 3, pixels, labels });
    const data = readNpy(`${prefix}_data.npy`);
    expect(data.dtype).toBe('|u1');
    expect(data.shape).toEqual([3, 32, 32, 3]);
    expect(readNpy(`${prefix}_labels.npy`).dtype).toBe('<i4');
    for (const path of [prefix, `${prefix}_data.npy`, `${prefix}_labels.npy`]) {
      const back = readCifar101(path);
      expect(back.count).toBe(3);
      expect(Array.from(back.labels)).toEqual(labels);
      expect(Buffer.compare(Buffer.from(back.pixels), Buffer.from(pixels))).toBe(0);
    }
  });

  it('accepts other integer label dtypes', () => {
    const prefix = join(dir, 'u8labels');
    writeNpy(`${prefix}_data.npy`, npyArray('|u1', [3, 32, 32, 3], pixels));
    writeNpy(`${prefix}_labels.npy`, npyArray('<i8', [3], BigInt64Array.from([1n, 2n, 3n])));
    expect(Array.from(readCifar101(prefix).labels)).toEqual([1, 2, 3]);
  });

  it('names the missing half of a pair', () => {
    const prefix = join(dir, 'half');
    writeNpy(`${prefix}_data.npy`, npyArray('|u1', [3, 32, 32, 3], pixels));
    const error = catchError(() => readCifar101(prefix));
    expect(error.kind).toBe('io');
    expect(error.file).toBe(`${prefix}_labels.npy`);
  });

  it('refuses wrong shapes and mismatched counts', () => {
    const chw = join(dir, 'chw');
    writeNpy(`${chw}_data.npy`, npyArray('|u1', [3, 3, 32, 32], pixels));
    writeNpy(`${chw}_labels.npy`, npyArray('<i4', [3], Int32Array.from(labels)));
    expect(catchError(() => readCifar101(chw)).received).toBe('|u1 of shape (3, 3, 32, 32)');
    const short = join(dir, 'short');
    writeNpy(`${short}_data.npy`, npyArray('|u1', [3, 32, 32, 3], pixels));
    writeNpy(`${short}_labels.npy`, npyArray('<i4', [2], Int32Array.from([1, 2])));
    const error = catchError(() => readCifar101(short));
    expect(error.expected).toMatch(/^3 labels/);
    expect(error.received).toBe('2');
    const floats = join(dir, 'floats');
    writeNpy(`${floats}_data.npy`, npyArray('|u1', [3, 32, 32, 3], pixels));
    writeNpy(`${floats}_labels.npy`, npyArray('<f4', [3], Float32Array.from([1, 2, 3])));
    expect(catchError(() => readCifar101(floats)).message).toMatch(/integer/);
  });
});
