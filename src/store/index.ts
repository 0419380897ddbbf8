export { openDatabase, migrate, type Db, type Migration } from './sqlite.ts';
export { resultsMigrations } from './schema.ts';
export * from './results.ts';
