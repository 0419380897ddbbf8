/**
 * NPY arrays (numpy's `.npy`): reads format versions 1.0, 2.0 and 3.0 with dtypes
 * `|u1 <u2 <i4 <i8 <f4 <f8` in C order; writes plain format 1.0 laid out exactly as `np.save`
 * does (header padded with spaces to a multiple of 64 bytes, with numpy's growth room), so that
 * every numpy version can `np.load` what we write.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError, ioError } from '../core/errors.ts';
import { parseValue } from '../core/parse.ts';
import { writeFileAtomic } from './write-atomic.ts';
import type { NpyArray, NpyDataByDtype, NpyDtype } from './types.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room for the first axis to grow to 21 digits without rewriting the file. */
const GROWTH_AXIS_MAX_DIGITS = 21;

export const NPY_DTYPES: readonly NpyDtype[] = ['|u1', '<u2', '<i4', '<i8', '<f4', '<f8'];

const ITEM_SIZE: Record<NpyDtype, number> = { '|u1': 1, '<u2': 2, '<i4': 4, '<i8': 8, '<f4': 4, '<f8': 8 };

const CONSTRUCTOR = {
  '|u1': Uint8Array,
  '<u2': Uint16Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
  '<f4': Float32Array,
  '<f8': Float64Array,
} as const;

/** Readable names for error messages and docs. */
const DTYPE_NAME: Record<NpyDtype, string> = { '|u1': 'uint8', '<u2': 'uint16', '<i4': 'int32', '<i8': 'int64', '<f4': 'float32', '<f8': 'float64' };

/** `<u1`, `u1`, `|u1` all mean uint8; everything else must be spelled little-endian. */
function normaliseDescr(descr: string): NpyDtype | undefined {
  if (descr === 'u1' || descr === '<u1' || descr === '|u1') return '|u1';
  return (NPY_DTYPES as readonly string[]).includes(descr) ? (descr as NpyDtype) : undefined;
}

const headerSchema = z.object({
  descr: z.string(),
  fortran_order: z.boolean(),
  shape: z.array(z.number().int().nonnegative()),
});

/** Extracts the three keys of the header's Python dict literal (what numpy's `safe_eval` accepts). */
function headerFields(text: string): unknown {
  const descr = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  return {
    descr: descr ? (descr[3] ? '<structured>' : (descr[1] ?? descr[2])) : undefined,
    fortran_order: fortran ? fortran[1] === 'True' : undefined,
    shape: shape
      ? shape[1]!
          .split(',')
          .map((part) => part.trim().replace(/L$/, ''))
          .filter((part) => part !== '')
          .map((part) => (/^\d+$/.test(part) ? Number(part) : Number.NaN))
      : undefined,
  };
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses the bytes of a `.npy` file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const { dataStart, text } = readPreamble(bytes, file);
  const { dtype, shape } = parseHeader(text, file);
  const count = product(shape);
  const expectedBytes = count * ITEM_SIZE[dtype];
  checkDataLength(bytes, file, { dataStart, dtype, shape, count });
  // Copy into a fresh buffer: typed arrays need aligned offsets, and callers may keep the array.
  // (Uint8Array's slice copies; a Buffer's `slice` would only be a view into a shared pool.)
  const copy = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + expectedBytes);
  const data = new CONSTRUCTOR[dtype](copy.buffer, 0, count);
  return { dtype, shape: [...shape], data } as NpyArray;
}

