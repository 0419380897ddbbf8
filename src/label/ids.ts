import { randomBytes } from 'node:crypto';

/** An opaque random token (128 bits, base64url): image tokens, assignment ids. Unguessable, so not seeded. */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** An opaque random hex id (task ids). */
export function randomHexId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
