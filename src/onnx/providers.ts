/**
 * `--device` → onnxruntime-node execution providers. Pure functions over what the installed build
 * reports (`listSupportedBackends()` and the provider libraries beside the binding), so the choice
 * is unit-tested without a GPU. A provider the build lacks is an error that says how to install
 * it — never a silent fall-back to the CPU.
 */
import { usageError } from '../core/errors.ts';

/** The execution providers `--device` names. */
export const DEVICE_KINDS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** A parsed `--device` value. */
export interface DeviceSpec {
  /** Which execution provider. */
  kind: DeviceKind;
  /** Device index for providers with several devices (`cuda:1`); 0 when not given. */
  deviceId: number;
}

/** What the installed onnxruntime-node says about one backend (`listSupportedBackends()`). */
export interface BackendInfo {
  /** Provider name as onnxruntime-node spells it ("cpu", "cuda", "tensorrt", "dml", "coreml", "webgpu"). */
  name: string;
  /** True when the provider is compiled into the bundled library; false when it needs a separately installed library. */
  bundled: boolean;
}

/** The choice: what to hand to `InferenceSession.create`, and how to record it. */
export interface ProviderChoice {
  /** The device asked for. */
  device: DeviceSpec;
  /** `executionProviders` for the session options (the provider, device id where it has one). */
  executionProviders: (string | { name: string; deviceId?: number })[];
  /** How the provider is recorded in a run's provenance: "cpu", "cuda:0", "webgpu", … */
  label: string;
  /** Whether `--threads` (intra-op threads) applies: only the CPU provider uses them. */
  usesThreads: boolean;
}

const ALIASES: Record<string, DeviceKind> = {
  cpu: 'cpu',
  cuda: 'cuda',
  gpu: 'cuda',
  tensorrt: 'tensorrt',
  trt: 'tensorrt',
  dml: 'dml',
  directml: 'dml',
  coreml: 'coreml',
  webgpu: 'webgpu',
};
const WITH_DEVICE_ID = new Set<DeviceKind>(['cuda', 'tensorrt', 'dml']);

/** Parses `--device`: `cpu`, `cuda`, `cuda:N` (also `gpu`), `tensorrt[:N]`, `dml[:N]` (`directml`), `coreml`, `webgpu`. */
export function parseDevice(text: string): DeviceSpec {
  const match = /^\s*([a-z]+)(?::(\d+))?\s*$/i.exec(text);
  const kind = match ? ALIASES[match[1]!.toLowerCase()] : undefined;
  if (!match || !kind) {
    throw usageError(`unknown device ${JSON.stringify(text)}`, {
      field: '--device',
      received: JSON.stringify(text),
      expected: 'cpu, cuda, cuda:N, tensorrt[:N], dml[:N], coreml or webgpu',
    });
  }
  if (match[2] !== undefined && !WITH_DEVICE_ID.has(kind)) {
    throw usageError(`--device ${kind} takes no device index`, { field: '--device', received: JSON.stringify(text), expected: kind });
  }
  return { kind, deviceId: match[2] === undefined ? 0 : Number(match[2]) };
}

/** The images per inference call when `--batch-size` is not given: 128 on the CPU, 256 on accelerators. */
export function defaultBatchSize(device: DeviceSpec): number {
  return device.kind === 'cpu' ? 128 : 256;
}

/** The library file a provider that is not bundled needs beside the binding, on this platform. */
export function providerLibrary(kind: DeviceKind, platform: NodeJS.Platform): string {
  const base = `onnxruntime_providers_${kind}`;
  return platform === 'win32' ? `${base}.dll` : platform === 'darwin' ? `lib${base}.dylib` : `lib${base}.so`;
}

/** How to get onnxruntime-node with a provider, for the error when it is missing. */
export function installHint(kind: DeviceKind, platform: NodeJS.Platform): string {
  switch (kind) {
    case 'cuda':
    case 'tensorrt':
      return platform === 'linux' || platform === 'win32'
        ? "this project's .npmrc skips the CUDA download (onnxruntime-node-install=skip); install it with `npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` (needs CUDA 12 and cuDNN 9 on the machine" +
            (kind === 'tensorrt' ? ', and TensorRT' : '') +
            ')'
        : `onnxruntime-node publishes no ${kind} build for ${platform}; use --device cpu${platform === 'darwin' ? ' or coreml' : ''}`;
    case 'dml':
      return platform === 'win32'
        ? 'DirectML ships with onnxruntime-node on Windows: reinstall it with `npm rebuild onnxruntime-node`'
        : 'DirectML exists only on Windows; use --device cpu or cuda';
    case 'coreml':
      return platform === 'darwin'
        ? 'CoreML ships with onnxruntime-node on macOS: reinstall it with `npm rebuild onnxruntime-node`'
        : 'CoreML exists only on macOS; use --device cpu or cuda';
    case 'webgpu':
      return 'reinstall onnxruntime-node (`npm rebuild onnxruntime-node`); its WebGPU provider is bundled on Windows, macOS and Linux x64';
    default:
      return 'reinstall onnxruntime-node (`npm rebuild onnxruntime-node`)';
  }
}

/**
 * The providers for `device`, given what the installed build has: `backends` from
 * `listSupportedBackends()`, and `hasLibrary(file)` saying whether a provider library is installed
 * beside the binding (the CUDA and TensorRT providers are downloaded separately). A provider that
 * is not there is a usage error saying how to install it.
 */
export function selectProviders(
  device: DeviceSpec,
  backends: readonly BackendInfo[],
  hasLibrary: (file: string) => boolean,
  platform: NodeJS.Platform,
): ProviderChoice {
  if (device.kind === 'cpu') return { device, executionProviders: ['cpu'], label: 'cpu', usesThreads: true };
  const backend = backends.find((b) => b.name === device.kind);
  const library = providerLibrary(device.kind, platform);
  const available = backend !== undefined && (backend.bundled || hasLibrary(library));
  if (!available) {
    throw usageError(`the installed onnxruntime-node has no ${device.kind} execution provider`, {
      field: '--device',
      received: `${device.kind}${WITH_DEVICE_ID.has(device.kind) ? `:${device.deviceId}` : ''}`,
      expected: `one of the providers this build has: ${availableDevices(backends, hasLibrary, platform).join(', ')}`,
      hint: backend && !backend.bundled ? `${library} is not installed; ${installHint(device.kind, platform)}` : installHint(device.kind, platform),
    });
  }
  const withId = WITH_DEVICE_ID.has(device.kind);
  return {
    device,
    executionProviders: [withId ? { name: device.kind, deviceId: device.deviceId } : device.kind],
    label: withId ? `${device.kind}:${device.deviceId}` : device.kind,
    usesThreads: false,
  };
}

/** The `--device` kinds the installed build can run. */
export function availableDevices(backends: readonly BackendInfo[], hasLibrary: (file: string) => boolean, platform: NodeJS.Platform): string[] {
  return backends.filter((b) => b.bundled || hasLibrary(providerLibrary(b.name as DeviceKind, platform))).map((b) => b.name);
}