/** Checks the magic string and version, and decodes the header text; returns where the data starts. */
function readPreamble(bytes: Uint8Array, file: string): { dataStart: number; text: string } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw dataError('not an NPY file (the magic string \\x93NUMPY is missing)', {
      file,
      field: 'byte 0',
      expected: '\\x93NUMPY followed by a format version',
      received: bytes.length === 0 ? 'an empty file' : JSON.stringify(Buffer.from(bytes.subarray(0, 8)).toString('latin1')),
      hint: 'Pass a file written by numpy.save (np.savez .npz archives are zip files: unzip them first).',
    });
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) {
    throw dataError(`unsupported NPY format version ${major}.${minor}`, {
      file,
      field: 'byte 6',
      expected: 'format 1.0, 2.0 or 3.0',
      received: `${major}.${minor}`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw truncated(file, 8, bytes.length, 'the header length', 'header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw truncated(file, 8 + lengthBytes, bytes.length, `the ${headerLength}-byte header`, 'header');
  const headerBytes = bytes.subarray(8 + lengthBytes, dataStart);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  return { dataStart, text };
}

/** Parses the header dict and accepts only the dtypes and the C order we can read. */
function parseHeader(text: string, file: string): { dtype: NpyDtype; shape: number[] } {
  const header = parseValue(headerFields(text), headerSchema, {
    what: 'the NPY header',
    file,
    record: 'header',
    expected: "{'descr': …, 'fortran_order': …, 'shape': (…)}",
    hint: `the header reads ${JSON.stringify(text.trim().slice(0, 120))}; write the file with numpy.save`,
  });
  const dtype = normaliseDescr(header.descr);
  if (!dtype) {
    throw dataError(`unsupported NPY dtype ${header.descr}`, {
      file,
      field: 'header.descr',
      expected: NPY_DTYPES.map((d) => `${d} (${DTYPE_NAME[d]})`).join(', '),
      received: header.descr,
      hint: header.descr.startsWith('>')
        ? 'The array is big-endian: re-save it with arr.astype(arr.dtype.newbyteorder("<")).'
        : 'Convert it in numpy first, e.g. np.save(path, arr.astype(np.int64)).',
    });
  }
  if (header.fortran_order) {
    throw dataError('NPY arrays in Fortran (column-major) order are not supported', {
      file,
      field: 'header.fortran_order',
      expected: 'False (C order)',
      received: 'True',
      hint: 'Re-save it in C order: np.save(path, np.ascontiguousarray(arr)).',
    });
  }
  return { dtype, shape: header.shape };
}

/** The data after the header must be exactly `count` items: short means cut off, long means corrupt. */
function checkDataLength(
  bytes: Uint8Array,
  file: string,
  { dataStart, dtype, shape, count }: { dataStart: number; dtype: NpyDtype; shape: readonly number[]; count: number },
): void {
  const itemSize = ITEM_SIZE[dtype];
  const expectedBytes = count * itemSize;
  const available = bytes.length - dataStart;
  if (available < expectedBytes) {
    const rowBytes = shape.length > 0 ? expectedBytes / Math.max(shape[0]!, 1) : expectedBytes;
    const row = rowBytes > 0 ? Math.floor(available / rowBytes) : 0;
    throw dataError(
      `truncated NPY file: the data ends at byte ${bytes.length}, ${expectedBytes - available} bytes short; row ${row} of shape (${shape.join(', ')}) is incomplete`,
      {
        file,
        record: row,
        field: `byte ${bytes.length}`,
        expected: `${dataStart + expectedBytes} bytes (${dataStart} header + ${count} × ${itemSize})`,
        received: `${bytes.length} bytes`,
        hint: 'The file was cut short (interrupted download or copy): fetch it again.',
      },
    );
  }
  if (available > expectedBytes) {
    throw dataError(`NPY file has ${available - expectedBytes} bytes after the data`, {
      file,
      field: `byte ${dataStart + expectedBytes}`,
      expected: `${dataStart + expectedBytes} bytes for shape (${shape.join(', ')}) of ${DTYPE_NAME[dtype]}`,
      received: `${bytes.length} bytes`,
      hint: 'The header does not describe the data: the file is corrupt or was appended to.',
    });
  }
}

function truncated(file: string, offset: number, size: number, what: string, record: string) {
  return dataError(`truncated NPY file: it ends at byte ${size}, inside ${what}`, {
    file,
    record,
    field: `byte ${offset}`,
    expected: `${what} starting at byte ${offset}`,
    received: `${size} bytes`,
    hint: 'The file was cut short (interrupted download or copy): fetch it again.',
  });
}

/** Reads a `.npy` file. */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw ioError(missing ? `no such file: ${path}` : `cannot read ${path}`, {
      file: path,
      cause: error,
      hint: missing ? 'Check the path.' : 'Check the file permissions.',
    });
  }
  return parseNpy(bytes, path);
}

/** The header text numpy writes for this array (before padding). */
function headerText(dtype: NpyDtype, shape: readonly number[]): string {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) text += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  return text;
}

