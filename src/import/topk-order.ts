/**
 * Checks that stored top-k rows are best-first. Some published files store them best-last (the
 * ImageNetV2 authors' `fv_16k` on the V2 sets). For a real classifier the first column is right
 * far more often than the last, so a file whose last column matches the label more often than its
 * first is read as best-last and reversed; the import notes it.
 */
export function columnHits(topk: Int32Array, k: number, labels: Int32Array): number[] {
  const hits = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    for (let j = 0; j < k; j++) if (topk[i * k + j] === label) hits[j] = hits[j]! + 1;
  }
  return hits;
}

export type TopkOrder = 'best-first' | 'best-last' | 'auto';

/** Returns the order used, reversing `topk` rows in place when best-last. */
export function normalizeTopkOrder(topk: Int32Array, k: number, labels: Int32Array, order: TopkOrder): { order: 'best-first' | 'best-last'; hits: number[] } {
  const hits = columnHits(topk, k, labels);
  const resolved = order !== 'auto' ? order : k >= 2 && hits[k - 1]! > hits[0]! ? 'best-last' : 'best-first';
  if (resolved === 'best-last') {
    for (let i = 0; i < labels.length; i++) topk.subarray(i * k, (i + 1) * k).reverse();
    hits.reverse();
  }
  return { order: resolved, hits };
}
