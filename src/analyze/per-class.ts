/**
 * Per-class accuracy of one model on one test set. A class without images is reported with
 * n = 0 and accuracy null rather than left out.
 */
export interface ClassAccuracy {
  /** Class index. */
  classIndex: number;
  /** Images of the class. */
  n: number;
  /** Correct among them. */
  correct: number;
  /** correct / n, or null when n = 0. */
  accuracy: number | null;
}

export function perClassAccuracy(labels: ArrayLike<number>, correct: ArrayLike<number>, numClasses: number): ClassAccuracy[] {
  if (labels.length !== correct.length) throw new RangeError(`perClassAccuracy: ${labels.length} labels but ${correct.length} results`);
  const n = new Array<number>(numClasses).fill(0),
    hits = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`perClassAccuracy: label ${c} at ${i} is outside 0..${numClasses - 1}`);
    n[c] = n[c]! + 1;
    if (correct[i]) hits[c] = hits[c]! + 1;
  }
  return n.map((count, classIndex) => ({ classIndex, n: count, correct: hits[classIndex]!, accuracy: count > 0 ? hits[classIndex]! / count : null }));
}
