/**
 * Invited labellers: `retest labellers invite NAME…` issues a personal link `/l/<token>`. Only the
 * token's sha256 is stored; the worker hash is the label stage's salted hash of "invite:<name>".
 */
import { sha256Hex, usageError } from '../core/index.ts';
import { hashWorkerId, workerSalt } from '../label/index.ts';
import type { Db } from '../store/index.ts';
import { randomToken } from '../core/tokens.ts';
import type { Invitation, Labeller } from './types.ts';
import { prepared } from './statements.ts';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@+-]{0,63}$/u;

interface LabellerRow { id: number; name: string; worker_hash: string; created_at: string; revoked_at: string | null }

const toLabeller = (r: LabellerRow): Labeller => ({ id: r.id, name: r.name, workerHash: r.worker_hash, createdAt: r.created_at, revokedAt: r.revoked_at });

/**
 * Issues a new token for each name. A name already invited gets a new token (the old link stops
 * working) and keeps its worker hash, so its answers stay one worker's.
 */
export function inviteLabellers(db: Db, names: readonly string[], now: Date = new Date()): Invitation[] {
  for (const name of names) {
    if (!NAME.test(name)) throw usageError('a labeller name must be 1–64 letters, digits or . _ @ + - (starting with a letter or digit)', { field: 'name', received: JSON.stringify(name) });
  }
  if (new Set(names).size !== names.length) throw usageError('a labeller name is given twice', { received: names.join(' ') });
  const salt = workerSalt(db);
  const upsert = prepared(db, `INSERT INTO server_labellers (name, token_sha256, worker_hash, created_at) VALUES (?, ?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at, revoked_at = NULL`);
  return db.transaction(() => names.map((name) => {
    const token = randomToken(24);
    const workerHash = hashWorkerId(salt, `invite:${name}`);
    upsert.run(name, sha256Hex(token), workerHash, now.toISOString());
    return { name, token, workerHash };
  }))();
}

/** The labeller a token belongs to, or null (unknown, malformed or revoked). */
export function labellerByToken(db: Db, token: string): Labeller | null {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return null;
  const row = prepared(db, 'SELECT id, name, worker_hash, created_at, revoked_at FROM server_labellers WHERE token_sha256 = ? AND revoked_at IS NULL').get(sha256Hex(token)) as LabellerRow | undefined;
  return row ? toLabeller(row) : null;
}

/** Every invited labeller, by name. */
export function listLabellers(db: Db): Labeller[] {
  return (prepared(db, 'SELECT id, name, worker_hash, created_at, revoked_at FROM server_labellers ORDER BY name').all() as LabellerRow[]).map(toLabeller);
}

/**
 * Revokes the links of the named labellers; returns how many were revoked. A name that was never
 * invited is a usage error (nothing is revoked). Their open claims end with the link (the tasks
 * go back to the pool and the claims' image links stop working); their answers stay.
 */
export function revokeLabellers(db: Db, names: readonly string[], now: Date = new Date()): number {
  const known = new Set(listLabellers(db).map((l) => l.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw usageError(`no labeller named ${unknown.map((n) => JSON.stringify(n)).join(', ')} was invited`, {
      field: 'name',
      expected: known.size > 0 ? `one of: ${[...known].slice(0, 10).join(', ')}${known.size > 10 ? ', …' : ''}` : 'an invited labeller (none yet)',
      received: unknown.join(' '),
      hint: 'run `retest labellers list`',
    });
  }
  const stmt = prepared(db, 'UPDATE server_labellers SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL');
  const release = prepared(db, "UPDATE assignments SET status = 'expired' WHERE status = 'open' AND worker_hash = (SELECT worker_hash FROM server_labellers WHERE name = ?)");
  return db.transaction(() => names.reduce((n, name) => {
    const changed = stmt.run(now.toISOString(), name).changes;
    if (changed > 0) release.run(name);
    return n + changed;
  }, 0))();
}
