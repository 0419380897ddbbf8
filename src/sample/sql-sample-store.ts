/**
 * The sampling stage's store (`SampleStore`, ./types.ts) in portable SQL over the database port:
 * the only file with SQL on `blacklist`, `sample_revisions` and `sample_images` (schema in
 * ./schema.ts).
 */
import type { SqlDatabase, SqlExecutor, SqlRow } from '../store/index.ts';
import type { BlacklistEntry, NewRevision, Revision, RevisionImage, RevisionSummary, SampleStore } from './types.ts';

interface RevisionRow extends SqlRow {
  id: number;
  function: string;
  parameters: string;
  seed: number;
  parent_id: number | null;
  valid: number;
  short_classes: string;
  created_at: string;
  size: number;
}

const REVISION_COLUMNS = 'id, function, parameters, seed, parent_id, valid, short_classes, created_at, size';

/** The sample store on a migrated workspace database (the database stays open: the workspace owns it). */
export function createSampleStore(db: SqlDatabase): SampleStore {
  return new SqlSampleStore(db);
}

class SqlSampleStore implements SampleStore {
  constructor(private readonly db: SqlDatabase) {}

  get backend() {
    return this.db.dialect;
  }

  get location() {
    return this.db.location;
  }

  async blacklist(entries: readonly BlacklistEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      for (const e of entries) {
        await tx.run(
          'INSERT INTO blacklist (image_id, reason, "by", at) VALUES (?, ?, ?, ?) ON CONFLICT (image_id) DO UPDATE SET reason = excluded.reason, "by" = excluded."by", at = excluded.at',
          [e.imageId, e.reason, e.by, e.at],
        );
      }
      return entries.length;
    });
  }

  async unblacklist(imageIds: readonly string[]): Promise<number> {
    if (imageIds.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let n = 0;
      for (const id of imageIds) n += (await tx.run('DELETE FROM blacklist WHERE image_id = ?', [id])).changes;
      return n;
    });
  }

  async listBlacklist(): Promise<BlacklistEntry[]> {
    const rows = await this.db.all<BlacklistEntry & SqlRow>('SELECT image_id AS "imageId", reason, "by", at FROM blacklist');
    return rows.sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  }

  async addRevision(revision: NewRevision): Promise<Revision> {
    const id = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ id: number }>(
        'INSERT INTO sample_revisions (function, parameters, seed, parent_id, valid, short_classes, size, report, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [
          revision.function,
          JSON.stringify(revision.parameters),
          revision.seed,
          revision.parentId,
          revision.valid ? 1 : 0,
          JSON.stringify(revision.shortClasses),
          revision.images.length,
          JSON.stringify(revision.report),
          revision.createdAt,
        ],
      );
      const revisionId = row!.id;
      await tx.insertMany(
        'sample_images',
        ['revision_id', 'position', 'image_id', 'class_idx', 'frequency', 'answers', 'carried_over'],
        revision.images.map((im) => [revisionId, im.position, im.imageId, im.classIdx, im.frequency, im.answers, im.carriedOver ? 1 : 0]),
      );
      return revisionId;
    });
    return (await this.getRevision(id))!;
  }

  async getRevision(which: number | 'latest', options: { function?: string } = {}): Promise<Revision | undefined> {
    return this.db.transaction(
      async (tx) => {
        const row =
          which === 'latest'
            ? await tx.get<RevisionRow>(
                `SELECT ${REVISION_COLUMNS} FROM sample_revisions ${options.function ? 'WHERE function = ?' : ''} ORDER BY id DESC LIMIT 1`,
                options.function ? [options.function] : [],
              )
            : await tx.get<RevisionRow>(`SELECT ${REVISION_COLUMNS} FROM sample_revisions WHERE id = ?`, [which]);
        if (!row) return undefined;
        const { size: _size, ...summary } = toSummary(row);
        return { ...summary, images: await revisionImages(tx, row.id) };
      },
      { mode: 'read' },
    );
  }

  async listRevisions(): Promise<RevisionSummary[]> {
    return (await this.db.all<RevisionRow>(`SELECT ${REVISION_COLUMNS} FROM sample_revisions ORDER BY id DESC`)).map(toSummary);
  }
}

async function revisionImages(tx: SqlExecutor, revisionId: number): Promise<RevisionImage[]> {
  const rows = await tx.all<Omit<RevisionImage, 'carriedOver'> & { carriedOver: number } & SqlRow>(
    'SELECT position, image_id AS "imageId", class_idx AS "classIdx", frequency, answers, carried_over AS "carriedOver" FROM sample_images WHERE revision_id = ? ORDER BY position',
    [revisionId],
  );
  return rows.map((r) => ({ ...r, carriedOver: r.carriedOver === 1 }));
}

function toSummary(r: RevisionRow): RevisionSummary {
  return {
    id: r.id,
    function: r.function,
    parameters: JSON.parse(r.parameters),
    seed: r.seed,
    parentId: r.parent_id,
    valid: r.valid === 1,
    shortClasses: JSON.parse(r.short_classes),
    createdAt: r.created_at,
    size: r.size,
  };
}
