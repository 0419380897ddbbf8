/**
 * DSSIM on a short list: re-scores each query's neighbours (found by a vector descriptor) with
 * DSSIM = (1 − SSIM)/2 on the images themselves and re-sorts them. DSSIM is too slow to compute
 * against every reference, so the paper used it on short lists and restricted reference sets only.
 */
import type { ImageSource } from './image-source.ts';
import { imageAt, resampleBatch } from './resample.ts';
import { dssim, ssimWindow } from './ssim.ts';
import type { ImageBatch, Neighbour } from './types.ts';

export async function dssimRerank(queries: ImageSource, references: ImageSource[], shortLists: Neighbour[][], k: number): Promise<Neighbour[][]> {
  const side = Math.min(queries.width, ...references.map((r) => r.width));
  const window = ssimWindow(side);
  const load = async (source: ImageSource, index: number): Promise<ImageBatch> => {
    const b = await source.read(index, 1);
    return b.width === side && b.height === side ? b : resampleBatch(b, side, side);
  };
  const out: Neighbour[][] = [];
  for (const [q, list] of shortLists.entries()) {
    const query = imageAt(await load(queries, q), 0);
    const scored: Neighbour[] = [];
    for (const n of list) {
      const other = imageAt(await load(references[n.set] as ImageSource, n.index), 0);
      scored.push({ set: n.set, index: n.index, distance: dssim(query, 0, other, 0, window) });
    }
    out.push(scored.sort((a, b) => a.distance - b.distance || a.set - b.set || a.index - b.index).slice(0, k));
  }
  return out;
}
