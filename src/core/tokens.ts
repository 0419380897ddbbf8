/** Unguessable ids and tokens (CSPRNG, not seeded: they are secrets, not part of a reproducible result). */
import { randomBytes } from 'node:crypto';

/** An opaque random token (128 bits, base64url): image tokens, assignment ids. Unguessable, so not seeded. */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** An opaque random hex id (task ids). */
export function randomHexId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

/** `count` opaque random tokens (128 bits each) from one call to the CSPRNG (much faster than one call per token). */
export function randomTokens(count: number, bytes = 16): string[] {
  const pool = randomBytes(count * bytes);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = pool.subarray(i * bytes, (i + 1) * bytes).toString('base64url');
  return out;
}
