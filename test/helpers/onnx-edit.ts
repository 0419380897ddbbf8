/**
 * Test-only ONNX surgery: pads a classifier's output with extra, never-winning classes, so a
 * 10-class CIFAR model can be evaluated on a 12-folder tree (folders 10 and 11 make a string sort
 * of folder names visible).
 */
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';

const { onnx } = onnxProto;

export function padModelOutput(modelPath: string, extraClasses: number): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const graph = model.graph!;
  const output = graph.output![0]!;
  const outName = output.name!;
  const rawName = `${outName}__unpadded`;
  for (const node of graph.node!) node.output = node.output!.map((o) => (o === outName ? rawName : o));
  graph.initializer!.push(
    onnx.TensorProto.create({ name: 'pad__amounts', dataType: onnx.TensorProto.DataType.INT64, dims: [4], int64Data: [0, 0, 0, extraClasses] }),
    onnx.TensorProto.create({ name: 'pad__value', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [-1e9] }),
  );
  graph.node!.push(
    onnx.NodeProto.create({
      opType: 'Pad',
      input: [rawName, 'pad__amounts', 'pad__value'],
      output: [outName],
      attribute: [onnx.AttributeProto.create({ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('constant') })],
    }),
  );
  const dims = output.type!.tensorType!.shape!.dim!;
  dims[dims.length - 1] = onnx.TensorShapeProto.Dimension.create({ dimValue: 10 + extraClasses });
  return onnx.ModelProto.encode(model).finish();
}
