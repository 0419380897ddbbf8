/**
 * The six real CIFAR-10 models on the first 1,000 exact test images: top-1 must equal what
 * PyTorch measured (the sidecars' figures), logits of the first 8 images within 1e-4.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { evaluate, loadModel, writeImageToTensor, type EvalDataset } from '../../src/evaluate/index.ts';
import { readCifarBin } from '../../src/formats/cifar-bin.ts';
import { openResultsStore } from '../helpers/results.ts';
import { describeWithData, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const expectedTop1: Record<string, number> = {
  akamaster_resnet20: 91.5,
  akamaster_resnet32: 92.8,
  akamaster_resnet44: 93.3,
  akamaster_resnet56: 92.6,
  mlperf_tiny_resnet8: 88.1,
  convnetjs_cifar10_demo: 75.6,
};

describeWithData('retest eval on the real CIFAR-10 models', () => {
  let dataset: EvalDataset;
  beforeAll(() => {
    const file = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
    const arrays = readCifarBin(file);
    dataset = {
      name: 'cifar10-test-first1000',
      source: file,
      numClasses: 10,
      images: Array.from(arrays.labels, (label, i) => ({ imageId: String(i), label })),
      pixels: { height: 32, width: 32, data: arrays.pixels },
      files: null,
    };
  });

  it('has six models with sidecars', () => {
    const models = readdirSync(join(SHARED_MODELS, 'cifar10'))
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.replace('.onnx', ''))
      .sort();
    expect(models).toEqual(Object.keys(expectedTop1).sort());
  });

  for (const [name, top1] of Object.entries(expectedTop1)) {
    it(`${name}: top-1 ${top1} % on test_batch_first1000.bin, as in its sidecar`, async () => {
      const sidecar = JSON.parse(readFileSync(join(SHARED_MODELS, 'cifar10', `${name}.json`), 'utf8'));
      expect(sidecar.measured.cifar10_test_exact_first1000_top1_percent).toBe(top1);
      const store = await openResultsStore(join(mkdtempSync(join(tmpdir(), 'retest-eval-')), 'r.db'));
      const summary = await evaluate({ store, dataset, modelPath: join(SHARED_MODELS, 'cifar10', `${name}.onnx`), options: { batchSize: 200, threads: 1 } });
      await store.close();
      expect(summary.n).toBe(1000);
      expect(summary.failed).toBe(0);
      expect(summary.top1.correct).toBe(Math.round(top1 * 10));
      expect(summary.top1.ci95[0]).toBeLessThan(summary.top1.accuracy!);
      expect(summary.top1.ci95[1]).toBeGreaterThan(summary.top1.accuracy!);
      expect(summary.top5!.correct).toBeGreaterThanOrEqual(summary.top1.correct);
    });

    it(`${name}: logits of the first 8 images match the sidecar within 1e-4`, async () => {
      const model = await loadModel(join(SHARED_MODELS, 'cifar10', `${name}.onnx`), {}, 1);
      const { spec } = model;
      expect(spec.referenceLogits).toHaveLength(8);
      const tensor = new Float32Array(8 * 3 * 32 * 32);
      for (let i = 0; i < 8; i++) writeImageToTensor(dataset.pixels!.data, i * 3072, spec, tensor, i);
      const out = await model.session.run({ [spec.inputName]: { data: tensor, dims: [8, 3, 32, 32] } });
      const logits = out[spec.outputName]!.data;
      let maxDiff = 0;
      spec.referenceLogits!.forEach((row, i) => row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - logits[i * 10 + j]!)))));
      expect(maxDiff).toBeLessThan(1e-4);
      await model.session.release();
    });
  }
});
