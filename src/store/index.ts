// The database port (async; SQLite and PostgreSQL behind one interface) — what every stage's store is written against.
export type { SqlDatabase, SqlExecutor, SqlValue, SqlRow, SqlDialect, TransactionOptions, MigrationStatus } from './types.ts';
// `SqlMigration`: one name for a stage's migration on either backend (the port's `Migration`).
export type { Migration as SqlMigration } from './types.ts';
export { migrate as migrateDatabase, migrationStatus, migrationSql, refuseNewer, translateDdl } from './migrate.ts';
export { openStore, connectStore, parseStoreLocation, type StoreLocation, type OpenStoreOptions, type ConnectOptions } from './open.ts';
export { openSqliteDatabase, sqliteConnection, startBackgroundCheckpoints, type SqliteOptions } from './sqlite-database.ts';
export type { CheckpointOptions, SyncFile } from './sqlite-durability.ts';
export { isTransientFailure } from './postgres-database.ts';
export { savepointDatabase, withSavepoint } from './savepoint.ts';
