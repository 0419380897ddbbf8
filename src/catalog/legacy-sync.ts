/**
 * The catalog's reads and writes that still run synchronously on the workspace's better-sqlite3
 * handle (`openWorkspace` and `initWorkspace` are synchronous). They go when the workspace opens
 * asynchronously through `ImageCatalog` (issue 12).
 */
import type { ClassDef } from '../classes/index.ts';
import { CLASS_COLUMNS, classesFromRows, classRowValues, type ClassTableRow } from './class-rows.ts';
import type { Db } from '../store/index.ts';

/** Writes the class list of a new workspace in one transaction. */
export function insertClassesSync(db: Db, classes: readonly ClassDef[]): void {
  const insert = db.prepare(`INSERT INTO classes (${CLASS_COLUMNS.join(', ')}) VALUES (${CLASS_COLUMNS.map(() => '?').join(', ')})`);
  db.transaction(() => {
    for (const c of classes) insert.run(...classRowValues(c));
  })();
}

/** The classes by index (as `ImageCatalog.classes`). */
export function readClassesSync(db: Db, file: string): ClassDef[] {
  return classesFromRows(db.prepare(`SELECT ${CLASS_COLUMNS.join(', ')} FROM classes ORDER BY idx`).all() as ClassTableRow[], file);
}
