import type { Db } from '../store/index.ts';

/** Per-class counts and open failures of a workspace's collection. */
export interface CollectStatus {
  /** Rows in `images` by role. */
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

export function collectStatus(db: Db, numClasses: number): CollectStatus {
  const roles = db.prepare('SELECT role, COUNT(*) AS n FROM images GROUP BY role').all() as { role: 'candidate' | 'reference'; n: number }[];
  const images = { candidate: 0, reference: 0 };
  for (const r of roles) images[r.role] = r.n;
  const perClass = new Array<number>(numClasses).fill(0);
  const referencePerClass = new Array<number>(numClasses).fill(0);
  for (const r of db.prepare('SELECT role, class_idx, COUNT(*) AS n FROM images GROUP BY role, class_idx').all() as { role: string; class_idx: number; n: number }[]) {
    if (r.class_idx < 0 || r.class_idx >= numClasses) continue;
    if (r.role === 'candidate') perClass[r.class_idx] = r.n;
    else referencePerClass[r.class_idx] = r.n;
  }
  const distinct = db.prepare("SELECT COUNT(*) AS n FROM images WHERE role = 'candidate' AND exact_duplicate_of IS NULL").get() as { n: number };
  const open = db.prepare('SELECT COUNT(*) AS n FROM (SELECT DISTINCT source, source_id FROM ingest_failures f WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.source = f.source AND i.source_id = f.source_id))').get() as { n: number };
  return { images, distinctCandidates: distinct.n, perClass, referencePerClass, openFailures: open.n };
}

/** The most recent failures, newest first. */
export function listIngestFailures(db: Db, limit = 100): { source: string; sourceId: string; classIdx: number | null; urlOrPath: string; reason: string; at: string }[] {
  return (db.prepare('SELECT source, source_id, class_idx, url_or_path, reason, at FROM ingest_failures ORDER BY id DESC LIMIT ?').all(limit) as { source: string; source_id: string; class_idx: number | null; url_or_path: string; reason: string; at: string }[])
    .map((r) => ({ source: r.source, sourceId: r.source_id, classIdx: r.class_idx, urlOrPath: r.url_or_path, reason: r.reason, at: r.at }));
}
