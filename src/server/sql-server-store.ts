/**
 * The labelling server's store (`ServerStore`, ./types.ts) in portable SQL over the database port,
 * on SQLite and PostgreSQL alike: invited labellers, secrets, MTurk mode and the MTurk assignments
 * seen. Tables: ./schema.ts.
 */
import { randomBytes } from 'node:crypto';
import { usageError } from '../core/index.ts';
import type { SqlDatabase, SqlRow } from '../store/index.ts';
import type { Labeller, MturkBatchRow, MturkLink, SecretName, ServerStore } from './types.ts';

interface LabellerRow extends SqlRow {
  id: number;
  name: string;
  worker_hash: string;
  created_at: string;
  revoked_at: string | null;
}

const LABELLER = 'SELECT id, name, worker_hash, created_at, revoked_at FROM server_labellers';
const toLabeller = (r: LabellerRow): Labeller => ({ id: r.id, name: r.name, workerHash: r.worker_hash, createdAt: r.created_at, revokedAt: r.revoked_at });
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The server store on a migrated workspace database (the database stays open: the workspace owns it). */
export function createServerStore(db: SqlDatabase): ServerStore {
  return new SqlServerStore(db);
}

class SqlServerStore implements ServerStore {
  constructor(private readonly db: SqlDatabase) {}

  get backend() {
    return this.db.dialect;
  }

  get location() {
    return this.db.location;
  }

  async ping(): Promise<boolean> {
    return (await this.db.get<{ ok: number }>('SELECT 1 AS ok'))?.ok === 1;
  }

  async secret(name: SecretName): Promise<string> {
    const read = async () => (await this.db.get<{ value: string }>('SELECT value FROM server_secrets WHERE key = ?', [name]))?.value;
    const found = await read();
    if (found !== undefined) return found;
    await this.db.run('INSERT INTO server_secrets (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', [
      name,
      randomBytes(32).toString('hex'),
      new Date().toISOString(),
    ]);
    return (await read())!;
  }

  async setSecret(name: SecretName, value: string, now: Date = new Date()): Promise<void> {
    await this.db.run(
      'INSERT INTO server_secrets (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [name, value, now.toISOString()],
    );
  }

