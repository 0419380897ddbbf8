/**
 * The one adapter for onnxruntime-node, loaded lazily. Exposes only what retest needs: create a
 * session from a file or bytes, read its input/output metadata, run float32 batches.
 */
import { ioError, dataError } from '../core/errors.ts';
import { availableParallelism } from 'node:os';

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;
async function loadOrt(): Promise<Ort> {
  ortModule ??= await import('onnxruntime-node');
  return ortModule;
}

export interface TensorInfo {
  name: string;
  /** Element type ("float32", ...), or undefined when not a tensor. */
  type: string | undefined;
  /** Dimensions; strings for symbolic ones ("batch"). */
  shape: (number | string)[];
}

export interface OnnxSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /** Runs the graph on float32 inputs and returns the requested outputs as float32 with their dims. */
  run(feeds: Record<string, { data: Float32Array; dims: number[] }>, outputNames?: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** Intra-op threads; default: all cores. */
  threads?: number | undefined;
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
  const ort = await loadOrt();
  const where = typeof model === 'string' ? model : `<${model.byteLength}-byte model>`;
  let session: import('onnxruntime-node').InferenceSession;
  try {
    const sessionOptions = {
      intraOpNumThreads: options.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all' as const,
      executionMode: 'sequential' as const,
      // Spinning worker threads steal the cores that decoding and the store need between runs.
      extra: { session: { intra_op: { allow_spinning: process.env.RETEST_ORT_SPIN ?? '0' } } },
    };
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  } catch (cause) {
    const message = (cause as Error).message ?? String(cause);
    if (/No such file|not exist|ENOENT|Load model from .* failed/i.test(message) && typeof model === 'string') {
      throw ioError(`cannot load the ONNX model: ${message}`, { file: where, cause, hint: 'check the path to the .onnx file' });
    }
    throw dataError(`not a valid ONNX model: ${message}`, { file: where, cause });
  }
  const info = (meta: readonly unknown[] | undefined, names: readonly string[]): TensorInfo[] =>
    names.map((name, i) => {
      const m = (meta?.[i] ?? {}) as { isTensor?: boolean; type?: string; shape?: (number | string)[] };
      return { name, type: m.isTensor === false ? undefined : m.type, shape: m.shape ?? [] };
    });
  const s = session;
  return {
    inputs: info((s as unknown as { inputMetadata?: unknown[] }).inputMetadata, s.inputNames),
    outputs: info((s as unknown as { outputMetadata?: unknown[] }).outputMetadata, s.outputNames),
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', feed.data, feed.dims);
      const result = outputNames ? await s.run(ortFeeds, outputNames) : await s.run(ortFeeds);
      const out: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const [name, tensor] of Object.entries(result)) {
        if (!(tensor.data instanceof Float32Array)) throw dataError(`model output "${name}" is ${tensor.type}, expected float32`, { file: where, field: name });
        out[name] = { data: tensor.data, dims: [...tensor.dims] };
      }
      return out;
    },
    release: () => s.release(),
  };
}
