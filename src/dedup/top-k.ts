/**
 * The k smallest scores per query, kept as one bounded max-heap per query in flat typed arrays
 * (no objects in the hot loop). A score no better than the heap's worst is rejected with one
 * comparison, which is what almost every reference gets.
 */
/** A TopK's contents as plain typed arrays (what crosses threads). */
export interface TopKData {
  scores: Float64Array;
  indices: Int32Array;
  sizes: Int32Array;
}

export class TopK {
  /** Number of queries. */
  readonly rows: number;
  /** Heap capacity per query. */
  readonly k: number;
  /** rows × k scores (float64: the 8-bit kernel's integer scores stay exact); slot 0 of each row is its worst kept score (max-heap). */
  readonly scores: Float64Array;
  /** rows × k global reference indices (−1 = empty). */
  readonly indices: Int32Array;
  /** Number of filled slots per row. */
  readonly sizes: Int32Array;

  constructor(rows: number, k: number) {
    this.rows = rows;
    this.k = k;
    this.scores = new Float64Array(rows * k).fill(Infinity);
    this.indices = new Int32Array(rows * k).fill(-1);
    this.sizes = new Int32Array(rows);
  }

  /** The worst kept score of `row` (Infinity until the heap is full). */
  bound(row: number): number {
    return this.sizes[row]! < this.k ? Infinity : this.scores[row * this.k]!;
  }

  /** Offers (score, index) to `row`. */
  push(row: number, score: number, index: number): void {
    const k = this.k;
    if (k === 0) return;
    const base = row * k;
    const size = this.sizes[row]!;
    const s = this.scores;
    const ix = this.indices;
    if (size < k) {
      // Sift up.
      let i = size;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (s[base + parent]! >= score) break;
        s[base + i] = s[base + parent]!;
        ix[base + i] = ix[base + parent]!;
        i = parent;
      }
      s[base + i] = score;
      ix[base + i] = index;
      this.sizes[row] = size + 1;
      return;
    }
    if (score >= s[base]!) return;
    // Replace the root and sift down.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= k) break;
      const right = left + 1;
      const child = right < k && s[base + right]! > s[base + left]! ? right : left;
      if (s[base + child]! <= score) break;
      s[base + i] = s[base + child]!;
      ix[base + i] = ix[base + child]!;
      i = child;
    }
    s[base + i] = score;
    ix[base + i] = index;
  }

  /**
   * Offers a whole block of scores: rows `rowStart…rowStart+m` against references `colStart…colStart+n`
   * (row-major m×n). `skip(row, col)` excludes pairs (self-matches); null when nothing is excluded.
   */
  pushBlock(block: Float32Array, rowStart: number, m: number, colStart: number, n: number, skip: ((row: number, col: number) => boolean) | null): void {
    for (let i = 0; i < m; i++) {
      const row = rowStart + i;
      let bound = this.bound(row);
      const off = i * n;
      for (let j = 0; j < n; j++) {
        const v = block[off + j]!;
        if (v < bound) {
          if (skip !== null && skip(row, colStart + j)) continue;
          this.push(row, v, colStart + j);
          bound = this.bound(row);
        }
      }
    }
  }

  /**
   * Like `pushBlock` for the 8-bit kernel: the score of (row, col) is norms[col] − 2·dots[row·n + col],
   * computed on the fly (no intermediate score array).
   */
  pushDots(
    dots: Int32Array,
    norms: Float64Array,
    rowStart: number,
    m: number,
    colStart: number,
    n: number,
    skip: ((row: number, col: number) => boolean) | null,
  ): void {
    for (let i = 0; i < m; i++) {
      const row = rowStart + i;
      let bound = this.bound(row);
      const off = i * n;
      for (let j = 0; j < n; j++) {
        const v = norms[j]! - 2 * dots[off + j]!;
        if (v < bound) {
          if (skip !== null && skip(row, colStart + j)) continue;
          this.push(row, v, colStart + j);
          bound = this.bound(row);
        }
      }
    }
  }

  /** Merges another TopK over the same rows into this one. */
  merge(other: { scores: Float64Array; indices: Int32Array; sizes: Int32Array }): void {
    for (let row = 0; row < this.rows; row++) {
      const n = other.sizes[row]!;
      for (let t = 0; t < n; t++) this.push(row, other.scores[row * this.k + t]!, other.indices[row * this.k + t]!);
    }
  }

  /** Row `row` as (index, score) pairs, best first; ties broken by the lower index. */
  sorted(row: number): { index: number; score: number }[] {
    const out: { index: number; score: number }[] = [];
    for (let t = 0; t < this.sizes[row]!; t++) out.push({ index: this.indices[row * this.k + t]!, score: this.scores[row * this.k + t]! });
    return out.sort((a, b) => a.score - b.score || a.index - b.index);
  }
}
