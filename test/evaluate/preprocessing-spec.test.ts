/**
 * The preprocessing part of a model spec: defaults follow torchvision, flags override, and every
 * choice that changes the pixels is part of a run's identity.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cropSpecOf, modelSpecFrom, preprocessingOf } from '../../src/evaluate/index.ts';

describe('preprocessing options of a model spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-spec-'));
  const model = join(dir, 'm.onnx');
  writeFileSync(join(dir, 'm.json'), JSON.stringify({ input: { shape: ['batch', 3, 224, 224] }, preprocess: { crop_pct: 0.875, interpolation: 'lanczos' } }));

  it('defaults to Pillow, ICC ignored, no EXIF rotation; resize = floor(224 / 0.875) = 256', () => {
    const spec = modelSpecFrom(model);
    expect([spec.resampler, spec.iccToSrgb, spec.exifRotate, spec.interpolation]).toEqual(['pillow', false, false, 'lanczos']);
    expect(cropSpecOf(spec)).toEqual({ resize: 256, crop: 224, interpolation: 'lanczos', resampler: 'pillow', iccToSrgb: false, exifRotate: false });
  });

  it('flags override, and each one changes the run identity', () => {
    const base = preprocessingOf(modelSpecFrom(model));
    for (const overrides of [{ resampler: 'libvips' as const }, { iccToSrgb: true }, { exifRotate: true }, { interpolation: 'bicubic' as const }]) {
      const other = preprocessingOf(modelSpecFrom(model, overrides));
      expect(JSON.stringify(other), JSON.stringify(overrides)).not.toBe(JSON.stringify(base));
    }
    expect(base).toMatchObject({ resampler: 'pillow', iccToSrgb: false, exifRotate: false });
  });
});
