/**
 * `retest preprocess`: writes the tensors `retest eval` would feed a model, through the same batch
 * code (batches.ts), for inspection and for comparing with another framework. Rows follow the
 * dataset's order; `<out>.ids.json` names them.
 */
import { relative, sep } from 'node:path';
import { writeFileAtomic, encodePng, NpyFileWriter } from '../formats/index.ts';
import { contactSheet } from '../preprocess/index.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { prepareBatches } from './batches.ts';
import type { EvalDataset } from './run-eval.ts';
import type { ModelSpec } from './types.ts';

/** `uint8`: the RGB crops before scaling, (N, H, W, 3). `float32`: the model input in its layout. */
export type PreprocessFormat = 'uint8' | 'float32';

export interface PreprocessInput {
  dataset: EvalDataset;
  spec: ModelSpec;
  /** The `.npy` file to write; the ids go beside it (`x.npy` → `x.ids.json`). */
  out: string;
  format: PreprocessFormat;
  batchSize?: number;
  decodeConcurrency?: number;
  failFast?: boolean;
  /** A PNG grid of the first `contactSheetCount` crops, when given. */
  contactSheet?: string | undefined;
  contactSheetCount?: number;
  progress?: Progress;
}

/** The `--json` answer. */
export interface PreprocessSummary {
  /** Rows written (every image of the dataset). */
  n: number;
  /** The `.npy` file. */
  out: string;
  /** The ids file: `{"ids": [...]}`, one id per row. */
  ids: string;
  format: PreprocessFormat;
  /** Shape of the array in the file. */
  shape: number[];
  /** Images that could not be read: their rows are zero, as the tensor eval feeds has them. */
  failed: { row: number; id: string; error: string }[];
  /** The contact sheet written, or null. */
  contact_sheet: string | null;
}

/** `x.npy` → `x.ids.json`. */
export function idsPathFor(out: string): string {
  return `${out.replace(/\.npy$/i, '')}.ids.json`;
}

/** Row ids: the file's path relative to the dataset root (with `/`), or the array dataset's image id. */
export function rowIds(dataset: EvalDataset): string[] {
  if (dataset.files) return dataset.files.map((file) => relative(dataset.source, file).split(sep).join('/'));
  return dataset.images.map((image) => image.imageId);
}

export async function preprocessDataset(input: PreprocessInput): Promise<PreprocessSummary> {
  const { dataset, spec, format } = input;
  const progress = input.progress ?? silentProgress;
  const n = dataset.images.length;
  const shape =
    format === 'uint8' ? [n, spec.height, spec.width, 3] : spec.layout === 'NCHW' ? [n, 3, spec.height, spec.width] : [n, spec.height, spec.width, 3];
  const ids = rowIds(dataset);
  const sheetCount = input.contactSheet ? Math.min(n, input.contactSheetCount ?? 64) : 0;
  const sheet: Uint8Array[] = [];
  const failed: PreprocessSummary['failed'] = [];
  const writer = new NpyFileWriter(input.out, format === 'uint8' ? '|u1' : '<f4', shape);
  try {
    const todo = Array.from({ length: n }, (_, i) => i);
    const options = {
      batchSize: input.batchSize ?? 128,
      decodeConcurrency: input.decodeConcurrency ?? 8,
      failFast: input.failFast ?? false,
      tensor: format === 'float32',
    };
    progress.start(n, 0, `preprocessing ${dataset.name}`);
    for await (const batch of prepareBatches(spec, dataset, todo, options)) {
      writer.write(format === 'uint8' ? batch.crops : batch.tensor!);
      for (const [row, error] of batch.failures) failed.push({ row: batch.indices[row]!, id: ids[batch.indices[row]!]!, error });
      const rowBytes = spec.height * spec.width * 3;
      for (let r = 0; r < batch.indices.length && sheet.length < sheetCount; r++) sheet.push(batch.crops.slice(r * rowBytes, (r + 1) * rowBytes));
      progress.tick(batch.indices.length);
    }
    progress.stop();
    writer.finish();
  } catch (error) {
    progress.stop();
    writer.abort();
    throw error;
  }
  const idsPath = idsPathFor(input.out);
  writeFileAtomic(idsPath, `${JSON.stringify({ ids })}\n`);
  if (input.contactSheet) writeFileAtomic(input.contactSheet, await encodePng(contactSheet(sheet, spec.height)));
  return { n, out: input.out, ids: idsPath, format, shape, failed: failed.sort((a, b) => a.row - b.row), contact_sheet: input.contactSheet ?? null };
}
