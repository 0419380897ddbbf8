import type { Db } from '../store/index.ts';
import { selectionFrequencies, type SelectionFrequency } from '../label/index.ts';
import type { ExclusionReason, SamplingCandidate } from './types.ts';

/** Options of `eligibility`. */
export interface EligibilityOptions {
  /** Minimum valid answers for a candidate's frequency (default 10). */
  minAnswers?: number;
  /**
   * Require a `dedup_status` row 'clear' for every candidate (default true, as the authors: a
   * candidate never searched for near-duplicates is not eligible). false skips the near-duplicate
   * requirement for candidates without a row (rows saying 'pending' or 'duplicate' still exclude);
   * not the authors' process, recorded in the revision.
   */
  requireDedup?: boolean;
  /** Frequencies already computed with `selectionFrequencies(db, { minAnswers: 0 })` (saves a query). */
  frequencies?: readonly SelectionFrequency[];
}

/** Who is eligible and why the others are not. */
export interface EligibilityReport {
  /** Eligible candidates with their frequency (for their own class), sorted by class then id. */
  eligible: SamplingCandidate[];
  /** Excluded candidates with the first reason that applies (order: blacklisted, exact_duplicate, near_duplicate, unreviewed, few_answers). */
  excluded: { imageId: string; classIdx: number; reason: ExclusionReason; detail?: string }[];
  /** Count per reason. */
  counts: Record<ExclusionReason, number>;
}

/**
 * DESIGN §1.6: a candidate is eligible when it is not blacklisted, not an exact duplicate of another
 * image, not a near-duplicate (`dedup_status` 'duplicate'), searched with every metric and reviewed
 * (`dedup_status` 'clear'; without `requireDedup`, a missing row is let through), and has
 * ≥ minAnswers valid answers for its own class. Reads COLLECT's `images`, LABEL's answers, SAMPLE's `blacklist` and DEDUP's `dedup_status`
 * (when that table exists).
 */
export function eligibility(db: Db, options: EligibilityOptions = {}): EligibilityReport {
  const minAnswers = options.minAnswers ?? 10;
  const requireDedup = options.requireDedup ?? true;
  const images = db.prepare("SELECT id, class_idx, exact_duplicate_of FROM images WHERE role = 'candidate' ORDER BY class_idx, id").all() as { id: string; class_idx: number; exact_duplicate_of: string | null }[];
  const blacklist = new Map((db.prepare('SELECT image_id, reason FROM blacklist').all() as { image_id: string; reason: string }[]).map((r) => [r.image_id, r.reason]));
  const hasDedup = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_status'").get() !== undefined;
  const dedup = new Map(hasDedup ? (db.prepare('SELECT image_id, status FROM dedup_status').all() as { image_id: string; status: string }[]).map((r) => [r.image_id, r.status]) : []);
  const freq = new Map<string, { frequency: number; answers: number }>();
  for (const f of options.frequencies ?? selectionFrequencies(db, { minAnswers: 0 })) {
    if (f.role === 'candidate') freq.set(`${f.classIdx}\u0000${f.imageId}`, { frequency: f.frequency, answers: f.answers });
  }
  const report: EligibilityReport = { eligible: [], excluded: [], counts: { blacklisted: 0, exact_duplicate: 0, near_duplicate: 0, unreviewed: 0, few_answers: 0 } };
  const exclude = (imageId: string, classIdx: number, reason: ExclusionReason, detail?: string) => {
    report.excluded.push(detail === undefined ? { imageId, classIdx, reason } : { imageId, classIdx, reason, detail });
    report.counts[reason] += 1;
  };
  for (const im of images) {
    const f = freq.get(`${im.class_idx}\u0000${im.id}`);
    const d = dedup.get(im.id);
    if (blacklist.has(im.id)) exclude(im.id, im.class_idx, 'blacklisted', blacklist.get(im.id));
    else if (im.exact_duplicate_of !== null) exclude(im.id, im.class_idx, 'exact_duplicate', im.exact_duplicate_of);
    else if (d === 'duplicate') exclude(im.id, im.class_idx, 'near_duplicate');
    else if (d === 'pending') exclude(im.id, im.class_idx, 'unreviewed', 'near-duplicate review or search pending');
    else if (requireDedup && d !== 'clear') exclude(im.id, im.class_idx, 'unreviewed', 'never searched for near-duplicates');
    else if (!f || f.answers < minAnswers) exclude(im.id, im.class_idx, 'few_answers', `${f?.answers ?? 0} answers`);
    else report.eligible.push({ imageId: im.id, classIdx: im.class_idx, frequency: f.frequency, answers: f.answers });
  }
  return report;
}
