// The database port (async; SQLite and PostgreSQL behind one interface) — what every stage's store is written against.
export type { SqlDatabase, SqlExecutor, SqlValue, SqlRow, SqlDialect, TransactionOptions, MigrationStatus } from './types.ts';
// Named `SqlMigration` here while the old synchronous `Migration` below still exists (issue 12: the lead renames it when sqlite.ts goes).
export type { Migration as SqlMigration } from './types.ts';
export { migrate as migrateDatabase, migrationStatus, migrationSql, refuseNewer, translateDdl } from './migrate.ts';
export { openStore, connectStore, parseStoreLocation, type StoreLocation, type OpenStoreOptions, type ConnectOptions } from './open.ts';
export { openSqliteDatabase, sqliteConnection, startBackgroundCheckpoints, type SqliteOptions } from './sqlite-database.ts';
export type { CheckpointOptions, SyncFile } from './sqlite-durability.ts';
export { isTransientFailure } from './postgres-database.ts';
export { savepointDatabase, withSavepoint } from './savepoint.ts';
// The old synchronous better-sqlite3 adapter, still used by the workspace stages until they move to the port.
export { openDatabase, migrate, prepareConnection, type Db, type Migration } from './sqlite.ts';
