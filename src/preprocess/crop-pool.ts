/**
 * A pool of worker threads (piscina) that decode and crop images, so that the JavaScript resampler
 * never blocks the thread that feeds onnxruntime and writes the store. With `threads: 0` the work
 * runs in the calling thread (same results; for tests and tiny jobs).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { fromWireError } from '../core/wire-error.ts';
import { preloadImageCodec, type RgbImage } from '../formats/index.ts';
import { cropImage } from './crop-image.ts';
import type { CropTask, CropTaskFailure } from './crop-task.ts';
import type { CropSource, CropSpec } from './types.ts';

export interface CropPool {
  /** Worker threads (0: crops run in this thread). */
  readonly threads: number;
  /** The crop of one image; rejects with the RetestError the decoder or the geometry raised. */
  crop(source: CropSource, spec: CropSpec): Promise<RgbImage>;
  /** Stops the workers (pending crops finish first). */
  close(): Promise<void>;
}

export interface CropPoolOptions {
  /** Worker threads; default: the number of cores, at most 8. 0 crops in the calling thread. */
  threads?: number | undefined;
}

/** The worker entry: the compiled file, or a bootstrap that registers tsx when running from sources. */
function workerFile(): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? './crop-worker-tsx.mjs' : './crop-worker.js', import.meta.url));
}

export async function createCropPool(options: CropPoolOptions = {}): Promise<CropPool> {
  const threads = options.threads ?? Math.min(8, availableParallelism());
  if (threads === 0) {
    return { threads, crop: (source, spec) => cropImage(source, spec), close: async () => {} };
  }
  // Worker threads that use sharp need it loaded in the main thread first (glibc would unload it).
  await preloadImageCodec();
  // Two tasks per worker: one resamples while the other waits for libvips to decode.
  const piscina = new Piscina<CropTask, Uint8Array | CropTaskFailure>({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 2,
    idleTimeout: 60_000,
  });
  return {
    threads,
    async crop(source, spec) {
      let task: CropTask = { source, spec };
      let transferList: ArrayBuffer[] | undefined;
      if (typeof source === 'object') {
        // Send only this image's bytes (a view would clone its whole dataset buffer), moved.
        const own = source instanceof Uint8Array ? source.slice() : { ...source, data: source.data.slice() };
        const bytes = own instanceof Uint8Array ? own : own.data;
        task = { source: own, spec };
        transferList = [bytes.buffer as ArrayBuffer];
      }
      const result = await piscina.run(task, transferList ? { transferList } : {});
      if (!(result instanceof Uint8Array)) throw fromWireError(result.failure, 'a crop worker');
      return { data: result, width: spec.crop, height: spec.crop };
    },
    close: () => piscina.destroy(),
  };
}
