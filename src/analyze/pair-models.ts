/**
 * Pairs per-(model, test set) counts into per-model (original, new) pairs. The user's per-image
 * results win over an accuracy table they imported, which wins over the results bundled with
 * retest, for a model of the same name; a model is never given one source's number on one set and
 * another's on the other. A model missing from either set (an empty cell of a published table, a
 * set it was never evaluated on) is left out of the pair.
 */
import { modelMatcher, type ModelFilter } from './model-filter.ts';
import type { CountRecord, CountSource, ModelPair } from './types.ts';

/** Which source's pair a model gets when several have one, first wins. */
export const SOURCE_PRECEDENCE: readonly CountSource[] = ['store', 'table', 'published'];

export function pairModels(records: readonly CountRecord[], options: { original: string; new: string; metric: 'top1' | 'top5' } & ModelFilter): ModelPair[] {
  const keep = modelMatcher(options);
  const value = (r: CountRecord | undefined) => (r === undefined ? null : options.metric === 'top1' ? r.top1Correct : r.top5Correct);
  const bySource = new Map<CountSource, Map<string, CountRecord>>(SOURCE_PRECEDENCE.map((s) => [s, new Map()]));
  for (const r of records) {
    if ((r.testSet !== options.original && r.testSet !== options.new) || !keep(r.model)) continue;
    bySource.get(r.source)?.set(`${r.model}\u0000${r.testSet}`, r);
  }
  const models = [...new Set(records.map((r) => r.model))].sort();
  const pairs: ModelPair[] = [];
  for (const model of models) {
    for (const source of SOURCE_PRECEDENCE) {
      const o = bySource.get(source)?.get(`${model}\u0000${options.original}`);
      const n = bySource.get(source)?.get(`${model}\u0000${options.new}`);
      const oc = value(o),
        nc = value(n);
      if (o && n && oc !== null && nc !== null) {
        const collection = o.collection === n.collection ? o.collection : [o.collection, n.collection].filter(Boolean).join(' / ');
        pairs.push({ model, source, ...(collection ? { collection } : {}), original: { correct: oc, n: o.n }, new: { correct: nc, n: n.n } });
        break;
      }
    }
  }
  return pairs;
}
