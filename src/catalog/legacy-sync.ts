/**
 * The catalog's reads and writes that still run synchronously on the workspace's better-sqlite3
 * handle (`openWorkspace` and `initWorkspace` are synchronous). They go when the workspace opens
 * asynchronously through `ImageCatalog` (issue 12).
 */
import type { ClassDef } from '../classes/index.ts';
import { dataError } from '../core/index.ts';
import type { Db } from '../store/index.ts';

interface ClassDbRow {
  idx: number;
  id: string;
  names: string;
  definition: string;
  urls: string;
  similar: string;
  hypernyms: string;
  hypernym_names: string;
}

/** Writes the class list of a new workspace in one transaction. */
export function insertClassesSync(db: Db, classes: readonly ClassDef[]): void {
  const insert = db.prepare('INSERT INTO classes (idx, id, names, definition, urls, similar, hypernyms, hypernym_names) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const c of classes)
      insert.run(
        c.index,
        c.id,
        JSON.stringify(c.names),
        c.definition,
        JSON.stringify(c.urls),
        JSON.stringify(c.similar),
        JSON.stringify(c.hypernyms),
        JSON.stringify(c.hypernymNames ?? []),
      );
  })();
}

/** The classes by index (as `ImageCatalog.classes`). */
export function readClassesSync(db: Db, file: string): ClassDef[] {
  const rows = db.prepare('SELECT idx, id, names, definition, urls, similar, hypernyms, hypernym_names FROM classes ORDER BY idx').all() as ClassDbRow[];
  return rows.map((r, i) => {
    if (r.idx !== i)
      throw dataError('the classes table has a gap in its indices', { file, record: i, field: 'idx', expected: String(i), received: String(r.idx) });
    return {
      index: r.idx,
      id: r.id,
      names: JSON.parse(r.names),
      definition: r.definition,
      urls: JSON.parse(r.urls),
      similar: JSON.parse(r.similar),
      hypernyms: JSON.parse(r.hypernyms),
      hypernymNames: JSON.parse(r.hypernym_names),
    };
  });
}
