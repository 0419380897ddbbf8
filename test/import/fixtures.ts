/** Small on-disk fixtures in the authors' layouts, written into a temp folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyArray, writeNpy } from '../../src/formats/index.ts';

export const WNIDS = ['n01440764', 'n01443537', 'n01484850', 'n01491361'];

/** ImageNetV2-style metadata for 4 classes, a 6-image "validation" set and a 4-image "b-33" set. */
export function writeImagenetMetadata(dir: string): { val: number[]; v2: number[] } {
  mkdirSync(join(dir, 'datasets'), { recursive: true });
  writeFileSync(join(dir, 'class_info.json'), JSON.stringify(WNIDS.map((wnid, cid) => ({ cid, wnid, synset: [wnid], gloss: '' }))));
  const val = [0, 0, 1, 2, 3, 3];
  const v2 = [1, 2, 3, 0];
  writeFileSync(
    join(dir, 'datasets', 'imagenet-validation-original.json'),
    JSON.stringify({ image_filenames: val.map((c, i) => [`ILSVRC2012_val_0000000${i + 1}.JPEG`, WNIDS[c]]) }),
  );
  writeFileSync(
    join(dir, 'datasets', 'imagenetv2-b-33.json'),
    JSON.stringify({ image_filenames: v2.map((c, i) => [`${'abcdef'[i]}${'0'.repeat(39)}`, WNIDS[c]]), seed: 1 }),
  );
  return { val, v2 };
}

/** Writes `<root>/<dataset>/<model>.npy` as int64 [N, k]. */
export function writeTopk(root: string, dataset: string, model: string, rows: number[][]): string {
  mkdirSync(join(root, dataset), { recursive: true });
  const k = rows[0]?.length ?? 1;
  const file = join(root, dataset, `${model}.npy`);
  writeNpy(file, npyArray('<i8', [rows.length, k], BigInt64Array.from(rows.flat().map(BigInt))));
  return file;
}

/** Best-first top-k rows whose first entry is `pred[i]`, the rest the other classes in order. */
export function rowsFrom(pred: number[], k = 4): number[][] {
  return pred.map((p) => [p, ...[0, 1, 2, 3].filter((c) => c !== p)].slice(0, k));
}
