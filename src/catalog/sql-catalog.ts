/**
 * The image catalog (`ImageCatalog`, ./types.ts) in portable SQL over the database port: the only
 * file with SQL on the `classes`, `images` and `ingest_failures` tables (schema in ./schema.ts).
 */
import { CLASS_COLUMNS, classesFromRows, classRowValues, type ClassTableRow } from './class-rows.ts';
import type { ClassDef } from '../classes/index.ts';
import type { SqlDatabase, SqlRow } from '../store/index.ts';
import type { CandidateImage, CatalogCounts, CatalogImage, ImageCatalog, IngestedImage, IngestFailure, NewImage } from './types.ts';

const IMAGE_COLUMNS = `id, role, class_idx AS "classIdx", source, source_id AS "sourceId", url, keyword, sha256,
  exact_duplicate_of AS "exactDuplicateOf", original_path AS "originalPath", display_path AS "displayPath",
  square_path AS "squarePath", width, height, created_at AS "createdAt"`;

/** Most ids bound in one `IN (…)` list. */
const IDS_PER_QUERY = 500;

/** The catalog on a migrated workspace database (the database stays open: the workspace owns it). */
export function createImageCatalog(db: SqlDatabase): ImageCatalog {
  return new SqlImageCatalog(db);
}

class SqlImageCatalog implements ImageCatalog {
  constructor(private readonly db: SqlDatabase) {}

  get backend() {
    return this.db.dialect;
  }

  get location() {
    return this.db.location;
  }

  async addClasses(classes: readonly ClassDef[]): Promise<void> {
    await this.db.insertMany('classes', CLASS_COLUMNS, classes.map(classRowValues));
  }

  async classes(): Promise<ClassDef[]> {
    const rows = await this.db.all<ClassTableRow & SqlRow>(`SELECT ${CLASS_COLUMNS.join(', ')} FROM classes ORDER BY idx`);
    return classesFromRows(rows, this.db.location);
  }

  async candidates(): Promise<CandidateImage[]> {
    const rows = await this.db.all<CandidateImage & SqlRow>(`SELECT id AS "imageId", class_idx AS "classIdx", exact_duplicate_of AS "exactDuplicateOf"
      FROM images WHERE role = 'candidate'`);
    // Sorted here, not by the database's collation (a PostgreSQL locale would order ids differently).
    return rows.sort((a, b) => a.classIdx - b.classIdx || byCodeUnit(a.imageId, b.imageId));
  }

  async images(ids: readonly string[]): Promise<CatalogImage[]> {
    const out: CatalogImage[] = [];
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += IDS_PER_QUERY) {
      const chunk = unique.slice(start, start + IDS_PER_QUERY);
      out.push(...(await this.db.all<CatalogImage & SqlRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)));
    }
    return out.sort((a, b) => byCodeUnit(a.id, b.id));
  }

  async list(): Promise<CatalogImage[]> {
    return (await this.db.all<CatalogImage & SqlRow>(`SELECT ${IMAGE_COLUMNS} FROM images`)).sort((a, b) => byCodeUnit(a.id, b.id));
  }

  async hasPath(path: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS one FROM images WHERE square_path = ? OR display_path = ? LIMIT 1', [path, path])) !== undefined;
  }

  async image(id: string): Promise<CatalogImage | undefined> {
    return this.db.get<CatalogImage & SqlRow>(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`, [id]);
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    const found = new Set((await this.images(ids)).map((im) => im.id));
    return ids.filter((id) => !found.has(id));
  }

  async counts(): Promise<CatalogCounts> {
    const byRoleAndClass = await this.db.all<CatalogCounts['byRoleAndClass'][number] & SqlRow>(
      'SELECT role, class_idx AS "classIdx", COUNT(*) AS n FROM images GROUP BY role, class_idx',
    );
    const distinct = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM images WHERE role = 'candidate' AND exact_duplicate_of IS NULL");
    const open = await this.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM (SELECT DISTINCT source, source_id FROM ingest_failures f WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.source = f.source AND i.source_id = f.source_id)) open_failures',
    );
    return {
      byRoleAndClass: byRoleAndClass.sort((a, b) => byCodeUnit(a.role, b.role) || a.classIdx - b.classIdx),
      distinctCandidates: distinct?.n ?? 0,
      openFailures: open?.n ?? 0,
    };
  }

  async ingestFailures(limit: number): Promise<IngestFailure[]> {
    return this.db.all<IngestFailure & SqlRow>(
      'SELECT source, source_id AS "sourceId", class_idx AS "classIdx", url_or_path AS "urlOrPath", reason, at FROM ingest_failures ORDER BY id DESC LIMIT ?',
      [limit],
    );
  }

  async referenceIds(classIdx: number, limit: number): Promise<string[]> {
    const rows = await this.db.all<{ id: string }>("SELECT id FROM images WHERE class_idx = ? AND role = 'reference' ORDER BY id LIMIT ?", [classIdx, limit]);
    return rows.map((r) => r.id);
  }
  // ── Ingest (see the block of the same name in ./types.ts). ──

  async ingestedRows(source: string, sourceId: string): Promise<IngestedImage[]> {
    return this.db.all<IngestedImage & SqlRow>(
      `SELECT id, class_idx AS "classIdx", exact_duplicate_of AS "exactDuplicateOf", sha256, original_path AS "originalPath", display_path AS "displayPath",
              square_path AS "squarePath", width, height, format, bytes
       FROM images WHERE source = ? AND source_id = ? ORDER BY created_at, id`,
      [source, sourceId],
    );
  }

  async contentRoot(sha256: string): Promise<string | undefined> {
    // Every row with this content is the root or points at it: any one gives the root.
    const row = await this.db.get<{ id: string; exact_duplicate_of: string | null }>(
      'SELECT id, exact_duplicate_of FROM images WHERE sha256 = ? ORDER BY created_at, id LIMIT 1',
      [sha256],
    );
    return row ? (row.exact_duplicate_of ?? row.id) : undefined;
  }

  async addImage(im: NewImage): Promise<boolean> {
    const { changes } = await this.db.run(
      `INSERT INTO images (id, role, class_idx, source, source_id, url, keyword, sha256, exact_duplicate_of, original_path, display_path, square_path, width, height, uploaded_at, taken_at, created_at, format, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, source_id, class_idx) DO NOTHING`,
      [
        im.id,
        im.role,
        im.classIdx,
        im.source,
        im.sourceId,
        im.url,
        im.keyword,
        im.sha256,
        im.exactDuplicateOf,
        im.originalPath,
        im.displayPath,
        im.squarePath,
        im.width,
        im.height,
        im.uploadedAt,
        im.takenAt,
        im.createdAt,
        im.format,
        im.bytes,
      ],
    );
    return changes > 0;
  }

  async addIngestFailure(f: IngestFailure): Promise<void> {
    await this.db.run('INSERT INTO ingest_failures (source, source_id, class_idx, url_or_path, reason, at) VALUES (?, ?, ?, ?, ?, ?)', [
      f.source,
      f.sourceId,
      f.classIdx,
      f.urlOrPath,
      f.reason,
      f.at,
    ]);
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