/** The NPY 1.0 preamble (magic, version, padded header) numpy writes before an array's data. */
export function encodeNpyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  let header = headerText(dtype, shape);
  const withNewline = header.length + 1;
  const pad = (ALIGN - ((10 + withNewline) % ALIGN)) % ALIGN;
  header = `${header}${' '.repeat(pad)}\n`;
  if (header.length > 0xffff) throw dataError('NPY header too long for format 1.0', { file: '<array>', field: 'shape', received: `(${shape.join(', ')})` });
  const out = new Uint8Array(10 + header.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  return out;
}

/** Encodes an array as NPY format 1.0 bytes, byte-identical to numpy 2's `np.save`. */
export function encodeNpy(array: NpyArray): Uint8Array {
  checkArray(array);
  const header = encodeNpyHeader(array.dtype, array.shape);
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/** Writes an array as a plain NPY 1.0 file (atomically). */
export function writeNpy(path: string, array: NpyArray): void {
  writeFileAtomic(path, encodeNpy(array));
}

/** Builds an NpyArray from a typed array, checking that the shape fits. */
export function npyArray<D extends NpyDtype>(dtype: D, shape: number[], data: NpyDataByDtype[D]): NpyArray {
  const array = { dtype, shape, data } as NpyArray;
  checkArray(array);
  return array;
}

function checkArray(array: NpyArray): void {
  const where = { file: '<array>', hint: 'The typed array must match the dtype and hold product(shape) elements.' };
  if (!NPY_DTYPES.includes(array.dtype))
    throw dataError(`unsupported NPY dtype ${String(array.dtype)}`, {
      ...where,
      field: 'dtype',
      expected: NPY_DTYPES.join(', '),
      received: String(array.dtype),
    });
  if (!array.shape.every((d) => Number.isInteger(d) && d >= 0))
    throw dataError('shape must be whole numbers ≥ 0', { ...where, field: 'shape', received: JSON.stringify(array.shape) });
  if (!(array.data instanceof CONSTRUCTOR[array.dtype])) {
    throw dataError(`data is not a ${CONSTRUCTOR[array.dtype].name} for dtype ${array.dtype}`, {
      ...where,
      field: 'data',
      expected: CONSTRUCTOR[array.dtype].name,
      received: array.data.constructor.name,
    });
  }
  const count = product(array.shape);
  if (array.data.length !== count)
    throw dataError('data length does not match shape', {
      ...where,
      field: 'data',
      expected: `${count} elements for shape (${array.shape.join(', ')})`,
      received: String(array.data.length),
    });
}

/** The elements as float64 numbers; int64 values must be safe integers (|x| < 2^53). */
export function npyToNumbers(array: NpyArray, file = '<array>'): Float64Array {
  const out = new Float64Array(array.data.length);
  if (array.data instanceof BigInt64Array) {
    const data = array.data;
    for (let i = 0; i < data.length; i++) {
      const value = Number(data[i]!);
      if (!Number.isSafeInteger(value)) {
        throw dataError(`int64 value ${data[i]} at element ${i} is too large for a JavaScript number`, {
          file,
          record: i,
          expected: `an integer with |x| ≤ ${Number.MAX_SAFE_INTEGER}`,
          received: String(data[i]),
        });
      }
      out[i] = value;
    }
    return out;
  }
  out.set(array.data);
  return out;
}

/** Human name of a dtype (`<i4` → int32). */
export function npyDtypeName(dtype: NpyDtype): string {
  return DTYPE_NAME[dtype];
}
