/**
 * `--timm-config`: timm pretrained_cfg → the crop geometry timm's eval transform gives. Every
 * expected number below is worked out by hand from timm's rules (transforms_factory.py,
 * transforms_imagenet_eval; transforms.py, ResizeKeepRatio and center_crop_or_pad).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { cropSpecOf, modelSpecFrom, preprocessingOf } from '../../src/evaluate/index.ts';
import { readTimmConfig } from '../../src/evaluate/timm-config.ts';
import { cropGeometry, cropImage, pillowResize } from '../../src/preprocess/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-timm-'));
function config(name: string, value: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}
/** A Hugging Face timm config.json with these pretrained_cfg values. */
const hf = (cfg: Record<string, unknown>) => ({
  architecture: 'convnext_tiny',
  num_classes: 1000,
  num_features: 768,
  pretrained_cfg: { tag: 'in1k', custom_load: false, license: 'apache-2.0', first_conv: 'stem.0', classifier: 'head.fc', fixed_input_size: false, ...cfg },
});
const BASE = {
  input_size: [3, 288, 288],
  interpolation: 'bicubic',
  crop_pct: 0.95,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  num_classes: 1000,
};

function thrown(fn: () => unknown): RetestError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetestError);
    return error as RetestError;
  }
  throw new Error('expected an error');
}

describe('timm configs → the model spec', () => {
  it('center, bicubic, crop_pct 0.95, 288²: resize floor(288 / 0.95) = 303', () => {
    const spec = modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: config('center', hf({ ...BASE, crop_mode: 'center' })) });
    expect(spec).toMatchObject({
      height: 288,
      width: 288,
      cropPct: 0.95,
      resize: null,
      cropMode: 'center',
      interpolation: 'bicubic',
      scale: 1 / 255,
      mean: BASE.mean,
      std: BASE.std,
      numClasses: 1000,
    });
    // 288 / 0.95 = 303.157…; floor → 303.
    expect(cropSpecOf(spec)).toEqual({ resize: 303, crop: 288, interpolation: 'bicubic', resampler: 'pillow', iccToSrgb: false, exifRotate: false });
    // The center mode keeps the identity runs had before crop modes existed.
    expect(preprocessingOf(spec)).not.toHaveProperty('cropMode');
  });

  it('squash and border carry their mode; border fills with round(255 · mean)', () => {
    const squash = modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: config('squash', hf({ ...BASE, crop_mode: 'squash' })) });
    expect(cropSpecOf(squash)).toMatchObject({ resize: 303, crop: 288, mode: 'squash' });
    expect(preprocessingOf(squash)).toMatchObject({ cropMode: 'squash' });
    const border = modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: config('border', hf({ ...BASE, crop_mode: 'border' })) });
    // 255 · (0.485, 0.456, 0.406) = (123.675, 116.28, 103.53) → (124, 116, 104).
    expect(cropSpecOf(border)).toMatchObject({ resize: 303, crop: 288, mode: 'border', fill: [124, 116, 104] });
  });

  it("timm's defaults when keys are absent; a bare pretrained_cfg works too; flags still win", () => {
    const spec = modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: config('bare', { input_size: [3, 224, 224] }) });
    // crop_pct 0.875 → floor(224 / 0.875) = floor(256) = 256; bicubic; ImageNet mean/std; center.
    expect(cropSpecOf(spec)).toMatchObject({ resize: 256, crop: 224, interpolation: 'bicubic' });
    expect(spec.mean).toEqual([0.485, 0.456, 0.406]);
    const flagged = modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: config('bare2', { input_size: [3, 224, 224] }), interpolation: 'bilinear', resize: 232 });
    expect(cropSpecOf(flagged)).toMatchObject({ resize: 232, interpolation: 'bilinear' });
  });

  it('label_names become the class list', () => {
    const t = readTimmConfig(config('labels', { num_classes: 3, label_names: ['a', 'b', 'c'], pretrained_cfg: { input_size: [3, 32, 32] } }));
    expect(t).toMatchObject({ size: 32, numClasses: 3, labelNames: ['a', 'b', 'c'] });
    expect(modelSpecFrom(join(dir, 'm.onnx'), { timmConfig: t.file }).classLabels).toEqual(['a', 'b', 'c']);
  });

  it('unknown keys and values retest cannot apply are errors naming the key', () => {
    const unknown = thrown(() => readTimmConfig(config('typo', hf({ ...BASE, crop_modes: 'center' }))));
    expect(unknown.field).toBe('pretrained_cfg.crop_modes');
    expect(unknown.file).toContain('typo.json');
    expect(thrown(() => readTimmConfig(config('top', { ...hf(BASE), extra: 1 }))).field).toBe('extra');
    const mode = thrown(() => readTimmConfig(config('mode', hf({ ...BASE, crop_mode: 'random' }))));
    expect(mode.field).toBe('pretrained_cfg.crop_mode');
    expect(mode.received).toBe('"random"');
    expect(thrown(() => readTimmConfig(config('interp', hf({ ...BASE, interpolation: 'random' })))).field).toBe('pretrained_cfg.interpolation');
    const rect = thrown(() => readTimmConfig(config('rect', hf({ ...BASE, input_size: [3, 288, 320] }))));
    expect(rect.field).toBe('pretrained_cfg.input_size');
    expect(rect.message).toMatch(/not square/);
    expect(thrown(() => readTimmConfig(config('pct', hf({ ...BASE, crop_pct: 1.2 })))).field).toBe('pretrained_cfg.crop_pct');
    expect(thrown(() => readTimmConfig(config('names', { num_classes: 3, label_names: ['a'], pretrained_cfg: {} }))).field).toBe('label_names');
    expect(thrown(() => readTimmConfig(join(dir, 'missing.json'))).kind).toBe('usage');
  });
});

