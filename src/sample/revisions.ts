import { createRng, usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { referenceHistograms, selectionFrequencies } from '../label/index.ts';
import { eligibility, type EligibilityReport } from './eligibility.ts';
import { matchedFrequency } from './matched-frequency.ts';
import { threshold } from './threshold.ts';
import { topImages } from './top-images.ts';
import type { MatchedFrequencyParams, SamplingInput, SamplingOutcome, ThresholdParams } from './types.ts';

/** Which strategy a revision runs, with its parameters. */
export type StrategyChoice =
  | { function: 'matched-frequency'; params?: MatchedFrequencyParams }
  | { function: 'threshold'; params: ThresholdParams }
  | { function: 'top-images'; params?: Record<string, never> };

/** Options of `createRevision`. */
export interface CreateRevisionOptions {
  /** The strategy. */
  strategy: StrategyChoice;
  /** Images per class. */
  perClass: number;
  /** Seed of the draws and of the final shuffle. */
  seed: number;
  /** Parent revision id (its still-eligible images are kept); null/undefined: start fresh. */
  parent?: number | null;
  /** Minimum valid answers per candidate (default 10). */
  minAnswers?: number;
  /** Minimum valid answers per reference image in the histogram (default 10). */
  minReferenceAnswers?: number;
  /** See `eligibility`. */
  requireDedup?: boolean;
  /** Creation time (default now). */
  now?: Date | string;
}

/** A stored revision. */
export interface Revision {
  /** Revision id. */
  id: number;
  /** Strategy name. */
  function: string;
  /** Parameters as recorded. */
  parameters: Record<string, unknown>;
  /** Seed. */
  seed: number;
  /** Parent revision id, or null. */
  parentId: number | null;
  /** Every class full (and, for MatchedFrequency, every histogram from enough images). */
  valid: boolean;
  /** Short classes. */
  shortClasses: number[];
  /** ISO time. */
  createdAt: string;
  /** Images in release order. */
  images: { position: number; imageId: string; classIdx: number; frequency: number; answers: number; carriedOver: boolean }[];
}

/** The strategy input from the workspace: eligible candidates, reference histograms, the parent's images. */
export function samplingInput(db: Db, options: Pick<CreateRevisionOptions, 'perClass' | 'parent' | 'minAnswers' | 'minReferenceAnswers' | 'requireDedup'>): { input: SamplingInput; eligibility: EligibilityReport } {
  const classes = (db.prepare('SELECT idx FROM classes ORDER BY idx').all() as { idx: number }[]).map((r) => r.idx);
  const all = selectionFrequencies(db, { minAnswers: 0 });
  const elig = eligibility(db, { minAnswers: options.minAnswers ?? 10, requireDedup: options.requireDedup ?? true, frequencies: all });
  const minRef = options.minReferenceAnswers ?? 10;
  const refs = all.filter((f) => f.role === 'reference' && f.answers >= minRef);
  const histograms = new Map(referenceHistograms(refs, classes).map((h) => [h.classIdx, h.counts]));
  const input: SamplingInput = { classes, perClass: options.perClass, candidates: elig.eligible, referenceHistograms: histograms };
  if (options.parent !== undefined && options.parent !== null) {
    const parent = getRevision(db, options.parent);
    const previous = new Map<number, string[]>();
    for (const im of parent.images) {
      let list = previous.get(im.classIdx);
      if (!list) { list = []; previous.set(im.classIdx, list); }
      list.push(im.imageId);
    }
    input.previous = previous;
  }
  return { input, eligibility: elig };
}

/** Runs a strategy on the workspace. Pure given the workspace state. */
export function runStrategy(input: SamplingInput, strategy: StrategyChoice, seed: number): SamplingOutcome {
  const rng = createRng(seed);
  switch (strategy.function) {
    case 'matched-frequency': return matchedFrequency(input, strategy.params ?? {}, rng);
    case 'threshold': return threshold(input, strategy.params, rng);
    case 'top-images': return topImages(input, {}, rng);
  }
}

/**
 * Samples a new revision (DESIGN §1.6) and stores it with its function, parameters, seed, parent,
 * validity and time, in one transaction. With a parent, the parent's still-eligible images are kept
 * and only the gaps are re-sampled.
 */
export function createRevision(db: Db, options: CreateRevisionOptions): { revision: Revision; outcome: SamplingOutcome; eligibility: EligibilityReport } {
  if (!Number.isInteger(options.seed)) throw usageError('--seed must be an integer', { field: 'seed', received: String(options.seed) });
  const { input, eligibility: elig } = samplingInput(db, options);
  const outcome = runStrategy(input, options.strategy, options.seed);
  const freq = new Map(elig.eligible.map((c) => [c.imageId, c]));
  const carried = new Set(outcome.classes.flatMap((c) => c.carriedOver));
  const parameters = { ...outcome.parameters, minAnswers: options.minAnswers ?? 10, minReferenceAnswers: options.minReferenceAnswers ?? 10, requireDedup: options.requireDedup ?? true };
  const report = { classes: outcome.classes, exclusions: elig.counts };
  const createdAt = new Date(options.now ?? Date.now()).toISOString();
  const id = db.transaction(() => {
    const info = db.prepare('INSERT INTO sample_revisions (function, parameters, seed, parent_id, valid, short_classes, size, report, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(outcome.strategy, JSON.stringify(parameters), options.seed, options.parent ?? null, outcome.valid ? 1 : 0, JSON.stringify(outcome.shortClasses), outcome.images.length, JSON.stringify(report), createdAt);
    const revisionId = Number(info.lastInsertRowid);
    const insert = db.prepare('INSERT INTO sample_images (revision_id, position, image_id, class_idx, frequency, answers, carried_over) VALUES (?, ?, ?, ?, ?, ?, ?)');
    outcome.images.forEach((im, position) => {
      const f = freq.get(im.imageId)!;
      insert.run(revisionId, position, im.imageId, im.classIdx, f.frequency, f.answers, carried.has(im.imageId) ? 1 : 0);
    });
    return revisionId;
  }).immediate();
  return { revision: getRevision(db, id), outcome, eligibility: elig };
}

/** A stored revision by id, or the latest (optionally of one function). */
export function getRevision(db: Db, which: number | 'latest', options: { function?: string } = {}): Revision {
  const row = (which === 'latest'
    ? db.prepare(`SELECT * FROM sample_revisions ${options.function ? 'WHERE function = ?' : ''} ORDER BY id DESC LIMIT 1`).get(...(options.function ? [options.function] : []))
    : db.prepare('SELECT * FROM sample_revisions WHERE id = ?').get(which)) as
    | { id: number; function: string; parameters: string; seed: number; parent_id: number | null; valid: number; short_classes: string; created_at: string }
    | undefined;
  if (!row) throw usageError(which === 'latest' ? 'no sample revision yet' : `no sample revision ${which}`, { field: 'revision', hint: 'create one with `retest sample matched-frequency|threshold|top-images`' });
  const images = (db.prepare('SELECT position, image_id AS imageId, class_idx AS classIdx, frequency, answers, carried_over AS carriedOver FROM sample_images WHERE revision_id = ? ORDER BY position').all(row.id) as { position: number; imageId: string; classIdx: number; frequency: number; answers: number; carriedOver: number }[])
    .map((r) => ({ ...r, carriedOver: r.carriedOver === 1 }));
  return { id: row.id, function: row.function, parameters: JSON.parse(row.parameters), seed: row.seed, parentId: row.parent_id, valid: row.valid === 1, shortClasses: JSON.parse(row.short_classes), createdAt: row.created_at, images };
}

/** All revisions, newest first, without their images. */
export function listRevisions(db: Db): Omit<Revision, 'images'>[] {
  const rows = db.prepare('SELECT id, function, parameters, seed, parent_id, valid, short_classes, created_at, size FROM sample_revisions ORDER BY id DESC').all() as { id: number; function: string; parameters: string; seed: number; parent_id: number | null; valid: number; short_classes: string; created_at: string; size: number }[];
  return rows.map((r) => ({ id: r.id, function: r.function, parameters: JSON.parse(r.parameters), seed: r.seed, parentId: r.parent_id, valid: r.valid === 1, shortClasses: JSON.parse(r.short_classes), createdAt: r.created_at, size: r.size }));
}
