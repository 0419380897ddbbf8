/** The throwaway servers of the test setup answer: a query on PostgreSQL, a command on Redis. */
import { expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describeWithPostgres, describeWithRedis, postgresUrl, redisUrl } from '../helpers/servers.ts';

describeWithPostgres('test PostgreSQL server', () => {
  it('answers a query on the empty retest_test database', async () => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    const { rows } = await client.query<{ db: string; tables: string }>(
      "SELECT current_database() AS db, (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public') AS tables",
    );
    await client.end();
    expect(rows[0]).toEqual({ db: 'retest_test', tables: '0' });
  });
});

describeWithRedis('test Redis server', () => {
  it('stores and returns a value, with AOF persistence on', async () => {
    const redis = new Redis(redisUrl());
    await redis.set('retest:test', '42');
    expect(await redis.get('retest:test')).toBe('42');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await redis.del('retest:test');
    redis.disconnect();
  });
});
