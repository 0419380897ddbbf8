import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, npyArray, npyToNumbers, parseNpy, readNpy, writeNpy, type NpyArray } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { catchError } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds an NPY file by hand with any version and header text. */
function handMade(major: number, header: string, data: Uint8Array, encoding: 'latin1' | 'utf8' = 'latin1'): Uint8Array {
  const headerBytes = Buffer.from(header, encoding);
  const lengthBytes = major === 1 ? 2 : 4;
  const out = Buffer.alloc(8 + lengthBytes + headerBytes.length + data.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(out, 0);
  if (major === 1) out.writeUInt16LE(headerBytes.length, 8);
  else out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 8 + lengthBytes);
  Buffer.from(data).copy(out, 8 + lengthBytes + headerBytes.length);
  return out;
}

describe('writeNpy / readNpy round trip', () => {
  const cases: NpyArray[] = [
    npyArray('|u1', [2, 3], Uint8Array.from([0, 1, 2, 253, 254, 255])),
    npyArray('<u2', [4], Uint16Array.from([0, 1, 65534, 65535])),
    npyArray('<i4', [2, 2], Int32Array.from([-2147483648, -1, 0, 2147483647])),
    npyArray('<i8', [3], BigInt64Array.from([-(2n ** 62n), 0n, 2n ** 62n])),
    npyArray('<f4', [2, 1, 2], Float32Array.from([0.5, -1.25, Number.POSITIVE_INFINITY, 3.4e38])),
    npyArray('<f8', [], Float64Array.from([Math.PI])),
    npyArray('<f8', [0], new Float64Array(0)),
    npyArray('<i4', [0, 5], new Int32Array(0)),
  ];
  for (const array of cases) {
    it(`keeps ${array.dtype} of shape (${array.shape.join(', ')})`, () => {
      const file = join(dir, `rt-${array.dtype.slice(1)}-${array.shape.join('x') || 'scalar'}.npy`);
      writeNpy(file, array);
      const back = readNpy(file);
      expect(back.dtype).toBe(array.dtype);
      expect(back.shape).toEqual(array.shape);
      expect(back.data.constructor).toBe(array.data.constructor);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(array.data as ArrayLike<number | bigint>));
    });
  }

  it('writes format 1.0 with the header padded to a multiple of 64 bytes', () => {
    for (const array of cases) {
      const bytes = encodeNpy(array);
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = bytes[8]! | (bytes[9]! << 8);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[10 + headerLength - 1]).toBe(0x0a); // header ends with a newline
    }
  });

  it('writes byte for byte what numpy 2 np.save writes', () => {
    // python3 -c "import numpy as np, io; b = io.BytesIO(); np.save(b, np.zeros(3, np.int32)); print(b.getvalue())"
    const expected = `{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }${' '.repeat(60)}\n`;
    const bytes = encodeNpy(npyArray('<i4', [3], new Int32Array(3)));
    expect(bytes.length).toBe(140);
    expect(Buffer.from(bytes.subarray(10, 128)).toString('latin1')).toBe(expected);
    const matrix = encodeNpy(npyArray('|u1', [2, 32, 32, 3], new Uint8Array(6144)));
    expect(Buffer.from(matrix.subarray(10, 128)).toString('latin1')).toBe(
      `{'descr': '|u1', 'fortran_order': False, 'shape': (2, 32, 32, 3), }${' '.repeat(50)}\n`,
    );
    expect(matrix.length).toBe(6272);
  });

  it('rejects data that does not match the dtype or shape', () => {
    expect(() => npyArray('<i4', [3], new Int32Array(2))).toThrow(/data length does not match shape/);
    expect(() => encodeNpy({ dtype: '<f4', shape: [2], data: new Float64Array(2) })).toThrow(/not a Float32Array/);
  });
});

