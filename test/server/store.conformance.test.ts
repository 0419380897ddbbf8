/**
 * The server's own store (`ServerStore`, src/server/types.ts), the same on SQLite and on
 * PostgreSQL: invited labellers (numbered by the database: on PostgreSQL an identity column),
 * re-invites, revocation, and the shared keys — created once even when several callers (on
 * PostgreSQL: several pooled connections) ask for them at once.
 */
import { expect, it } from 'vitest';
import { createServerStore } from '../../src/server/sql-server-store.ts';
import { workspaceMigrations } from '../../src/app/migrations.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const NOW = new Date('2026-01-01T10:00:00.000Z');

onBothBackends('the server store', workspaceMigrations(), (fresh) => {
  it('stores invited labellers with database-numbered ids, re-invites and revokes them', async () => {
    const server = createServerStore(await fresh());
    await server.putLabellers(
      [
        { name: 'ann', tokenSha256: 'a1', workerHash: 'wa' },
        { name: 'bob', tokenSha256: 'b1', workerHash: 'wb' },
      ],
      NOW,
    );
    await server.putLabellers([{ name: 'ann', tokenSha256: 'a2', workerHash: 'wa' }], NOW);
    const list = await server.listLabellers();
    expect(list.map((l) => [l.name, l.workerHash, l.revokedAt])).toEqual([
      ['ann', 'wa', null],
      ['bob', 'wb', null],
    ]);
    expect(new Set(list.map((l) => l.id)).size).toBe(2);
    expect(await server.labellerByTokenSha('a1')).toBeNull();
    expect((await server.labellerByTokenSha('a2'))?.name).toBe('ann');
    expect(await server.revokeLabellers(['bob', 'nobody'], NOW)).toEqual(['wb']);
    expect([await server.isRevoked('wb'), await server.isRevoked('wa')]).toEqual([true, false]);
    expect(await server.labellerByTokenSha('b1')).toBeNull();
  });

  it('creates each key once when several callers ask for it at once (on PostgreSQL, on several connections)', async () => {
    const a = createServerStore(await fresh());
    const keys = await Promise.all([a.secret('image_key'), a.secret('image_key'), a.secret('csrf_key')]);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(await a.secret('image_key')).toBe(keys[0]);
  });
});
