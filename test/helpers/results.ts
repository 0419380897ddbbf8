/**
 * Opening results stores in tests the way the CLI does (src/app), and reading a SQLite store's
 * tables directly for assertions on what is stored — the store interface has no handle to query.
 */
import { openSqliteDatabase, type SqlRow, type SqlValue } from '../../src/store/index.ts';

export { openResultsStore } from '../../src/app/results.ts';

/** The first row of `sql` on the SQLite file at `path` (opened beside any store open on it). */
export async function queryRow<Row extends SqlRow = SqlRow>(path: string, sql: string, params: SqlValue[] = []): Promise<Row | undefined> {
  const db = openSqliteDatabase(path);
  try {
    return await db.get<Row>(sql, params);
  } finally {
    await db.close();
  }
}

/** `SELECT COUNT(*) AS n FROM …` on the SQLite file at `path`. */
export async function countRows(path: string, from: string): Promise<number> {
  return ((await queryRow<{ n: number }>(path, `SELECT COUNT(*) AS n FROM ${from}`)) as { n: number }).n;
}
