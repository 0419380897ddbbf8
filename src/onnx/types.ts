/**
 * The contract of the onnxruntime adapter (./onnx-runtime.ts): sessions and the typed tensors
 * retest feeds them. Evaluation (image classifiers) and near-duplicate search (feature extractors,
 * the integer distance kernel) both use it.
 */

/** One graph input or output, as the model declares it. */
export interface TensorInfo {
  /** The input's or output's name in the graph. */
  name: string;
  /** Element type ("float32", "uint8", …), or undefined when it is not a tensor. */
  type: string | undefined;
  /** Dimensions; strings for symbolic ones ("batch"). */
  shape: (number | string)[];
}

/** The element types retest feeds and reads: float32 for images and features, 8-bit inputs and int32 outputs for the integer GEMM of near-duplicate search. */
export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array;

/** A tensor: its elements in row-major order, and its dimensions. */
export interface TensorValue<D extends TensorData = TensorData> {
  /** The elements, row-major; the typed array's kind is the element type. */
  data: D;
  /** Dimensions; their product is `data.length`. */
  dims: number[];
}

/** An open model. */
export interface OnnxSession {
  /** The execution provider it runs on, as recorded in provenance ("cpu", "cuda:0", …). */
  readonly provider: string;
  /** The graph's inputs. */
  readonly inputs: TensorInfo[];
  /** The graph's outputs. */
  readonly outputs: TensorInfo[];
  /**
   * Runs the graph and returns the requested outputs (all of them when `outputNames` is omitted).
   * Image models take and give float32; an output of another element type is an error here.
   */
  run(feeds: Record<string, TensorValue>, outputNames?: string[]): Promise<Record<string, TensorValue<Float32Array>>>;
  /** Like `run`, for graphs whose outputs are not float32 (e.g. int32 from MatMulInteger). */
  runTyped(feeds: Record<string, TensorValue>, outputNames?: string[]): Promise<Record<string, TensorValue>>;
  /** Frees the session's native memory. Further runs fail. */
  release(): Promise<void>;
}

/** Options of `createSession`. */
export interface SessionOptions {
  /** Intra-op threads; default: all cores. */
  threads?: number | undefined;
  /** Execution providers (`resolveDevice`); default: the CPU provider. */
  providers?: import('./providers.ts').ProviderChoice | undefined;
}
