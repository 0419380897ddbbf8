/**
 * Features from any named tensor of any ONNX model: the model's ModelProto is decoded with
 * onnx-proto, the tensor is appended to `graph.output` (so a standard classifier's penultimate
 * layer, e.g. `/net/Flatten_output_0` of the CIFAR ResNets, becomes an output), re-encoded, and the
 * session is created from those bytes. Images are squashed to the model's input size (area
 * averaging) and normalised as the model's sidecar says (src/evaluate's ModelSpec).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { existsSync } from 'node:fs';
import { defaultSidecarPath, modelSpecFrom, readSidecar, writeImageToTensor, type ModelSpec } from '../evaluate/index.ts';
import { createSession, type OnnxSession } from '../onnx/index.ts';
import { loadOnnxProto } from './onnx-proto.ts';
import { resampleBatch } from './resample.ts';
import type { Descriptor, DescriptorInput, ImageBatch } from './types.ts';

export interface OnnxFeaturesOptions {
  /** The .onnx file. */
  model: string;
  /** Name of the tensor to read (a node output, or an existing graph output). */
  tensor: string;
  /** Images per session run (default 64). */
  batchSize?: number;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Compare features by cosine instead of squared L2 (default 'l2', as the paper's fc7 metric). */
  metric?: 'l2' | 'cosine';
}

/** Names of every tensor a model computes (node outputs, in graph order): what `tensor` may be. */
export function listTensors(modelBytes: Uint8Array): { name: string; op: string }[] {
  const onnx = loadOnnxProto();
  const model = onnx.ModelProto.decode(modelBytes);
  const out: { name: string; op: string }[] = [];
  for (const node of model.graph?.node ?? []) for (const name of node.output ?? []) if (name) out.push({ name, op: node.opType ?? '' });
  return out;
}

/**
 * The model bytes with `tensor` added as a graph output (unchanged bytes when it already is one).
 * Throws a data error naming the nearest tensors when the name is not in the graph.
 */
export function withExtraOutput(modelBytes: Uint8Array, tensor: string, file = '<model>'): Uint8Array {
  const onnx = loadOnnxProto();
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph;
  if (!graph) throw dataError('the ONNX file has no graph', { file });
  if ((graph.output ?? []).some((o) => o.name === tensor)) return modelBytes;
  const produced = (graph.node ?? []).some((node) => (node.output ?? []).includes(tensor));
  if (!produced) {
    const names = listTensors(modelBytes).map((t) => t.name);
    const near = names.filter((n) => /pool|flatten|avg|fc|gemm|reshape/i.test(n)).slice(-5);
    throw usageError(`tensor "${tensor}" is not computed by the model`, {
      file,
      field: 'tensor',
      expected: `one of ${names.length} node outputs`,
      received: tensor,
      hint: near.length ? `pooled-feature candidates: ${near.join(', ')}` : 'list the node outputs with `retest dedup search --list-tensors MODEL`',
    });
  }
  graph.output = [...(graph.output ?? []), onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } })];
  return onnx.ModelProto.encode(model).finish();
}

type FeatureSession = { session: OnnxSession; spec: ModelSpec; dimension: number };

/** A descriptor reading `options.tensor` (flattened per image). */
export function onnxFeaturesDescriptor(options: OnnxFeaturesOptions): Descriptor {
  const batchSize = options.batchSize ?? 64;
  let state: FeatureSession | null = null;

  async function open(): Promise<FeatureSession> {
    if (state) return state;
    state = await openFeatureSession(options);
    return state;
  }

  return {
    name: `features:${basename(options.model)}#${options.tensor}`,
    metric: options.metric ?? 'l2',
    async dimension() {
      return (await open()).dimension;
    },
    async describe(batch) {
      return describeInBatches(await open(), batch, batchSize, options);
    },
    async close() {
      await state?.session.release();
      state = null;
    },
    async input(): Promise<DescriptorInput> {
      const { spec } = await open();
      const sidecarPath = defaultSidecarPath(options.model);
      const sidecar = existsSync(sidecarPath) ? readSidecar(sidecarPath) : {};
      const inside = sidecar.preprocess?.normalisation_inside_graph ?? /inside the onnx graph/i.test(sidecar.input?.value_range ?? '');
      return { width: spec.width, height: spec.height, scale: spec.scale, mean: spec.mean, std: spec.std, normalisedInsideGraph: inside };
    },
  };
}

/** Creates the session with the tensor as an extra output, resolves the input size, and probes the feature length. */
async function openFeatureSession(options: OnnxFeaturesOptions): Promise<FeatureSession> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(options.model);
  } catch (cause) {
    throw ioError('cannot read the ONNX model', { file: options.model, cause, hint: 'check the path given after "features:"' });
  }
  const session = await createSession(withExtraOutput(bytes, options.tensor, options.model), options.threads === undefined ? {} : { threads: options.threads });
  const spec = modelSpecFrom(options.model);
  const input = session.inputs[0];
  if (!input) throw dataError('the model has no input', { file: options.model });
  spec.inputName = spec.inputName || input.name;
  const dims = input.shape;
  if (!spec.height) spec.height = typeof dims[spec.layout === 'NCHW' ? 2 : 1] === 'number' ? (dims[spec.layout === 'NCHW' ? 2 : 1] as number) : 0;
  if (!spec.width) spec.width = typeof dims[spec.layout === 'NCHW' ? 3 : 2] === 'number' ? (dims[spec.layout === 'NCHW' ? 3 : 2] as number) : 0;
  if (!spec.height || !spec.width) {
    throw dataError('cannot tell the model input size', {
      file: options.model,
      field: input.name,
      received: JSON.stringify(dims),
      hint: 'give the input shape in the sidecar JSON beside the model',
    });
  }
  // One probe image tells the feature length.
  const probe = new Float32Array(3 * spec.height * spec.width);
  const out = await session.run(
    { [spec.inputName]: { data: probe, dims: spec.layout === 'NCHW' ? [1, 3, spec.height, spec.width] : [1, spec.height, spec.width, 3] } },
    [options.tensor],
  );
  const feature = out[options.tensor];
  if (!feature) throw dataError(`the model did not return "${options.tensor}"`, { file: options.model });
  return { session, spec, dimension: feature.data.length };
}

/** Runs the images through the session `batchSize` at a time (resampled to the model's input size first). */
async function describeInBatches(
  { session, spec, dimension }: FeatureSession,
  batch: ImageBatch,
  batchSize: number,
  options: OnnxFeaturesOptions,
): Promise<Float32Array> {
  const images = batch.width === spec.width && batch.height === spec.height ? batch : resampleBatch(batch, spec.width, spec.height);
  const out = new Float32Array(batch.count * dimension);
  const plane = spec.width * spec.height * 3;
  for (let start = 0; start < batch.count; start += batchSize) {
    const n = Math.min(batchSize, batch.count - start);
    const tensor = new Float32Array(n * plane);
    for (let i = 0; i < n; i++) writeImageToTensor(images.pixels, (start + i) * plane, spec, tensor, i);
    const dims = spec.layout === 'NCHW' ? [n, 3, spec.height, spec.width] : [n, spec.height, spec.width, 3];
    const result = await session.run({ [spec.inputName]: { data: tensor, dims } }, [options.tensor]);
    const data = result[options.tensor]?.data;
    if (!data || data.length !== n * dimension) {
      throw dataError(`tensor "${options.tensor}" changed length between batches`, {
        file: options.model,
        expected: String(n * dimension),
        received: String(data?.length),
      });
    }
    out.set(data, start * dimension);
  }
  return out;
}
