/**
 * Planted near-duplicates on real CIFAR-10 images: 100 exact test images (every 10th of the first
 * 1,000) are transformed and searched for among the 1,000 test + 4,000 training images. Reports
 * recall@1 and recall@10 per descriptor and transformation (printed as a table, the figures in
 * docs/dedup.md) and pins floors; exact copies must always come first at distance 0.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  arraySource,
  describeSource,
  exactKnn,
  parseDescriptor,
  type Descriptor,
  type ImageBatch,
  type ImageSource,
  type VectorSource,
} from '../../src/dedup/index.ts';
import { readCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { PLANTED } from './planted.ts';

const DESCRIPTORS = ['pixels', 'pixels-std', 'pixels-std@16', `features:${join(SHARED_MODELS, 'cifar10', 'akamaster_resnet56.onnx')}#/net/Flatten_output_0`];
const QUERY_STRIDE = 10;

describeWithData('planted near-duplicates on CIFAR-10', () => {
  let test: ImageSource;
  let train: ImageSource;
  let queryIndices: number[];
  const table: Record<string, Record<string, { r1: number; r10: number }>> = {};

  beforeAll(() => {
    const t = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const r = readCifarBin(join(SHARED_DATA, 'cifar10', 'data_batch_1_first4000.bin'));
    test = arraySource('test1000', 'test1000', { count: t.count, width: 32, height: 32, pixels: t.pixels });
    train = arraySource('train4000', 'train4000', { count: r.count, width: 32, height: 32, pixels: r.pixels });
    queryIndices = Array.from({ length: 100 }, (_, i) => i * QUERY_STRIDE);
  });

  afterAll(() => {
    const rows = Object.entries(table).map(([transform, byDescriptor]) => ({
      transform,
      ...Object.fromEntries(
        Object.entries(byDescriptor).map(([d, v]) => [d.replace(/^features:.*#/, 'resnet56#'), `${(v.r1 * 100).toFixed(0)} / ${(v.r10 * 100).toFixed(0)}`]),
      ),
    }));
    console.log('recall@1 / recall@10 (%) of 100 planted duplicates among 5,000 CIFAR images');
    console.table(rows);
  });

  async function plantedQueries(transform: (typeof PLANTED)[number] | null): Promise<ImageSource> {
    const pixels = new Uint8Array(queryIndices.length * 32 * 32 * 3);
    for (const [i, q] of queryIndices.entries()) {
      const image: ImageBatch = await test.read(q, 1);
      const out = transform ? await transform.apply({ ...image, pixels: image.pixels.slice() }) : image;
      pixels.set(out.pixels, i * 32 * 32 * 3);
    }
    return arraySource(transform?.name ?? 'exact', `planted:${transform?.name ?? 'exact'}`, { count: queryIndices.length, width: 32, height: 32, pixels });
  }

  async function recall(descriptor: Descriptor, refs: VectorSource[], queries: ImageSource) {
    const vectors = await describeSource(queries, descriptor);
    const result = await exactKnn(vectors, refs, { k: 10, metric: descriptor.metric, workers: 1 });
    let r1 = 0,
      r10 = 0;
    for (const [i, list] of result.neighbours.entries()) {
      const rank = list.findIndex((n) => n.set === 0 && n.index === queryIndices[i]);
      if (rank === 0) r1++;
      if (rank >= 0) r10++;
    }
    return { r1: r1 / queryIndices.length, r10: r10 / queryIndices.length, result };
  }

  // Floors (recall@10, %) per descriptor and transformation: the measured values (docs/dedup.md) minus a margin.
  const FLOORS: Record<string, Partial<Record<string, number>>> = {
    pixels: { 'jpeg q30': 95, 'shift 2,1px': 95, 'rescale +10%': 95, 'brightness +25': 95, 'crop 2px': 95 },
    'pixels-std': { 'jpeg q30': 95, 'shift 2,1px': 95, 'rescale +10%': 95, 'brightness +25': 95, 'crop 2px': 95 },
    'pixels-std@16': { 'jpeg q30': 95, 'shift 2,1px': 95, 'rescale +10%': 95, 'brightness +25': 95, 'crop 2px': 95 },
    'resnet56#/net/Flatten_output_0': { 'jpeg q90': 85, 'shift 2,1px': 90, 'brightness +25': 95 },
  };

  it.each(DESCRIPTORS)(
    'exact copies rank first at distance 0, and recall per transformation: %s',
    async (spec) => {
      const descriptor = parseDescriptor(spec);
      try {
        const refs = [await describeSource(test, descriptor), await describeSource(train, descriptor)];
        const exact = await recall(descriptor, refs, await plantedQueries(null));
        expect(exact.r1).toBe(1);
        for (const list of exact.result.neighbours) expect(list[0]?.distance).toBe(0);
        (table['exact copy'] ??= {})[spec] = { r1: exact.r1, r10: exact.r10 };
        for (const transform of PLANTED) {
          const { r1, r10 } = await recall(descriptor, refs, await plantedQueries(transform));
          (table[transform.name] ??= {})[spec] = { r1, r10 };
          const floor = FLOORS[spec.replace(/^features:.*#/, 'resnet56#')]?.[transform.name];
          if (floor !== undefined) expect(r10 * 100, transform.name).toBeGreaterThanOrEqual(floor);
        }
      } finally {
        await descriptor.close();
      }
    },
    600_000,
  );
});