describe('crop geometry by hand (a 500×375 photo, crop 288, resize 303)', () => {
  it('center: shorter side 375 → 303, longer int(303·500/375) = int(404.0) = 404; offsets round(116/2) = 58, round(15/2) = round(7.5) = 8', () => {
    expect(cropGeometry(500, 375, 'center', 303, 288)).toEqual({ resizedWidth: 404, resizedHeight: 303, left: 58, top: 8, crop: 288 });
    // Portrait 375×500: the same, transposed.
    expect(cropGeometry(375, 500, 'center', 303, 288)).toEqual({ resizedWidth: 303, resizedHeight: 404, left: 8, top: 58, crop: 288 });
  });

  it('squash: both sides → 303 (aspect ratio dropped), offsets round((303 − 288)/2) = round(7.5) = 8', () => {
    expect(cropGeometry(500, 375, 'squash', 303, 288)).toEqual({ resizedWidth: 303, resizedHeight: 303, left: 8, top: 8, crop: 288 });
  });

  it('border: ratio = max(375/303, 500/303) = 500/303; 500 → round(303) = 303, 375 → round(227.25) = 227; width cropped at round(7.5) = 8, height padded (288 − 227)//2 = 30 on top, 31 below', () => {
    expect(cropGeometry(500, 375, 'border', 303, 288)).toEqual({ resizedWidth: 303, resizedHeight: 227, left: 8, top: -30, crop: 288 });
    // 640×480 at crop_pct 1 (resize = crop = 288): ratio 640/288; 480 → round(216) = 216; pad (288 − 216)//2 = 36.
    expect(cropGeometry(640, 480, 'border', 288, 288)).toEqual({ resizedWidth: 288, resizedHeight: 216, left: 0, top: -36, crop: 288 });
    // 300×299 at resize 303: ratio 300/303; 299 → round(301.99) = 302: both sides ≥ 288, no padding; left round(7.5) = 8, top round(7) = 7.
    expect(cropGeometry(300, 299, 'border', 303, 288)).toEqual({ resizedWidth: 303, resizedHeight: 302, left: 8, top: 7, crop: 288 });
  });

  it('the pixels: squash is the 303² resize cut at (8, 8); border the 303×227 resize at (−8, 30) on the fill', async () => {
    const image = { width: 500, height: 375, data: new Uint8Array(500 * 375 * 3) };
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 7919) % 251;
    const base = { resize: 303, crop: 288, interpolation: 'bicubic', resampler: 'pillow', iccToSrgb: false, exifRotate: false } as const;
    const squash = await cropImage(image, { ...base, mode: 'squash' });
    const full = pillowResize(image, 303, 303, 'bicubic');
    const at = (img: { data: Uint8Array; width: number }, x: number, y: number) =>
      Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    for (const [x, y] of [
      [0, 0],
      [287, 287],
      [100, 17],
    ] as const)
      expect(at(squash, x, y)).toEqual(at(full, x + 8, y + 8));
    const border = await cropImage(image, { ...base, mode: 'border', fill: [124, 116, 104] });
    const kept = pillowResize(image, 303, 227, 'bicubic');
    expect(border.width).toBe(288);
    expect(at(border, 5, 0)).toEqual([124, 116, 104]);
    expect(at(border, 5, 29)).toEqual([124, 116, 104]);
    expect(at(border, 5, 30)).toEqual(at(kept, 13, 0));
    expect(at(border, 287, 256)).toEqual(at(kept, 295, 226));
    expect(at(border, 0, 257)).toEqual([124, 116, 104]);
    expect(at(border, 287, 287)).toEqual([124, 116, 104]);
  });
});
