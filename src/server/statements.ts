/**
 * Prepared statements cached per database connection: the server runs the same few queries on
 * every request, and preparing them each time costs more than running them.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../store/index.ts';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;
const caches = new WeakMap<Db, Map<string, Statement>>();

/** `db.prepare(sql)`, prepared once per connection. */
export function prepared(db: Db, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}
