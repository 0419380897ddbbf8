import type { SelectionFrequency } from '../label/index.ts';
import type { ExclusionReason, SampleStore, SamplingCandidate, SamplingSources } from './types.ts';

/** Options of `eligibility`. */
export interface EligibilityOptions {
  /** Minimum valid answers for a candidate's frequency (default 10). */
  minAnswers?: number;
  /**
   * Require a near-duplicate state 'clear' for every candidate (default true, as the authors: a
   * candidate never searched for near-duplicates is not eligible). false skips the near-duplicate
   * requirement for candidates without a state (states 'pending' or 'duplicate' still exclude);
   * not the authors' process, recorded in the revision.
   */
  requireDedup?: boolean;
}

/** What eligibility is decided from (read through `SamplingSources` and the sample store). */
export interface EligibilityInput {
  /** Every candidate, ordered by class then id. */
  candidates: readonly { imageId: string; classIdx: number; exactDuplicateOf: string | null }[];
  /** Blacklist reason by image id. */
  blacklist: ReadonlyMap<string, string>;
  /** Near-duplicate state by image id (absent: never searched). */
  nearDuplicates: ReadonlyMap<string, 'clear' | 'pending' | 'duplicate'>;
  /** Selection frequencies (any role; only the candidates' rows are used). */
  frequencies: readonly SelectionFrequency[];
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
 * image, not a near-duplicate (state 'duplicate'), searched with every metric and reviewed (state
 * 'clear'; without `requireDedup`, a missing state is let through), and has ≥ minAnswers valid
 * answers for its own class. Pure: the inputs come from `readEligibilityInput`.
 */
export function eligibility(input: EligibilityInput, options: EligibilityOptions = {}): EligibilityReport {
  const minAnswers = options.minAnswers ?? 10;
  const requireDedup = options.requireDedup ?? true;
  const freq = new Map<string, { frequency: number; answers: number }>();
  for (const f of input.frequencies) {
    if (f.role === 'candidate') freq.set(`${f.classIdx}\u0000${f.imageId}`, { frequency: f.frequency, answers: f.answers });
  }
  const report: EligibilityReport = {
    eligible: [],
    excluded: [],
    counts: { blacklisted: 0, exact_duplicate: 0, near_duplicate: 0, unreviewed: 0, few_answers: 0 },
  };
  const exclude = (imageId: string, classIdx: number, reason: ExclusionReason, detail?: string) => {
    report.excluded.push(detail === undefined ? { imageId, classIdx, reason } : { imageId, classIdx, reason, detail });
    report.counts[reason] += 1;
  };
  for (const im of input.candidates) {
    const f = freq.get(`${im.classIdx}\u0000${im.imageId}`);
    const d = input.nearDuplicates.get(im.imageId);
    const reason = input.blacklist.get(im.imageId);
    if (reason !== undefined) exclude(im.imageId, im.classIdx, 'blacklisted', reason);
    else if (im.exactDuplicateOf !== null) exclude(im.imageId, im.classIdx, 'exact_duplicate', im.exactDuplicateOf);
    else if (d === 'duplicate') exclude(im.imageId, im.classIdx, 'near_duplicate');
    else if (d === 'pending') exclude(im.imageId, im.classIdx, 'unreviewed', 'near-duplicate review or search pending');
    else if (requireDedup && d !== 'clear') exclude(im.imageId, im.classIdx, 'unreviewed', 'never searched for near-duplicates');
    else if (!f || f.answers < minAnswers) exclude(im.imageId, im.classIdx, 'few_answers', `${f?.answers ?? 0} answers`);
    else report.eligible.push({ imageId: im.imageId, classIdx: im.classIdx, frequency: f.frequency, answers: f.answers });
  }
  return report;
}

/** Reads what `eligibility` needs (frequencies given when the caller already has them). */
export async function readEligibilityInput(
  sources: SamplingSources,
  store: SampleStore,
  frequencies?: readonly SelectionFrequency[],
): Promise<EligibilityInput> {
  const [candidates, blacklist, nearDuplicates, freq] = await Promise.all([
    sources.candidates(),
    store.listBlacklist(),
    sources.nearDuplicateStatus(),
    frequencies ?? sources.frequencies(),
  ]);
  return { candidates, blacklist: new Map(blacklist.map((b) => [b.imageId, b.reason])), nearDuplicates, frequencies: freq };
}
