/**
 * The paper's selection-frequency bins (DESIGN §1.4, §1.6): [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1],
 * a frequency exactly on an edge in the upper bin, 1.0 in the last. The one definition used by the
 * reference histograms and the dashboard (label, server), MatchedFrequency and pilot plans (sample,
 * plan), adaptive labelling (label) and accuracy by frequency (analyze).
 */

/** Inner edges: the upper edge of every bin but the last. A bin index is the number of edges ≤ a frequency. */
export const FREQUENCY_EDGES: readonly number[] = Object.freeze([0.2, 0.4, 0.6, 0.8]);

/** All bounds, lower edge of the first bin to upper edge of the last: [0, …inner edges, 1]. */
export const FREQUENCY_BOUNDS: readonly number[] = Object.freeze([0, ...FREQUENCY_EDGES, 1]);

/** Number of bins (FREQUENCY_EDGES.length + 1). */
export const FREQUENCY_BIN_COUNT = FREQUENCY_EDGES.length + 1;

/** Display labels of the bins, in bin order (the dashboard's histogram axis). */
export const FREQUENCY_BIN_LABELS: readonly string[] = Object.freeze(['0–.2', '.2–.4', '.4–.6', '.6–.8', '.8–1']);

/**
 * Bin index of `frequency` against increasing inner `edges` (default the paper's): the first edge
 * it is below, else the last bin (`edges.length`). So an edge value goes to the bin above it, 1.0
 * (and anything ≥ the last edge, NaN included) to the last bin, a negative value to bin 0.
 */
export function frequencyBin(frequency: number, edges: readonly number[] = FREQUENCY_EDGES): number {
  for (let i = 0; i < edges.length; i++) if (frequency < edges[i]!) return i;
  return edges.length;
}
