/**
 * The image catalog (`ImageCatalog`, src/catalog/types.ts), the same on SQLite and on PostgreSQL:
 * classes written and decoded once, candidates ordered by class then id (whatever the database's
 * collation), images by id, unknown ids, reference ids of a class.
 */
import { expect, it } from 'vitest';
import { catalogMigrations, createImageCatalog } from '../../src/catalog/index.ts';
import type { ClassDef } from '../../src/classes/index.ts';
import type { SqlDatabase } from '../../src/store/index.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const classes: ClassDef[] = [
  {
    index: 0,
    id: 'n1',
    names: ['cat', 'moggy'],
    definition: 'a small feline',
    urls: ['https://example.org/cat'],
    similar: ['n2'],
    hypernyms: ['n0'],
    hypernymNames: ['feline'],
  },
  { index: 1, id: 'n2', names: ['dog'], definition: '', urls: [], similar: [], hypernyms: [] },
];

async function addImage(db: SqlDatabase, id: string, role: 'candidate' | 'reference', classIdx: number, duplicateOf: string | null = null): Promise<void> {
  await db.run(
    `INSERT INTO images (id, role, class_idx, source, source_id, url, keyword, sha256, exact_duplicate_of, original_path, display_path, square_path, width, height, created_at)
     VALUES (?, ?, ?, 'test', ?, ?, 'kw', ?, ?, ?, ?, ?, 32, 24, '2026-01-01T00:00:00Z')`,
    [id, role, classIdx, `src-${id}`, role === 'candidate' ? `https://example.org/${id}` : null, `sha-${id}`, duplicateOf, `o/${id}`, `d/${id}`, `s/${id}`],
  );
}

onBothBackends('ImageCatalog', catalogMigrations, (fresh) => {
  it('writes the classes once and reads them back decoded, in index order', async () => {
    const catalog = createImageCatalog(await fresh());
    await catalog.addClasses(classes);
    expect(await catalog.classes()).toEqual([classes[0], { ...classes[1], hypernymNames: [] }]);
    await expect(catalog.addClasses([classes[0]!])).rejects.toThrow();
  });

  it('reads candidates by class then id, images by id, unknown ids and reference ids', async () => {
    const db = await fresh();
    const catalog = createImageCatalog(db);
    await catalog.addClasses(classes);
    // Ids whose order differs between a locale collation and code units.
    for (const [id, role, c, dup] of [
      ['b-2', 'candidate', 1, null],
      ['B1', 'candidate', 0, null],
      ['a_1', 'candidate', 0, 'B1'],
      ['r2', 'reference', 0, null],
      ['r1', 'reference', 0, null],
      ['r3', 'reference', 1, null],
    ] as const) {
      await addImage(db, id, role, c, dup);
    }
    expect(await catalog.candidates()).toEqual([
      { imageId: 'B1', classIdx: 0, exactDuplicateOf: null },
      { imageId: 'a_1', classIdx: 0, exactDuplicateOf: 'B1' },
      { imageId: 'b-2', classIdx: 1, exactDuplicateOf: null },
    ]);
    expect(await catalog.image('b-2')).toEqual({
      id: 'b-2',
      role: 'candidate',
      classIdx: 1,
      source: 'test',
      sourceId: 'src-b-2',
      url: 'https://example.org/b-2',
      keyword: 'kw',
      sha256: 'sha-b-2',
      exactDuplicateOf: null,
      originalPath: 'o/b-2',
      displayPath: 'd/b-2',
      squarePath: 's/b-2',
      width: 32,
      height: 24,
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(await catalog.image('nope')).toBeUndefined();
    expect((await catalog.images(['r1', 'B1', 'nope', 'r1'])).map((im) => im.id)).toEqual(['B1', 'r1']);
    expect(await catalog.missing(['r1', 'x', 'B1', 'y'])).toEqual(['x', 'y']);
    expect(await catalog.referenceIds(0, 10)).toEqual(['r1', 'r2']);
    expect(await catalog.referenceIds(0, 1)).toEqual(['r1']);
    expect(await catalog.referenceIds(1, 10)).toEqual(['r3']);
  });

  it('reads many ids in several queries', async () => {
    const db = await fresh();
    const catalog = createImageCatalog(db);
    await catalog.addClasses(classes);
    const ids = Array.from({ length: 1203 }, (_, i) => `c${String(i).padStart(4, '0')}`);
    await db.transaction(async (tx) => {
      await tx.insertMany(
        'images',
        ['id', 'role', 'class_idx', 'source', 'source_id', 'sha256', 'original_path', 'display_path', 'square_path', 'width', 'height', 'created_at'],
        ids.map((id) => [id, 'candidate', 0, 't', id, 'x', 'o', 'd', 's', 1, 1, 'now']),
      );
    });
    expect((await catalog.images(ids)).map((im) => im.id)).toEqual(ids);
    expect(await catalog.missing([...ids, 'extra'])).toEqual(['extra']);
  });

  it('counts images per role and class, distinct candidates and open failures; lists failures newest first', async () => {
    const db = await fresh();
    const catalog = createImageCatalog(db);
    await catalog.addClasses(classes);
    for (const [id, role, c, dup] of [
      ['a', 'candidate', 0, null],
      ['b', 'candidate', 0, 'a'],
      ['c', 'candidate', 1, null],
      ['r', 'reference', 1, null],
    ] as const)
      await addImage(db, id, role, c, dup);
    const fail = (sourceId: string, at: string) =>
      db.run("INSERT INTO ingest_failures (source, source_id, class_idx, url_or_path, reason, at) VALUES ('test', ?, 0, ?, 'HTTP 404', ?)", [
        sourceId,
        `https://example.org/${sourceId}`,
        at,
      ]);
    await fail('src-a', 't1'); // later ingested: not open
    await fail('gone', 't2');
    await fail('gone', 't3');
    expect(await catalog.counts()).toEqual({
      byRoleAndClass: [
        { role: 'candidate', classIdx: 0, n: 2 },
        { role: 'candidate', classIdx: 1, n: 1 },
        { role: 'reference', classIdx: 1, n: 1 },
      ],
      distinctCandidates: 2,
      openFailures: 1,
    });
    expect((await catalog.ingestFailures(2)).map((f) => [f.sourceId, f.at])).toEqual([
      ['gone', 't3'],
      ['gone', 't2'],
    ]);
    expect((await catalog.ingestFailures(10))[2]).toEqual({
      source: 'test',
      sourceId: 'src-a',
      classIdx: 0,
      urlOrPath: 'https://example.org/src-a',
      reason: 'HTTP 404',
      at: 't1',
    });
    expect((await catalog.list()).map((im) => im.id)).toEqual(['a', 'b', 'c', 'r']);
    expect([await catalog.hasPath('s/a'), await catalog.hasPath('d/r'), await catalog.hasPath('o/a')]).toEqual([true, true, false]);
  });

  it('refuses a class table with a gap, naming the row', async () => {
    const db = await fresh();
    const catalog = createImageCatalog(db);
    await catalog.addClasses([classes[0]!, { ...classes[1]!, index: 2 }]);
    await expect(catalog.classes()).rejects.toMatchObject({ record: 1, field: 'idx', expected: '1', received: '2' });
  });
});
