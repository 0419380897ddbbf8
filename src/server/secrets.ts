/**
 * Server keys kept in the workspace (`server_secrets`), created at random on first use, and the
 * HMAC helpers built on them. Tokens are base64url; comparisons are constant-time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/index.ts';
import { prepared } from './statements.ts';

/** Named secrets; see src/server/schema.ts. */
export type SecretName = 'image_key' | 'csrf_key' | 'worker_salt' | 'admin_token_sha256';

/** Reads a secret, creating a random 32-byte one (hex) the first time. Safe under concurrent first use. */
export function secret(db: Db, name: SecretName): string {
  const row = prepared(db, 'SELECT value FROM server_secrets WHERE key = ?').get(name) as { value: string } | undefined;
  if (row) return row.value;
  prepared(db, 'INSERT OR IGNORE INTO server_secrets (key, value, updated_at) VALUES (?, ?, ?)').run(name, randomBytes(32).toString('hex'), new Date().toISOString());
  return (prepared(db, 'SELECT value FROM server_secrets WHERE key = ?').get(name) as { value: string }).value;
}

/** Overwrites a secret (used for the admin token's hash at each `retest serve`). */
export function setSecret(db: Db, name: SecretName, value: string): void {
  prepared(db, 'INSERT INTO server_secrets (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(name, value, new Date().toISOString());
}


/** A 22-character base64url HMAC-SHA256 of the parts joined by NUL. */
export function hmacToken(key: string, ...parts: string[]): string {
  return createHmac('sha256', key).update(parts.join('\0')).digest('base64url').slice(0, 22);
}

/** Constant-time string equality (false for different lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