describe('parseNpy headers', () => {
  const three = new Uint8Array(Int32Array.from([7, 8, 9]).buffer);

  it('reads format 2.0 (4-byte header length)', () => {
    const bytes = handMade(2, `{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }   \n`, three);
    const array = parseNpy(bytes, 'v2.npy');
    expect(array.shape).toEqual([3]);
    expect(Array.from(array.data as Int32Array)).toEqual([7, 8, 9]);
  });

  it('reads format 3.0 (UTF-8 header)', () => {
    const bytes = handMade(3, `{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }  \n`, three, 'utf8');
    expect(Array.from(parseNpy(bytes, 'v3.npy').data as Int32Array)).toEqual([7, 8, 9]);
  });

  it('accepts <u1 and u1 for uint8, key order changes and Python 2 long shapes', () => {
    const a = parseNpy(handMade(1, `{'shape': (2L, 1L), 'fortran_order': False, 'descr': '<u1'}\n`, Uint8Array.from([4, 5])), 'py2.npy');
    expect(a.dtype).toBe('|u1');
    expect(a.shape).toEqual([2, 1]);
  });

  it('refuses Fortran order with a clear error', () => {
    const error = catchError(() => parseNpy(handMade(1, `{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }\n`, three), 'f.npy'));
    expect(error.message).toMatch(/Fortran/);
    expect(error.field).toBe('header.fortran_order');
    expect(error.hint).toMatch(/ascontiguousarray/);
  });

  it('refuses unsupported and big-endian dtypes, naming them', () => {
    const big = catchError(() => parseNpy(handMade(1, `{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }\n`, three), 'be.npy'));
    expect(big.received).toBe('>i4');
    expect(big.hint).toMatch(/big-endian/);
    const short = catchError(() => parseNpy(handMade(1, `{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }\n`, three), 's.npy'));
    expect(short.expected).toMatch(/<i8 \(int64\)/);
    const structured = catchError(() => parseNpy(handMade(1, `{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (3,), }\n`, three), 'r.npy'));
    expect(structured.received).toBe('<structured>');
  });

  it('reports every problem of a header, not only the first, naming the file', () => {
    const error = catchError(() => parseNpy(handMade(1, `{'fortran_order': 0, 'shape': (3, x), }\n`, three), 'h.npy'));
    expect(error.kind).toBe('data');
    expect([error.file, error.record]).toEqual(['h.npy', 'header']);
    expect(error.message).toMatch(/^3 problems in the NPY header: /);
    expect(error.issues.map((i) => [i.path, i.received])).toEqual([
      ['descr', 'nothing'],
      ['fortran_order', 'nothing'],
      ['shape[1]', 'NaN'],
    ]);
    expect(error.hint).toContain("'shape': (3, x)");
  });

  it('refuses files without the magic string', () => {
    const error = catchError(() => parseNpy(Buffer.from('PK\x03\x04 a zip file'), 'a.npz'));
    expect(error.message).toMatch(/not an NPY file/);
    expect(error.file).toBe('a.npz');
  });

  it('names the byte offset and row of truncated data', () => {
    const full = encodeNpy(npyArray('<f8', [4, 2], Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
    // 128-byte header + 8 elements × 8 bytes = 192; cut after 2.5 rows (40 bytes of data).
    const cut = full.subarray(0, 128 + 40);
    const error = catchError(() => parseNpy(cut, 'cut.npy'));
    expect(error.message).toMatch(/truncated/);
    expect(error.field).toBe('byte 168');
    expect(error.record).toBe(2);
    expect(error.expected).toMatch(/^192 bytes/);
  });

  it('names the byte offset of a truncated header', () => {
    const full = encodeNpy(npyArray('<i4', [3], Int32Array.from([1, 2, 3])));
    const error = catchError(() => parseNpy(full.subarray(0, 50), 'head.npy'));
    expect(error.message).toMatch(/truncated NPY file: it ends at byte 50, inside the 118-byte header/);
    expect(error.field).toBe('byte 10');
  });

  it('refuses bytes after the data', () => {
    const full = encodeNpy(npyArray('<i4', [3], Int32Array.from([1, 2, 3])));
    const longer = Buffer.concat([full, Buffer.from([0, 0])]);
    expect(catchError(() => parseNpy(longer, 'long.npy')).field).toBe('byte 140');
  });

  it('reports a missing file as an I/O error', () => {
    expect(catchError(() => readNpy(join(dir, 'nope.npy'))).kind).toBe('io');
  });
});

describe('npyToNumbers', () => {
  it('converts every dtype to float64', () => {
    expect(Array.from(npyToNumbers(npyArray('<u2', [2], Uint16Array.from([1, 65535]))))).toEqual([1, 65535]);
    expect(Array.from(npyToNumbers(npyArray('<f4', [1], Float32Array.from([0.5]))))).toEqual([0.5]);
    expect(Array.from(npyToNumbers(npyArray('<i8', [2], BigInt64Array.from([-3n, 2n ** 53n - 1n]))))).toEqual([-3, 2 ** 53 - 1]);
  });

  it('refuses int64 values beyond 2^53, naming the element', () => {
    const error = catchError(() => npyToNumbers(npyArray('<i8', [3], BigInt64Array.from([0n, 1n, 2n ** 53n + 1n])), 'big.npy'));
    expect(error.record).toBe(2);
    expect(error.file).toBe('big.npy');
  });
});

describeWithData('real NPY files', () => {
  it('cifar10.1 v6 labels: 2,000 int32, 200 per class, ordered by class', () => {
    const labels = readNpy(join(SHARED_DATA, 'cifar10.1/cifar10.1_v6_labels.npy'));
    expect(labels.dtype).toBe('<i4');
    expect(labels.shape).toEqual([2000]);
    const counts = new Array(10).fill(0);
    for (const label of labels.data as Int32Array) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(200));
    expect((labels.data as Int32Array)[0]).toBe(0);
    expect((labels.data as Int32Array)[1999]).toBe(9);
  });

  it('cifar10.1 v4 labels: 2,021 int32', () => {
    const labels = readNpy(join(SHARED_DATA, 'cifar10.1/cifar10.1_v4_labels.npy'));
    expect(labels.dtype).toBe('<i4');
    expect(labels.shape).toEqual([2021]);
  });

  it('official CIFAR-10 test labels: 10,000 uint16 starting 3 8 8 0 6 6 1 6 3 1', () => {
    const labels = readNpy(join(SHARED_DATA, 'cifar10/test_labels_official.npy'));
    expect(labels.dtype).toBe('<u2');
    expect(labels.shape).toEqual([10000]);
    expect(Array.from((labels.data as Uint16Array).subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    const counts = new Array(10).fill(0);
    for (const label of labels.data as Uint16Array) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });

  it('CIFAR-10H counts: (10000, 10) integers, about 51 annotators per image', () => {
    const counts = readNpy(join(SHARED_DATA, 'cifar10h/cifar10h-counts.npy'));
    expect(counts.shape).toEqual([10000, 10]);
    const values = npyToNumbers(counts);
    expect(Array.from(values.subarray(0, 10))).toEqual([0, 1, 1, 48, 0, 1, 0, 0, 0, 0]);
    let total = 0;
    for (const v of values) total += v;
    expect(total / 10000).toBeGreaterThan(50);
    expect(total / 10000).toBeLessThan(53);
  });

  it('ImageNetV2 top-5 predictions: int64 (N, 5)', () => {
    const predictions = readNpy(join(SHARED_DATA, 'imagenetv2-predictions/imagenetv2-b-33/resnet50.npy'));
    expect(predictions.dtype).toBe('<i8');
    expect(predictions.shape).toEqual([10000, 5]);
    const values = npyToNumbers(predictions);
    expect(values.every((v) => v >= 0 && v < 1000)).toBe(true);
  });

  it('re-writes the released files byte for byte', () => {
    for (const file of ['cifar10.1/cifar10.1_v6_labels.npy', 'cifar10/test_labels_official.npy', 'cifar10h/cifar10h-counts.npy']) {
      const original = readFileSync(join(SHARED_DATA, file));
      expect(Buffer.compare(Buffer.from(encodeNpy(parseNpy(original, file))), original)).toBe(0);
    }
  });

  it('names the byte offset of a truncated real file', () => {
    const original = readFileSync(join(SHARED_DATA, 'cifar10h/cifar10h-counts.npy'));
    const cutFile = join(dir, 'cifar10h-cut.npy');
    writeFileSync(cutFile, original.subarray(0, 128 + 80 * 1234 + 17));
    const error = catchError(() => readNpy(cutFile));
    expect(error.field).toBe(`byte ${128 + 80 * 1234 + 17}`);
    expect(error.record).toBe(1234);
  });
});
