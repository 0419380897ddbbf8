/**
 * One conformance suite for every descriptor: the contract of `Descriptor` (src/dedup/types.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDescriptor,
  pixelsDescriptor,
  standardizedPixelsDescriptor,
  onnxFeaturesDescriptor,
  type Descriptor,
  type ImageBatch,
} from '../../src/dedup/index.ts';
import { SHARED_MODELS } from '../helpers/shared.ts';

const resnet = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
const factories: [string, () => Descriptor][] = [
  ['pixels (own size)', () => pixelsDescriptor({ size: null })],
  ['pixels@16', () => pixelsDescriptor({ size: 16 })],
  ['pixels-std', () => standardizedPixelsDescriptor({ size: null })],
  ['pixels-std@8', () => standardizedPixelsDescriptor({ size: 8 })],
];
if (existsSync(resnet))
  factories.push(['features resnet20 pooled', () => onnxFeaturesDescriptor({ model: resnet, tensor: '/net/Flatten_output_0', threads: 1 })]);
else console.warn(`[skip] ONNX feature descriptor conformance: ${resnet} not found`);

function images(count: number, seed: number, side = 32): ImageBatch {
  const pixels = new Uint8Array(count * side * side * 3);
  let x = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    pixels[i] = x >>> 24;
  }
  return { count, width: side, height: side, pixels };
}

describe.each(factories)('descriptor conformance: %s', (_name, make) => {
  it('has a stable name, a metric and a dimension that matches its vectors', async () => {
    const d = make();
    try {
      expect(d.name).toMatch(/^(pixels|pixels-std|features:)/);
      expect(['l2', 'cosine']).toContain(d.metric);
      const dim = await d.dimension(32, 32);
      const v = await d.describe(images(3, 1));
      expect(v.length).toBe(3 * dim);
      expect(v.every(Number.isFinite)).toBe(true);
    } finally {
      await d.close();
    }
  });

  it('is deterministic and describes each image independently of its batch', async () => {
    const d = make();
    try {
      const batch = images(5, 2);
      const all = await d.describe(batch);
      const again = await d.describe(batch);
      expect(again).toEqual(all);
      const dim = all.length / 5;
      const size = 32 * 32 * 3;
      const third = await d.describe({ count: 1, width: 32, height: 32, pixels: batch.pixels.slice(2 * size, 3 * size) });
      for (let t = 0; t < dim; t++) expect(third[t]).toBeCloseTo(all[2 * dim + t]!, 4);
    } finally {
      await d.close();
    }
  });

  it('gives identical images identical vectors and different images different ones', async () => {
    const d = make();
    try {
      const a = images(1, 3);
      const b = images(1, 4);
      const v = await d.describe({ count: 3, width: 32, height: 32, pixels: new Uint8Array([...a.pixels, ...a.pixels, ...b.pixels]) });
      const dim = v.length / 3;
      expect(v.subarray(0, dim)).toEqual(v.subarray(dim, 2 * dim));
      expect(v.subarray(0, dim)).not.toEqual(v.subarray(2 * dim));
    } finally {
      await d.close();
    }
  });

  it('accepts an empty batch', async () => {
    const d = make();
    try {
      expect((await d.describe({ count: 0, width: 32, height: 32, pixels: new Uint8Array(0) })).length).toBe(0);
    } finally {
      await d.close();
    }
  });

  it('close() may be called twice', async () => {
    const d = make();
    await d.close();
    await d.close();
  });
});

describe('pixel descriptors', () => {
  it('pixels keeps 0–255 values in HWC order; @size area-averages', async () => {
    const img: ImageBatch = { count: 1, width: 2, height: 2, pixels: Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]) };
    expect(Array.from(await pixelsDescriptor({ size: null }).describe(img))).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    expect(Array.from(await pixelsDescriptor({ size: 1 }).describe(img))).toEqual([45, 55, 65]);
  });
  it('pixels-std is zero-mean and unit-norm, blind to brightness offsets and contrast gain', async () => {
    const base = images(1, 9, 8);
    const brighter: ImageBatch = { ...base, pixels: base.pixels.map((v) => Math.min(255, Math.round(v * 0.5 + 40))) };
    const halved: ImageBatch = { ...base, pixels: base.pixels.map((v) => v >> 1) };
    const d = standardizedPixelsDescriptor({ size: null });
    const [a, b] = [await d.describe(halved), await d.describe(brighter)];
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(0, 4);
    expect(a.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 4);
    // (v >> 1) and round(v/2 + 40) differ only by rounding: nearly the same unit vector.
    let dist = 0;
    for (let t = 0; t < a.length; t++) dist += (a[t]! - b[t]!) ** 2;
    expect(dist).toBeLessThan(1e-3);
  });
  it('a constant image standardizes to zeros, not NaN', async () => {
    const v = await standardizedPixelsDescriptor({ size: null }).describe({ count: 1, width: 4, height: 4, pixels: new Uint8Array(48).fill(7) });
    expect(Array.from(v)).toEqual(new Array(48).fill(0));
  });
});

describe('parseDescriptor', () => {
  it('parses the command-line forms', () => {
    expect(parseDescriptor('pixels').name).toBe('pixels');
    expect(parseDescriptor('pixels@64').name).toBe('pixels@64');
    expect(parseDescriptor('pixels-std@32').name).toBe('pixels-std@32');
    const f = parseDescriptor('features:/m/resnet.onnx#/net/Flatten_output_0@cosine');
    expect(f.name).toBe('features:resnet.onnx#/net/Flatten_output_0');
    expect(f.metric).toBe('cosine');
  });
  it('rejects unknown names with the accepted forms', () => {
    expect(() => parseDescriptor('sift')).toThrow(/unknown descriptor/);
    expect(() => parseDescriptor('pixels@0')).toThrow(/size/);
  });
});
