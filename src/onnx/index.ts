export type * from './types.ts';
export { createSession } from './onnx-runtime.ts';
