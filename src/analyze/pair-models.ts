/**
 * Pairs per-(model, test set) counts into per-model (original, new) pairs. A model the user
 * evaluated or imported on both sets replaces the published numbers of a model with the same name;
 * a model is never given the user's number on one set and the paper's on the other.
 */
import { modelMatcher, type ModelFilter } from './model-filter.ts';
import type { CountRecord, ModelPair } from './types.ts';

export function pairModels(
  records: readonly CountRecord[],
  options: { original: string; new: string; metric: 'top1' | 'top5' } & ModelFilter,
): ModelPair[] {
  const keep = modelMatcher(options);
  const value = (r: CountRecord | undefined) => (r === undefined ? null : options.metric === 'top1' ? r.top1Correct : r.top5Correct);
  const bySource = { store: new Map<string, CountRecord>(), published: new Map<string, CountRecord>() };
  for (const r of records) {
    if ((r.testSet !== options.original && r.testSet !== options.new) || !keep(r.model)) continue;
    bySource[r.source].set(`${r.model}\u0000${r.testSet}`, r);
  }
  const models = [...new Set(records.map((r) => r.model))].sort();
  const pairs: ModelPair[] = [];
  for (const model of models) {
    // The user's own pair wins when complete; never mix the user's number on one set with the paper's on the other.
    for (const source of ['store', 'published'] as const) {
      const o = bySource[source].get(`${model}\u0000${options.original}`);
      const n = bySource[source].get(`${model}\u0000${options.new}`);
      const oc = value(o), nc = value(n);
      if (o && n && oc !== null && nc !== null) {
        pairs.push({ model, source, original: { correct: oc, n: o.n }, new: { correct: nc, n: n.n } });
        break;
      }
    }
  }
  return pairs;
}
