import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLabelStore, hashWorkerId, labelMigrations } from '../../src/label/index.ts';
import { migrateDatabase, openSqliteDatabase } from '../../src/store/index.ts';

describe('hashWorkerId', () => {
  it("is a salted sha256 and the store's salt is stable", async () => {
    expect(hashWorkerId('salt', 'A1B2')).toBe(createHash('sha256').update('salt\nA1B2').digest('hex'));
    expect(hashWorkerId('salt', ' A1B2 ')).toBe(hashWorkerId('salt', 'A1B2'));
    expect(hashWorkerId('salt', 'A1B2')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashWorkerId('salt', 'A1B2')).not.toBe(hashWorkerId('pepper', 'A1B2'));
    const sql = openSqliteDatabase(':memory:');
    await migrateDatabase(sql, labelMigrations);
    const label = createLabelStore(sql);
    const salt = await label.workerSalt();
    expect(salt.length).toBeGreaterThan(0);
    expect(await label.workerSalt()).toBe(salt);
    await sql.close();
  });
});