  async putLabellers(rows: readonly { name: string; tokenSha256: string; workerHash: string }[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const r of rows) {
        await tx.run(
          `INSERT INTO server_labellers (name, token_sha256, worker_hash, created_at) VALUES (?, ?, ?, ?)
                      ON CONFLICT (name) DO UPDATE SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at, revoked_at = NULL`,
          [r.name, r.tokenSha256, r.workerHash, now.toISOString()],
        );
      }
    });
  }

  async labellerByTokenSha(tokenSha256: string): Promise<Labeller | null> {
    const row = await this.db.get<LabellerRow>(`${LABELLER} WHERE token_sha256 = ? AND revoked_at IS NULL`, [tokenSha256]);
    return row ? toLabeller(row) : null;
  }

  async isRevoked(workerHash: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM server_labellers WHERE worker_hash = ? AND revoked_at IS NOT NULL', [workerHash])) !== undefined;
  }

  async listLabellers(): Promise<Labeller[]> {
    return (await this.db.all<LabellerRow>(LABELLER)).map(toLabeller).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async revokeLabellers(names: readonly string[], now: Date): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const revoked: string[] = [];
      for (const name of names) {
        const row = await tx.get<{ worker_hash: string }>(
          'UPDATE server_labellers SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING worker_hash',
          [now.toISOString(), name],
        );
        if (row) revoked.push(row.worker_hash);
      }
      return revoked;
    });
  }

  async mturkLink(mturkAssignmentId: string): Promise<MturkLink | undefined> {
    const r = await this.db.get<{
      mturk_assignment_id: string;
      assignment_id: string;
      hit_id: string;
      worker_hash: string;
      turk_submit_to: string;
      created_at: string;
    }>('SELECT mturk_assignment_id, assignment_id, hit_id, worker_hash, turk_submit_to, created_at FROM server_mturk WHERE mturk_assignment_id = ?', [
      mturkAssignmentId,
    ]);
    return r
      ? {
          mturkAssignmentId: r.mturk_assignment_id,
          assignmentId: r.assignment_id,
          hitId: r.hit_id,
          workerHash: r.worker_hash,
          turkSubmitTo: r.turk_submit_to,
          createdAt: r.created_at,
        }
      : undefined;
  }

  async linkMturk(link: MturkLink): Promise<void> {
    await this.db.run(
      `INSERT INTO server_mturk (mturk_assignment_id, assignment_id, hit_id, worker_hash, turk_submit_to, created_at) VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (mturk_assignment_id) DO NOTHING`,
      [link.mturkAssignmentId, link.assignmentId, link.hitId, link.workerHash, link.turkSubmitTo, link.createdAt],
    );
  }

  async enableMturk(batch: string, hitIds: readonly string[], now: Date): Promise<{ added: number; hits: number }> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO server_mturk_batches (batch, enabled_at) VALUES (?, ?) ON CONFLICT (batch) DO UPDATE SET enabled_at = excluded.enabled_at, disabled_at = NULL',
        [batch, now.toISOString()],
      );
      let added = 0;
      for (const id of new Set(hitIds)) {
        const other = await tx.get<{ batch: string }>('SELECT batch FROM server_mturk_hits WHERE hit_id = ?', [id]);
        if (other && other.batch !== batch)
          throw usageError(`HIT ${id} is already recorded for batch "${other.batch}"`, { field: '--hits', received: id, hint: 'a HIT belongs to one batch' });
        added += (
          await tx.run('INSERT INTO server_mturk_hits (hit_id, batch, published_at) VALUES (?, ?, ?) ON CONFLICT (hit_id) DO NOTHING', [
            id,
            batch,
            now.toISOString(),
          ])
        ).changes;
      }
      const hits = (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM server_mturk_hits WHERE batch = ?', [batch]))!.n;
      return { added, hits };
    });
  }

  async disableMturk(batch: string | undefined, now: Date): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows =
        batch === undefined
          ? await tx.all<{ batch: string }>('SELECT batch FROM server_mturk_batches WHERE disabled_at IS NULL')
          : await tx.all<{ batch: string }>('SELECT batch FROM server_mturk_batches WHERE disabled_at IS NULL AND batch = ?', [batch]);
      for (const r of rows) await tx.run('UPDATE server_mturk_batches SET disabled_at = ? WHERE batch = ?', [now.toISOString(), r.batch]);
      return rows.map((r) => r.batch).sort(byCodePoint);
    });
  }

  async mturkBatches(): Promise<MturkBatchRow[]> {
    const rows = await this.db.all<{ batch: string; enabled_at: string; disabled_at: string | null; hits: number }>(
      'SELECT b.batch, b.enabled_at, b.disabled_at, (SELECT COUNT(*) FROM server_mturk_hits h WHERE h.batch = b.batch) AS hits FROM server_mturk_batches b',
    );
    return rows
      .map((r) => ({ batch: r.batch, enabledAt: r.enabled_at, disabledAt: r.disabled_at, hits: r.hits }))
      .sort((a, b) => byCodePoint(a.batch, b.batch));
  }

  async servedBatch(hitId: string): Promise<string | null> {
    const row = await this.db.get<{ batch: string }>(
      'SELECT h.batch FROM server_mturk_hits h JOIN server_mturk_batches b ON b.batch = h.batch WHERE h.hit_id = ? AND b.disabled_at IS NULL',
      [hitId],
    );
    return row?.batch ?? null;
  }

  async mturkOn(batch: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM server_mturk_batches WHERE batch = ? AND disabled_at IS NULL', [batch])) !== undefined;
  }

  async mturkModeOn(): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM server_mturk_batches WHERE disabled_at IS NULL LIMIT 1')) !== undefined;
  }
}
