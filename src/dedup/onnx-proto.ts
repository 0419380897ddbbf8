/**
 * onnx-proto's `onnx` namespace (ModelProto, GraphProto, …), loaded on first use. retest edits and
 * writes ONNX graphs itself with it: an extra graph output for features, a one-node Gemm graph for
 * the distance kernel. Sessions are created by the one onnxruntime adapter (src/onnx/onnx-runtime.ts).
 */
import { createRequire } from 'node:module';

type OnnxNamespace = typeof import('onnx-proto')['onnx'];
let onnxNamespace: OnnxNamespace | undefined;

export function loadOnnxProto(): OnnxNamespace {
  if (!onnxNamespace) {
    const require = createRequire(import.meta.url);
    onnxNamespace = (require('onnx-proto') as typeof import('onnx-proto')).onnx;
  }
  return onnxNamespace;
}
