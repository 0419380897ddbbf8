/**
 * HMAC helpers built on the server keys (`ServerStore.secret`: `server_secrets`, created at random
 * on first use). Tokens are base64url; comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type { SecretName } from './types.ts';

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
