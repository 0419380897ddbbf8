/**
 * Loading a model: the ONNX session plus its spec, with the spec checked against the graph and
 * the gaps (input/output names, input size) filled from the graph's metadata.
 */
import { usageError, dataError } from '../core/errors.ts';
import { createSession, type OnnxSession, type ProviderChoice } from '../onnx/index.ts';
import { modelSpecFrom, type ModelOverrides } from './sidecar.ts';
import type { ModelSpec } from './types.ts';
import { existsSync } from 'node:fs';

export interface LoadedModel {
  spec: ModelSpec;
  session: OnnxSession;
}

/** Opens a model on `providers` (default: the CPU) with `threads` intra-op threads. */
export async function loadModel(path: string, overrides: ModelOverrides = {}, threads?: number, providers?: ProviderChoice): Promise<LoadedModel> {
  if (!existsSync(path)) throw usageError(`model file not found`, { file: path, field: '--model', hint: 'give the path to an .onnx file' });
  const spec = modelSpecFrom(path, overrides);
  const session = await createSession(path, { threads, providers });
  const input = spec.inputName ? session.inputs.find((i) => i.name === spec.inputName) : session.inputs[0];
  if (!input) {
    throw dataError(`the model has no input named "${spec.inputName}"`, {
      file: path,
      field: 'input.name',
      expected: session.inputs.map((i) => i.name).join(', '),
    });
  }
  const output = spec.outputName ? session.outputs.find((o) => o.name === spec.outputName) : session.outputs[0];
  if (!output) {
    throw dataError(`the model has no output named "${spec.outputName}"`, {
      file: path,
      field: 'output.name',
      expected: session.outputs.map((o) => o.name).join(', '),
    });
  }
  spec.inputName = input.name;
  spec.outputName = output.name;

  // The graph's own input shape is the authority; the sidecar/flags must agree with it.
  const shape = input.shape;
  if (shape.length !== 4)
    throw dataError(`model input "${input.name}" has ${shape.length} dimensions`, {
      file: path,
      expected: '4 ([batch, 3, H, W] or [batch, H, W, 3])',
      received: JSON.stringify(shape),
    });
  const [h, w, c] = spec.layout === 'NCHW' ? [shape[2], shape[3], shape[1]] : [shape[1], shape[2], shape[3]];
  if (typeof c === 'number' && c !== 3) {
    throw dataError(`model input "${input.name}" has ${c} channels in ${spec.layout} layout`, {
      file: path,
      expected: '3 (RGB)',
      received: JSON.stringify(shape),
      hint: spec.layout === 'NCHW' ? 'try --layout NHWC' : 'try --layout NCHW',
    });
  }
  for (const [axis, graphValue, key] of [
    ['height', h, 'height'],
    ['width', w, 'width'],
  ] as const) {
    if (typeof graphValue === 'number') {
      if (spec[key] && spec[key] !== graphValue) {
        throw dataError(`model input ${axis} is ${graphValue}, but the sidecar/flags say ${spec[key]}`, {
          file: path,
          field: `input.${axis}`,
          expected: String(graphValue),
          received: String(spec[key]),
        });
      }
      spec[key] = graphValue;
    }
  }
  if (!spec.height || !spec.width) {
    throw usageError(`the model's input size is not fixed in the graph and not given`, { file: path, hint: 'pass --size N or add input.shape to the sidecar' });
  }
  const classes = output.shape[output.shape.length - 1];
  if (typeof classes === 'number') {
    if (spec.numClasses !== null && spec.numClasses !== classes) {
      throw dataError(`model output has ${classes} classes, the sidecar says ${spec.numClasses}`, { file: path, field: 'output.shape' });
    }
    spec.numClasses = classes;
  }
  return { spec, session };
}
