/**
 * The paper's per-model results, bundled with the package (data/published/, with its citation):
 * correct counts per (model, test set), parsed once here with a schema.
 */
import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { dataError } from '../core/errors.ts';
import type { CountRecord } from './types.ts';

export const PUBLISHED_CITATION =
  'Recht, Roelofs, Schmidt, Shankar. "Do ImageNet Classifiers Generalize to ImageNet?" ICML 2019 (counts from the authors\' released predictions)';

const RELATIVE = join('data', 'published', 'recht2019_per_model_counts.csv');

/** The bundled CSV: found by walking up from this module to the package root (works from src/ and dist/). */
export function publishedCsvPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw dataError('the bundled published results are missing', { file: RELATIVE, hint: 'reinstall retest; the package ships data/published/' });
}

const count = z.string().regex(/^\d+$/, 'a non-negative integer').transform(Number);
const rowSchema = z.object({
  model: z.string().min(1),
  test_set: z.string().min(1),
  n: count,
  top1_correct: count,
  top5_correct: z.union([z.literal('').transform(() => null), count]),
});

let cache: CountRecord[] | undefined;

/** Every published (model, test set) count. */
export function loadPublished(path: string = publishedCsvPath()): CountRecord[] {
  if (cache && path === publishedCsvPath()) return cache;
  const rows = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as unknown[];
  const out: CountRecord[] = rows.map((row, i) => {
    const parsed = rowSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw dataError('bad row in the published results', {
        file: path,
        record: `line ${i + 2}`,
        field: issue?.path.join('.') ?? '',
        expected: issue?.message ?? 'model,test_set,n,top1_correct,top5_correct',
        received: JSON.stringify(row),
      });
    }
    const r = parsed.data;
    if (r.top1_correct > r.n || (r.top5_correct !== null && r.top5_correct > r.n)) {
      throw dataError('a correct count exceeds n', { file: path, record: `line ${i + 2}`, received: JSON.stringify(row) });
    }
    return { model: r.model, testSet: r.test_set, n: r.n, top1Correct: r.top1_correct, top5Correct: r.top5_correct, source: 'published' as const };
  });
  if (path === publishedCsvPath()) cache = out;
  return out;
}
