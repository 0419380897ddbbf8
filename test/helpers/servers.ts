/**
 * For tests that need a real PostgreSQL or Redis server: the URL of the throwaway instance that
 * `test/helpers/services.ts` (vitest global setup) started, and `describe` variants that skip with
 * a printed reason when it could not start one.
 */
import { describe, inject, it } from 'vitest';

/** `postgres://…` of the test server's empty `retest_test` database ('' when there is none). */
export function postgresUrl(): string {
  return inject('postgresUrl');
}

/** `redis://…` of the test Redis server ('' when there is none). */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** `describe` that runs only when the test PostgreSQL server is up; otherwise skips, printing why. */
export function describeWithPostgres(name: string, fn: () => void): void {
  describeWhen(postgresUrl() !== '', inject('postgresUnavailable'), name, fn);
}

/** `describe` that runs only when the test Redis server is up; otherwise skips, printing why. */
export function describeWithRedis(name: string, fn: () => void): void {
  describeWhen(redisUrl() !== '', inject('redisUnavailable'), name, fn);
}

function describeWhen(available: boolean, why: string, name: string, fn: () => void): void {
  if (available) {
    describe(name, fn);
    return;
  }
  console.warn(`[skip] ${name}: ${why}`);
  describe.skip(name, () => {
    it(why, () => {});
  });
}
