/**
 * Where descriptor vectors live while they are searched: in a SharedArrayBuffer that every worker
 * thread maps (no copies through the main thread), or in a raw float32 file read shard by shard
 * (references that do not fit in memory, e.g. 1.28 M ImageNet images).
 */
import { closeSync, openSync, readSync, writeFileSync, statSync } from 'node:fs';
import { dataError } from '../core/errors.ts';
import type { VectorSource } from './types.ts';

/** Vectors held in memory (copied into shared memory unless they already are). */
export function memoryVectors(data: Float32Array, dimension: number): VectorSource {
  if (dimension <= 0 || data.length % dimension !== 0) {
    throw dataError('vector data is not a whole number of vectors', { expected: `a multiple of ${dimension} floats`, received: String(data.length) });
  }
  let shared: Float32Array;
  if (data.buffer instanceof SharedArrayBuffer) shared = data;
  else {
    shared = new Float32Array(new SharedArrayBuffer(data.byteLength));
    shared.set(data);
  }
  return { count: data.length / dimension, dimension, location: { kind: 'memory', buffer: shared.buffer as SharedArrayBuffer, byteOffset: shared.byteOffset } };
}

/** Writes vectors as raw little-endian float32, row-major (the on-disk shard format). */
export function writeVectorFile(path: string, data: Float32Array): void {
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Vectors in a raw float32 file written by `writeVectorFile`, read shard by shard. */
export function fileVectors(path: string, dimension: number): VectorSource {
  const bytes = statSync(path).size;
  if (bytes % (dimension * 4) !== 0) {
    throw dataError('vector file is not a whole number of float32 vectors', {
      file: path,
      expected: `a multiple of ${dimension * 4} bytes`,
      received: `${bytes} bytes`,
    });
  }
  return { count: bytes / (dimension * 4), dimension, location: { kind: 'file', path, byteOffset: 0 } };
}

/** Reads vectors `start … start+count` into `out` (allocated when absent; must not be shared memory for onnxruntime). */
export function readRows(source: VectorSource, start: number, count: number, out?: Float32Array): Float32Array {
  const d = source.dimension;
  const target = out && out.length >= count * d ? out.subarray(0, count * d) : new Float32Array(count * d);
  const loc = source.location;
  if (loc.kind === 'memory') {
    target.set(new Float32Array(loc.buffer, loc.byteOffset + start * d * 4, count * d));
    return target;
  }
  const fd = openSync(loc.path, 'r');
  try {
    const view = new Uint8Array(target.buffer, target.byteOffset, count * d * 4);
    let done = 0;
    while (done < view.length) {
      const n = readSync(fd, view, done, view.length - done, loc.byteOffset + start * d * 4 + done);
      if (n === 0) throw dataError('vector file ended early', { file: loc.path, field: `byte ${loc.byteOffset + start * d * 4 + done}` });
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return target;
}

/** Vector `index`: a view for memory sources (no copy), read from disk otherwise. Do not pass views to onnxruntime. */
export function vectorRow(source: VectorSource, index: number): Float32Array {
  const loc = source.location;
  const d = source.dimension;
  if (loc.kind === 'memory') return new Float32Array(loc.buffer, loc.byteOffset + index * d * 4, d);
  return readRows(source, index, 1);
}
