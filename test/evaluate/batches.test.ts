import { describe, expect, it } from 'vitest';
import { dataError } from '../../src/core/errors.ts';
import { prepareBatches } from '../../src/evaluate/index.ts';
import type { CropPool } from '../../src/preprocess/index.ts';

type Spec = Parameters<typeof prepareBatches>[0];
const spec = {
  name: 'm',
  path: 'm.onnx',
  height: 8,
  width: 8,
  resize: 8,
  cropPct: null,
  interpolation: 'bilinear',
  resampler: 'pillow',
  iccToSrgb: true,
  exifRotate: true,
  cropMode: 'center',
  mean: null,
  std: null,
} as unknown as Spec;
const dataset = { source: 'folder', pixels: null, files: ['a.png', 'b.png', 'c.png'] };

/** A crop pool whose crop of b.png fails with `error` (the pool is the seam the evaluator is given). */
function poolFailingWith(error: Error): Promise<CropPool> {
  return Promise.resolve({
    threads: 1,
    crop: async (source) => {
      if (source === 'b.png') throw error;
      return { data: new Uint8Array(8 * 8 * 3).fill(7), width: 8, height: 8 };
    },
    close: async () => {},
  });
}

async function collect(pool: Promise<CropPool>) {
  const out = [];
  for await (const batch of prepareBatches(spec, dataset, [0, 1, 2], { batchSize: 3, decodeConcurrency: 1, failFast: false, tensor: false, pool }))
    out.push(batch);
  return out;
}

describe('prepareBatches: what counts as a failed image', () => {
  it("an unreadable image (a RetestError) is recorded as that image's failure, the others go on", async () => {
    const [batch] = await collect(poolFailingWith(dataError('not an image', { file: 'b.png' })));
    expect([...batch!.failures]).toEqual([[1, 'b.png: not an image']]);
    expect(batch!.crops[0]).toBe(7);
    expect(batch!.crops[8 * 8 * 3]).toBe(0);
  });

  it('a bug (a TypeError) is not a failed image: it stops the run', async () => {
    await expect(collect(poolFailingWith(new TypeError('x is undefined')))).rejects.toThrow(TypeError);
  });
});
