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

/** The element types retest feeds and reads: float32 for images and features, 8-bit inputs and int32 outputs for the integer GEMM of near-duplicate search. */
export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array;

export interface TensorValue<D extends TensorData = TensorData> {
  data: D;
  dims: number[];
}

export interface OnnxSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /**
   * Runs the graph and returns the requested outputs (all of them when `outputNames` is omitted).
   * Image models take and give float32; other element types are passed through as typed arrays.
   */
  run(feeds: Record<string, TensorValue>, outputNames?: string[]): Promise<Record<string, TensorValue<Float32Array>>>;
  /** Like `run`, for graphs whose outputs are not float32 (e.g. int32 from MatMulInteger). */
  runTyped(feeds: Record<string, TensorValue>, outputNames?: string[]): Promise<Record<string, TensorValue>>;
  release(): Promise<void>;
}

function elementType(data: TensorData): 'float32' | 'uint8' | 'int8' | 'int32' {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  return 'int32';
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
  async function runTyped(feeds: Record<string, TensorValue>, outputNames?: string[]): Promise<Record<string, TensorValue>> {
    const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(elementType(feed.data), feed.data, feed.dims);
    const result = outputNames ? await s.run(ortFeeds, outputNames) : await s.run(ortFeeds);
    const out: Record<string, TensorValue> = {};
    for (const [name, tensor] of Object.entries(result)) {
      const data = tensor.data;
      if (!(data instanceof Float32Array || data instanceof Uint8Array || data instanceof Int8Array || data instanceof Int32Array)) {
        throw dataError(`model output "${name}" has element type ${tensor.type}, which retest does not read`, { file: where, field: name, expected: 'float32, uint8, int8 or int32' });
      }
      out[name] = { data, dims: [...tensor.dims] };
    }
    return out;
  }
  return {
    inputs: info((s as unknown as { inputMetadata?: unknown[] }).inputMetadata, s.inputNames),
    outputs: info((s as unknown as { outputMetadata?: unknown[] }).outputMetadata, s.outputNames),
    runTyped,
    async run(feeds, outputNames) {
      const result = await runTyped(feeds, outputNames);
      for (const [name, tensor] of Object.entries(result)) {
        if (!(tensor.data instanceof Float32Array)) throw dataError(`model output "${name}" is ${elementType(tensor.data)}, expected float32`, { file: where, field: name });
      }
      return result as Record<string, TensorValue<Float32Array>>;
    },
    release: () => s.release(),
  };
}
