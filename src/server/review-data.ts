/**
 * Data of the per-class review page (DESIGN §1.6): the images currently sampled for the class next
 * to the class's reference images, with their selection frequencies and blacklist state; and the
 * blacklist write.
 */
import type { LabelStore } from '../label/index.ts';
import type { ImageCatalog } from '../catalog/index.ts';
import type { SampleStore } from '../sample/index.ts';

/** One image on the review page. */
export interface ReviewImage {
  /** `images.id` (admins see ids; labellers never do). */
  imageId: string;
  /** Selection frequency for this class, null when the image has fewer than minAnswers valid answers. */
  frequency: number | null;
  /** Valid answers counted. */
  answers: number;
  /** Blacklist reason, or null. */
  blacklisted: string | null;
}

/** What the review page shows for one class. */
export interface ReviewImages {
  /** Where `sampled` came from: the current revision, or (before any revision) the top candidates by frequency. */
  sampledSource: string;
  /** The sampled images (at most 10 from a fallback; all of the revision's for the class). */
  sampled: ReviewImage[];
  /** Up to 10 reference images of the class. */
  reference: ReviewImage[];
}

/** The latest revision's sample for a class, or null when there is no revision yet. */
async function currentSample(sample: SampleStore, classIdx: number): Promise<{ ids: string[]; label: string } | null> {
  const revision = await sample.getRevision('latest');
  if (!revision) return null;
  return {
    ids: revision.images.filter((i) => i.classIdx === classIdx).map((i) => i.imageId),
    label: `revision ${revision.id} (${revision.function}, seed ${revision.seed}${revision.valid ? '' : ', not valid'})`,
  };
}

/** The review page's images of a class. */
export async function reviewImages(
  stores: { label: LabelStore; catalog: ImageCatalog; sample: SampleStore },
  classIdx: number,
  options: { minAnswers: number },
): Promise<ReviewImages> {
  const freq = new Map((await stores.label.frequencies({ classIdx, minAnswers: 0 })).map((f) => [f.imageId, f]));
  const black = new Map((await stores.sample.listBlacklist()).map((b) => [b.imageId, b.reason]));
  const view = (imageId: string): ReviewImage => {
    const f = freq.get(imageId);
    return { imageId, frequency: f && f.answers >= options.minAnswers ? f.frequency : null, answers: f?.answers ?? 0, blacklisted: black.get(imageId) ?? null };
  };
  const reference = (await stores.catalog.referenceIds(classIdx, 10)).map(view);
  const sample = await currentSample(stores.sample, classIdx);
  if (sample) return { sampledSource: sample.label, sampled: sample.ids.map(view), reference };
  const top = [...freq.values()]
    .filter((f) => f.role === 'candidate' && f.answers >= options.minAnswers && !black.has(f.imageId))
    .sort((a, b) => b.frequency - a.frequency || b.answers - a.answers || (a.imageId < b.imageId ? -1 : 1))
    .slice(0, 10)
    .map((f) => view(f.imageId));
  return { sampledSource: 'no revision yet: the 10 candidates with the highest selection frequency', sampled: top, reference };
}

/** Blacklists an image with a reason (replacing an earlier reason). */
export async function blacklistImage(sample: SampleStore, entry: { imageId: string; reason: string; by: string; now: Date }): Promise<void> {
  await sample.blacklist([{ imageId: entry.imageId, reason: entry.reason, by: entry.by, at: entry.now.toISOString() }]);
}
