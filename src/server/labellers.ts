/**
 * Invited labellers: `retest labellers invite NAME…` issues a personal link `/l/<token>`. Only the
 * token's sha256 is stored; the worker hash is the label stage's salted hash of "invite:<name>".
 */
import { sha256Hex, usageError } from '../core/index.ts';
import { hashWorkerId, type LabelStore } from '../label/index.ts';
import { randomToken } from '../core/tokens.ts';
import type { Invitation, Labeller, ServerStore } from './types.ts';

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@+-]{0,63}$/u;

/** The stores the labeller functions use. */
export interface LabellerStores {
  label: LabelStore;
  server: ServerStore;
}

/**
 * Issues a new token for each name. A name already invited gets a new token (the old link stops
 * working) and keeps its worker hash, so its answers stay one worker's.
 */
export async function inviteLabellers(stores: LabellerStores, names: readonly string[], now: Date = new Date()): Promise<Invitation[]> {
  for (const name of names) {
    if (!NAME.test(name))
      throw usageError('a labeller name must be 1–64 letters, digits or . _ @ + - (starting with a letter or digit)', {
        field: 'name',
        received: JSON.stringify(name),
      });
  }
  if (new Set(names).size !== names.length) throw usageError('a labeller name is given twice', { received: names.join(' ') });
  const salt = await stores.label.workerSalt();
  const invitations = names.map((name) => ({ name, token: randomToken(24), workerHash: hashWorkerId(salt, `invite:${name}`) }));
  await stores.server.putLabellers(
    invitations.map((i) => ({ name: i.name, tokenSha256: sha256Hex(i.token), workerHash: i.workerHash })),
    now,
  );
  return invitations;
}

/** The labeller a token belongs to, or null (unknown, malformed or revoked). */
export async function labellerByToken(server: ServerStore, token: string): Promise<Labeller | null> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return null;
  return server.labellerByTokenSha(sha256Hex(token));
}

/** Every invited labeller, by name. */
export function listLabellers(stores: Pick<LabellerStores, 'server'>): Promise<Labeller[]> {
  return stores.server.listLabellers();
}

/**
 * Revokes the links of the named labellers; returns how many were revoked. A name that was never
 * invited is a usage error (nothing is revoked). Their open claims end with the link (the tasks
 * go back to the pool and the claims' image links stop working); their answers stay.
 */
export async function revokeLabellers(stores: LabellerStores, names: readonly string[], now: Date = new Date()): Promise<number> {
  const known = new Set((await stores.server.listLabellers()).map((l) => l.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw usageError(`no labeller named ${unknown.map((n) => JSON.stringify(n)).join(', ')} was invited`, {
      field: 'name',
      expected: known.size > 0 ? `one of: ${[...known].slice(0, 10).join(', ')}${known.size > 10 ? ', …' : ''}` : 'an invited labeller (none yet)',
      received: unknown.join(' '),
      hint: 'run `retest labellers list`',
    });
  }
  const revoked = await stores.server.revokeLabellers(names, now);
  // After the revocation: a claim made in between is refused images (isRevoked) and released here.
  await stores.label.releaseOpenClaims(revoked);
  return revoked.length;
}
