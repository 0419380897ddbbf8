/**
 * The near-duplicate stage's store (`DedupStore`, ./types.ts) in portable SQL over the database
 * port: the only file with SQL on `dedup_neighbours`, `dedup_searches`, `dedup_decisions`,
 * `dedup_keepers` and `dedup_status` (schema in ./schema.ts).
 */
import type { SqlDatabase, SqlRow } from '../store/index.ts';
import type { CloseNeighbour, DecisionRecord, DedupStatusRow, DedupStore, KeeperEntry, NeighbourRow } from './types.ts';

/** The dedup store on a migrated workspace database (the database stays open: the workspace owns it). */
export function createDedupStore(db: SqlDatabase): DedupStore {
  return new SqlDedupStore(db);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class SqlDedupStore implements DedupStore {
  constructor(private readonly db: SqlDatabase) {}

  get backend() {
    return this.db.dialect;
  }

  get location() {
    return this.db.location;
  }

  async replaceNeighbours(metric: string, threshold: number | null, rows: readonly NeighbourRow[], now: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const id of new Set(rows.map((r) => r.candidateId)))
        await tx.run('DELETE FROM dedup_neighbours WHERE candidate_id = ? AND metric = ?', [id, metric]);
      await tx.insertMany(
        'dedup_neighbours',
        ['candidate_id', 'metric', 'rank', 'neighbour_set', 'neighbour_id', 'neighbour_role', 'neighbour_path', 'distance', 'threshold', 'searched_at'],
        rows.map((r) => [r.candidateId, metric, r.rank, r.neighbourSet, r.neighbourId, r.neighbourRole, r.neighbourPath, r.distance, threshold, now]),
      );
    });
  }

  async recordSearched(metric: string, candidateIds: readonly string[], now: string): Promise<void> {
    await this.db.insertMany(
      'dedup_searches',
      ['candidate_id', 'metric', 'searched_at'],
      [...new Set(candidateIds)].map((id) => [id, metric, now]),
      'ON CONFLICT (candidate_id, metric) DO UPDATE SET searched_at = excluded.searched_at',
    );
  }

  async closeNeighbours(top: number): Promise<CloseNeighbour[]> {
    const rows = await this.db.all<CloseNeighbour & SqlRow>(
      `SELECT candidate_id AS "candidateId", metric, rank, neighbour_set AS "neighbourSet", neighbour_id AS "neighbourId", neighbour_role AS "neighbourRole",
              neighbour_path AS "neighbourPath", distance, threshold
       FROM dedup_neighbours WHERE rank < ? AND threshold IS NOT NULL AND distance <= threshold`,
      [top],
    );
    return rows.sort((a, b) => byCodeUnit(a.candidateId, b.candidateId) || a.rank - b.rank || byCodeUnit(a.metric, b.metric));
  }

  async shortLists(top: number): Promise<Omit<NeighbourRow, 'rank' | 'distance'>[]> {
    const rows = await this.db.all<Omit<NeighbourRow, 'rank' | 'distance'> & SqlRow>(
      `SELECT DISTINCT candidate_id AS "candidateId", neighbour_set AS "neighbourSet", neighbour_id AS "neighbourId", neighbour_role AS "neighbourRole", neighbour_path AS "neighbourPath"
       FROM dedup_neighbours WHERE metric <> 'dssim' AND rank < ?`,
      [top],
    );
    return rows.sort(
      (a, b) =>
        byCodeUnit(a.candidateId, b.candidateId) ||
        byCodeUnit(a.neighbourSet, b.neighbourSet) ||
        byCodeUnit(a.neighbourId, b.neighbourId) ||
        byCodeUnit(a.neighbourPath ?? '', b.neighbourPath ?? ''),
    );
  }

  async isNeighbourPath(path: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS one FROM dedup_neighbours WHERE neighbour_path = ? LIMIT 1', [path])) !== undefined;
  }

  async searches(): Promise<{ candidateId: string; metric: string }[]> {
    return this.db.all<{ candidateId: string; metric: string }>('SELECT candidate_id AS "candidateId", metric FROM dedup_searches');
  }

  async addDecisions(decisions: readonly DecisionRecord[]): Promise<void> {
    if (decisions.length === 0) return;
    await this.db.transaction(async (tx) => {
      // One at a time: the id orders decisions, and the latest one per pair is in force.
      for (const d of decisions) {
        await tx.run('INSERT INTO dedup_decisions (candidate_id, neighbour_set, neighbour_id, decision, reviewer, decided_at) VALUES (?, ?, ?, ?, ?, ?)', [
          d.candidateId,
          d.neighbourSet,
          d.neighbourId,
          d.decision,
          d.reviewer,
          d.decidedAt,
        ]);
      }
    });
  }

  async decisionsInForce(): Promise<DecisionRecord[]> {
    return this.db.all<DecisionRecord & SqlRow>(
      `SELECT d.candidate_id AS "candidateId", d.neighbour_set AS "neighbourSet", d.neighbour_id AS "neighbourId", d.decision, d.reviewer, d.decided_at AS "decidedAt"
       FROM dedup_decisions d
       JOIN (SELECT MAX(id) AS id FROM dedup_decisions GROUP BY candidate_id, neighbour_set, neighbour_id) latest ON latest.id = d.id`,
    );
  }

  async keepers(): Promise<KeeperEntry[]> {
    const rows = await this.db.all<KeeperEntry & SqlRow>('SELECT image_id AS "imageId", reason, "by", at FROM dedup_keepers');
    return rows.sort((a, b) => byCodeUnit(a.imageId, b.imageId));
  }

  async addKeepers(entries: readonly KeeperEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      for (const e of entries) {
        await tx.run(
          'INSERT INTO dedup_keepers (image_id, reason, "by", at) VALUES (?, ?, ?, ?) ON CONFLICT (image_id) DO UPDATE SET reason = excluded.reason, "by" = excluded."by", at = excluded.at',
          [e.imageId, e.reason, e.by, e.at],
        );
      }
      return entries.length;
    });
  }

  async removeKeepers(imageIds: readonly string[]): Promise<number> {
    if (imageIds.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let n = 0;
      for (const id of imageIds) n += (await tx.run('DELETE FROM dedup_keepers WHERE image_id = ?', [id])).changes;
      return n;
    });
  }

  async writeStatus(rows: readonly DedupStatusRow[], now: string): Promise<void> {
    await this.db.insertMany(
      'dedup_status',
      ['image_id', 'status', 'reason', 'component', 'updated_at'],
      rows.map((r) => [r.imageId, r.status, r.reason, r.component, now]),
      'ON CONFLICT (image_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, component = excluded.component, updated_at = excluded.updated_at',
    );
  }

  async statuses(): Promise<Map<string, 'clear' | 'pending' | 'duplicate'>> {
    const rows = await this.db.all<{ imageId: string; status: 'clear' | 'pending' | 'duplicate' }>('SELECT image_id AS "imageId", status FROM dedup_status');
    return new Map(rows.map((r) => [r.imageId, r.status]));
  }
}
