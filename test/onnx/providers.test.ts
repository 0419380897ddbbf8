/**
 * `--device` → execution providers: parsing, the choice given what a build has, and the error when
 * a provider is missing (never a CPU fall-back). The installed build of this machine is checked too.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { createSession, defaultBatchSize, parseDevice, resolveDevice, selectProviders, type BackendInfo } from '../../src/onnx/index.ts';

// What onnxruntime-node 1.30 reports on Linux x64 (`listSupportedBackends()`).
const LINUX_1_30: BackendInfo[] = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];
const none = () => false;

const { onnx } = onnxProto;

function thrown(fn: () => unknown): RetestError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetestError);
    return error as RetestError;
  }
  throw new Error('expected an error');
}

describe('parseDevice', () => {
  it('reads providers and device indices', () => {
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu', deviceId: 0 });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDevice('cuda:3')).toEqual({ kind: 'cuda', deviceId: 3 });
    expect(parseDevice('GPU:1')).toEqual({ kind: 'cuda', deviceId: 1 });
    expect(parseDevice('directml:2')).toEqual({ kind: 'dml', deviceId: 2 });
    expect(parseDevice('trt')).toEqual({ kind: 'tensorrt', deviceId: 0 });
    expect(parseDevice('webgpu')).toEqual({ kind: 'webgpu', deviceId: 0 });
  });

  it('refuses unknown devices and indices where a provider has none', () => {
    const unknown = thrown(() => parseDevice('tpu'));
    expect(unknown.kind).toBe('usage');
    expect(unknown.field).toBe('--device');
    expect(unknown.expected).toContain('cuda:N');
    expect(thrown(() => parseDevice('cuda:x')).received).toBe('"cuda:x"');
    expect(thrown(() => parseDevice('coreml:1')).message).toMatch(/takes no device index/);
  });

  it('has a per-device default batch size', () => {
    expect(defaultBatchSize(parseDevice('cpu'))).toBe(128);
    expect(defaultBatchSize(parseDevice('cuda:1'))).toBe(256);
  });
});

describe('selectProviders', () => {
  it('cpu: the CPU provider, which uses --threads', () => {
    expect(selectProviders(parseDevice('cpu'), LINUX_1_30, none, 'linux')).toEqual({
      device: { kind: 'cpu', deviceId: 0 },
      executionProviders: ['cpu'],
      label: 'cpu',
      usesThreads: true,
    });
  });

  it('cuda without its library: an error saying how to install it, not the CPU', () => {
    const error = thrown(() => selectProviders(parseDevice('cuda:1'), LINUX_1_30, none, 'linux'));
    expect(error.kind).toBe('usage');
    expect(error.message).toBe('the installed onnxruntime-node has no cuda execution provider');
    expect(error.received).toBe('cuda:1');
    expect(error.expected).toBe('one of the providers this build has: cpu, webgpu');
    expect(error.hint).toContain('libonnxruntime_providers_cuda.so is not installed');
    expect(error.hint).toContain('npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12');
    expect(error.hint).toContain('.npmrc');
  });

  it('cuda with its library installed: the CUDA provider on the device asked for, no --threads', () => {
    const has = (file: string) => file === 'libonnxruntime_providers_cuda.so';
    expect(selectProviders(parseDevice('cuda:2'), LINUX_1_30, has, 'linux')).toEqual({
      device: { kind: 'cuda', deviceId: 2 },
      executionProviders: [{ name: 'cuda', deviceId: 2 }],
      label: 'cuda:2',
      usesThreads: false,
    });
    // TensorRT needs its own library: having CUDA's is not enough.
    expect(thrown(() => selectProviders(parseDevice('tensorrt'), LINUX_1_30, has, 'linux')).hint).toContain('libonnxruntime_providers_tensorrt.so');
  });

  it("bundled providers need no library; providers the build does not list are refused with the platform's advice", () => {
    expect(selectProviders(parseDevice('webgpu'), LINUX_1_30, none, 'linux')).toMatchObject({ executionProviders: ['webgpu'], label: 'webgpu' });
    expect(thrown(() => selectProviders(parseDevice('coreml'), LINUX_1_30, none, 'linux')).hint).toBe('CoreML exists only on macOS; use --device cpu or cuda');
    expect(thrown(() => selectProviders(parseDevice('dml'), LINUX_1_30, none, 'linux')).hint).toContain('only on Windows');
    const mac: BackendInfo[] = [
      { name: 'cpu', bundled: true },
      { name: 'coreml', bundled: true },
      { name: 'webgpu', bundled: true },
    ];
    expect(selectProviders(parseDevice('coreml'), mac, none, 'darwin').label).toBe('coreml');
    expect(thrown(() => selectProviders(parseDevice('cuda'), mac, none, 'darwin')).hint).toBe(
      'onnxruntime-node publishes no cuda build for darwin; use --device cpu or coreml',
    );
    const windows: BackendInfo[] = [
      { name: 'cpu', bundled: true },
      { name: 'dml', bundled: true },
      { name: 'cuda', bundled: false },
    ];
    expect(selectProviders(parseDevice('dml:1'), windows, none, 'win32')).toMatchObject({ executionProviders: [{ name: 'dml', deviceId: 1 }], label: 'dml:1' });
    expect(thrown(() => selectProviders(parseDevice('cuda'), windows, none, 'win32')).hint).toContain('onnxruntime_providers_cuda.dll is not installed');
  });
});

describe('the installed build', () => {
  it('runs on the CPU and records the provider; CUDA is refused here unless its library is installed', async () => {
    const cpu = await resolveDevice('cpu');
    // A 1×1 identity graph is enough to open a session.
    const session = await createSession(identityGraph(), { providers: cpu, threads: 1 });
    expect(session.provider).toBe('cpu');
    await session.release();
    const cuda = await resolveDevice('cuda').then(
      (choice) => choice.label,
      (error: RetestError) => error.message,
    );
    expect(['cuda:0', 'the installed onnxruntime-node has no cuda execution provider']).toContain(cuda);
  });
});

/** A minimal ONNX model: y = Identity(x), float [1]. */
function identityGraph(): Uint8Array {
  const info = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [info('x')], output: [info('y')] },
  });
  return onnx.ModelProto.encode(model).finish();
}
