import type { CatalogCounts, ImageCatalog, IngestFailure } from '../catalog/index.ts';

/** Per-class counts and open failures of a workspace's collection. */
export interface CollectStatus {
  /** Images by role. */
  images: { candidate: number; reference: number };
  /** Candidate rows that are not exact duplicates or cross-class links. */
  distinctCandidates: number;
  /** Candidates per class index (every class listed, 0 when none). */
  perClass: number[];
  /** Reference images per class index. */
  referencePerClass: number[];
  /** Failures whose (source, source id) has no image row yet. */
  openFailures: number;
}

/** The collection's status from the catalog's counts. */
export async function collectStatus(catalog: Pick<ImageCatalog, 'counts'>, numClasses: number): Promise<CollectStatus> {
  return statusFromCounts(await catalog.counts(), numClasses);
}

/** Pure: the status of `counts` for a workspace of `numClasses` classes. */
export function statusFromCounts(counts: CatalogCounts, numClasses: number): CollectStatus {
  const images = { candidate: 0, reference: 0 };
  const perClass = new Array<number>(numClasses).fill(0);
  const referencePerClass = new Array<number>(numClasses).fill(0);
  for (const r of counts.byRoleAndClass) {
    images[r.role] += r.n;
    if (r.classIdx < 0 || r.classIdx >= numClasses) continue;
    if (r.role === 'candidate') perClass[r.classIdx] = r.n;
    else referencePerClass[r.classIdx] = r.n;
  }
  return { images, distinctCandidates: counts.distinctCandidates, perClass, referencePerClass, openFailures: counts.openFailures };
}

/** The most recent failures, newest first. */
export function listIngestFailures(catalog: Pick<ImageCatalog, 'ingestFailures'>, limit = 100): Promise<IngestFailure[]> {
  return catalog.ingestFailures(limit);
}
