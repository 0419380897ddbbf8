import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { listTensors, onnxFeaturesDescriptor, reviewThreshold, withExtraOutput } from '../../src/dedup/index.ts';
import { writeImageToTensor, modelSpecFrom } from '../../src/evaluate/index.ts';
import { createSession } from '../../src/onnx/index.ts';
import { readCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

describeWithData('features from a named tensor of an ONNX model (ResNet-56, CIFAR-10)', () => {
  const model = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet56.onnx');
  const tensor = '/net/Flatten_output_0';

  it('lists node outputs, the pooled features among them', () => {
    const tensors = listTensors(readFileSync(model));
    expect(tensors.length).toBeGreaterThan(100);
    expect(tensors.slice(-3).map((t) => t.name)).toEqual(['/net/GlobalAveragePool_output_0', tensor, 'logits']);
  });

  it('the edited graph still computes the published logits, plus the 64-d pooled features', async () => {
    const bytes = withExtraOutput(readFileSync(model), tensor, model);
    const session = await createSession(bytes, { threads: 1 });
    expect(session.outputs.map((o) => o.name)).toEqual(['logits', tensor]);
    const spec = modelSpecFrom(model);
    const { pixels } = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const input = new Float32Array(8 * 3 * 32 * 32);
    for (let i = 0; i < 8; i++) writeImageToTensor(pixels, i * 3072, spec, input, i);
    const out = await session.run({ input: { data: input, dims: [8, 3, 32, 32] } });
    const sidecar = JSON.parse(readFileSync(model.replace(/\.onnx$/, '.json'), 'utf8')) as { reference_logits_first8_exact: number[][] };
    sidecar.reference_logits_first8_exact.forEach((row, i) => row.forEach((v, c) => expect(out.logits?.data[i * 10 + c]).toBeCloseTo(v, 3)));
    expect(out[tensor]?.dims).toEqual([8, 64]);
    expect(out[tensor]?.data.every((v) => v >= 0)).toBe(true); // average of ReLU outputs
    await session.release();
  });

  it('the descriptor returns those features per image', async () => {
    const d = onnxFeaturesDescriptor({ model, tensor, threads: 1 });
    const { pixels } = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    expect(await d.dimension(32, 32)).toBe(64);
    const v = await d.describe({ count: 4, width: 32, height: 32, pixels: pixels.subarray(0, 4 * 3072) });
    expect(v.length).toBe(256);
    await d.close();
  });

  it("says how the model is fed, so a published threshold is applied only to the paper's input", async () => {
    const d = onnxFeaturesDescriptor({ model, tensor, threads: 1 });
    const input = await d.input!();
    await d.close();
    expect(input).toMatchObject({ width: 32, height: 32, scale: 1 / 255, normalisedInsideGraph: true });
    expect(reviewThreshold(`features:${model}#fc7`, 32, input)).toMatchObject({
      value: null,
      note: expect.stringMatching(/the input is 32×32, values are scaled by 1\/255, the graph normalises its input itself, so it does not transfer/),
    });
  });

  it('an unknown tensor is a usage error naming pooled-feature candidates', () => {
    expect(() => withExtraOutput(readFileSync(model), '/net/nope', model)).toThrow(/is not computed by the model/);
    try {
      withExtraOutput(readFileSync(model), '/net/nope', model);
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain('/net/Flatten_output_0');
    }
  });
});
