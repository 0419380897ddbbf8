/**
 * The one adapter for onnxruntime-node, loaded lazily (commands that run no model never load the
 * native module). Exposes only what retest needs (./types.ts): create a session from a file or
 * bytes, read its input/output metadata, run typed batches.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { dataError, ioError } from '../core/index.ts';
import { parseDevice, selectProviders, type BackendInfo, type DeviceSpec, type ProviderChoice } from './providers.ts';
import type { OnnxSession, SessionOptions, TensorData, TensorInfo, TensorValue } from './types.ts';

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;
async function loadOrt(): Promise<Ort> {
  ortModule ??= await import('onnxruntime-node');
  return ortModule;
}

/** The folder of the native binding, where separately installed provider libraries go. */
function bindingFolder(): string {
  const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * The execution providers for a `--device` value on the installed onnxruntime-node, or a usage
 * error saying how to install the missing one (see providers.ts).
 */
export async function resolveDevice(device: string | DeviceSpec = 'cpu'): Promise<ProviderChoice> {
  const spec = typeof device === 'string' ? parseDevice(device) : device;
  if (spec.kind === 'cpu') return selectProviders(spec, [], () => false, process.platform);
  const ort = await loadOrt();
  const backends = (ort as unknown as { listSupportedBackends?: () => BackendInfo[] }).listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  const folder = bindingFolder();
  return selectProviders(spec, backends, (file) => existsSync(join(folder, file)), process.platform);
}

function elementType(data: TensorData): 'float32' | 'uint8' | 'int8' | 'int32' {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  return 'int32';
}

/** Opens a model from a file path or its bytes. A file that is not a valid model is a data error naming it. */
export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
  const ort = await loadOrt();
  const where = typeof model === 'string' ? model : `<${model.byteLength}-byte model>`;
  const providers = options.providers;
  let session: import('onnxruntime-node').InferenceSession;
  try {
    const sessionOptions = {
      ...(providers ? { executionProviders: providers.executionProviders } : {}),
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
    if (providers && providers.label !== 'cpu' && /provider|cuda|tensorrt|dml|coreml|webgpu|cudnn|libcu/i.test(message)) {
      throw ioError(`cannot start the ${providers.label} execution provider: ${message}`, {
        file: where,
        field: '--device',
        cause,
        hint: 'check the driver and libraries the provider needs (CUDA 12 + cuDNN 9 for cuda), or run with --device cpu',
      });
    }
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
        throw dataError(`model output "${name}" has element type ${tensor.type}, which retest does not read`, {
          file: where,
          field: name,
          expected: 'float32, uint8, int8 or int32',
        });
      }
      out[name] = { data, dims: [...tensor.dims] };
    }
    return out;
  }
  return {
    provider: providers?.label ?? 'cpu',
    inputs: info((s as unknown as { inputMetadata?: unknown[] }).inputMetadata, s.inputNames),
    outputs: info((s as unknown as { outputMetadata?: unknown[] }).outputMetadata, s.outputNames),
    runTyped,
    async run(feeds, outputNames) {
      const result = await runTyped(feeds, outputNames);
      for (const [name, tensor] of Object.entries(result)) {
        if (!(tensor.data instanceof Float32Array))
          throw dataError(`model output "${name}" is ${elementType(tensor.data)}, expected float32`, { file: where, field: name });
      }
      return result as Record<string, TensorValue<Float32Array>>;
    },
    release: () => s.release(),
  };
}
