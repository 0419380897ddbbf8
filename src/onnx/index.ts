export type * from './types.ts';
export { createSession, resolveDevice } from './onnx-runtime.ts';
export {
  parseDevice,
  selectProviders,
  availableDevices,
  defaultBatchSize,
  installHint,
  providerLibrary,
  DEVICE_KINDS,
  type DeviceSpec,
  type DeviceKind,
  type BackendInfo,
  type ProviderChoice,
} from './providers.ts';
