/**
 * Contracts of the planning stage (`retest plan`): how big a test set must be, how many models a
 * trend needs, how many candidates and answers a build needs. Accuracies and frequencies are
 * fractions; "points" are percentage points (0.03 = 3 points). Every answer is plain data that the
 * CLI prints as a table or as `--json`.
 */

/** The exact (Clopper–Pearson) interval of an accuracy measured on n images. */
export interface AccuracyPrecision {
  /** Images in the test set. */
  n: number;
  /** The accuracy assumed. */
  accuracy: number;
  /** Correct predictions at that accuracy: round(accuracy × n). */
  correct: number;
  /** Confidence level (0.95). */
  level: number;
  /** The interval [lower, upper] for `correct` of `n`. */
  interval: [number, number];
  /** (upper − lower) / 2. */
  halfWidth: number;
}

/** Images needed to detect a drop in accuracy between two independent test sets. */
export interface DropSampleSize {
  /** Accuracy on the original test set (p1). */
  originalAccuracy: number;
  /** The drop to detect (p1 − p2), a fraction (0.03 = 3 points). */
  drop: number;
  /** Two-sided significance level α. */
  alpha: number;
  /** Power wanted (1 − β). */
  power: number;
  /** Images in the original test set when fixed (e.g. 50,000 for ImageNet); null = both sets the same size. */
  originalN: number | null;
  /** Images needed in the new test set; null when no size reaches the power (the original set alone is too noisy). */
  newN: number | null;
  /** The power actually reached at `newN` (≥ `power`). */
  achievedPower: number | null;
}

/** The slope's bootstrap interval when the trend is fitted over m models drawn from the given ones. */
export interface SlopeAtModelCount {
  /** Models per fit. */
  models: number;
  /** Median slope over the draws. */
  median: number | null;
  /** Central `level` interval of the slope over the draws. */
  interval: [number, number] | null;
  /** (upper − lower) / 2. */
  halfWidth: number | null;
  /** Draws that had a line (all x equal gives none). */
  draws: number;
}

/** What a pilot says about one class. */
export interface ClassPlan {
  /** Class index. */
  classIdx: number;
  /** Candidates collected (exact duplicates left out). */
  candidates: number;
  /** Of those, candidates with enough answers to count in the pilot distribution. */
  labelled: number;
  /** The pilot's fraction of labelled candidates per frequency bin (null without labelled candidates). */
  binShare: number[] | null;
  /** Images wanted per bin (MatchedFrequency: the reference histogram scaled to per-class size); null without a reference histogram. */
  binTargets: number[] | null;
  /** MatchedFrequency: expected candidates per bin, candidates × binShare. */
  expectedPerBin: number[] | null;
  /** MatchedFrequency: slots left empty when every bin holds its expected count (upward sampling included). */
  shortfallAtExpected: number | null;
  /** MatchedFrequency: mean shortfall over multinomial draws of the candidates' bins (seeded). */
  expectedShortfall: number | null;
  /** MatchedFrequency: fraction of those draws that leave the class short. */
  shortProbability: number | null;
  /** MatchedFrequency: more candidates needed so that the expected counts fill every slot; null when no number can (see `note`). */
  moreCandidates: number | null;
  /** Threshold τ: expected candidates with frequency ≥ τ. */
  expectedAboveTau: number | null;
  /** Threshold τ: slots left empty at that expectation. */
  thresholdShortfall: number | null;
  /** Threshold τ: more candidates needed for the expectation to reach per-class size. */
  thresholdMoreCandidates: number | null;
  /** Why a number is missing, in words. */
  notes: string[];
}

/** The whole pilot plan. */
export interface PilotPlan {
  /** Images wanted per class. */
  perClass: number;
  /** Threshold τ. */
  tau: number;
  /** Answers a candidate needed to count in the pilot distribution. */
  minAnswers: number;
  /** Bin upper edges. */
  edges: number[];
  /** Draws behind `expectedShortfall`. */
  draws: number;
  /** Per class, in class order. */
  classes: ClassPlan[];
  /** Sums over classes. */
  totals: PilotPlanTotals;
}

/** A pilot plan's sums over its classes. */
export interface PilotPlanTotals {
  /** Classes whose expected counts leave MatchedFrequency slots empty (moreCandidates > 0, or no number of candidates can fill them). */
  shortClasses: number;
  /** Sum of the classes' `moreCandidates` (those with a number). */
  moreCandidates: number;
  /** Classes expected to end short under Threshold τ (thresholdMoreCandidates > 0, or none of their pilot candidates reaches τ). */
  thresholdShortClasses: number;
  /** Sum of the classes' `thresholdMoreCandidates` (those with a number). */
  thresholdMoreCandidates: number;
}

/** Answers per image for a standard-error target. */
export interface AnswersForError {
  /** The standard error wanted for a selection frequency. */
  standardError: number;
  /** The frequency assumed (0.5 is the worst case). */
  frequency: number;
  /** ceil(f (1 − f) / se²). */
  answers: number;
}
