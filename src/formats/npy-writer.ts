/**
 * Writing a large `.npy` file row block by row block, so that an array bigger than memory (60,000
 * float32 crops) never has to exist in one piece. The shape is fixed up front; the file appears
 * under its name only once every row is written (a temporary file is renamed), as np.save lays it
 * out.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { dataError } from '../core/errors.ts';
import { encodeNpyHeader } from './npy.ts';
import type { NpyDtype } from './types.ts';

const ITEM_BYTES: Record<NpyDtype, number> = { '|u1': 1, '<u2': 2, '<i4': 4, '<i8': 8, '<f4': 4, '<f8': 8 };

export class NpyFileWriter {
  private readonly fd: number;
  private readonly temporary: string;
  private written = 0;
  private readonly total: number;
  private closed = false;

  /** Starts `path` as an array of `dtype` and `shape`; write exactly product(shape) elements, then `finish`. */
  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.total = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
    mkdirSync(dirname(path), { recursive: true });
    this.temporary = `${path}.partial-${process.pid}-${Date.now()}`;
    this.fd = openSync(this.temporary, 'w');
    try {
      const header = encodeNpyHeader(dtype, shape);
      writeSync(this.fd, header, 0, header.length);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Appends elements (in C order) after those already written. */
  write(data: Uint8Array | Float32Array): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.written + bytes.length > this.total) {
      throw dataError('more data than the array shape holds', {
        file: this.path,
        expected: `${this.total} bytes for shape (${this.shape.join(', ')})`,
        received: `${this.written + bytes.length}`,
      });
    }
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.written += bytes.length;
  }

  /** Closes the file and gives it its name; refuses (and removes it) if rows are missing. */
  finish(): void {
    if (this.written !== this.total) {
      this.abort();
      throw dataError('the array is incomplete', { file: this.path, expected: `${this.total} bytes of data`, received: `${this.written}` });
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    renameSync(this.temporary, this.path);
  }

  /** Closes and removes the unfinished file. */
  abort(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
    rmSync(this.temporary, { force: true });
  }
}
