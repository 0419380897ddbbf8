/**
 * The catalog's ingest calls (the block "Ingest" of src/catalog/types.ts), the same on SQLite and
 * PostgreSQL: rows of a source photo oldest first, the root of a content, an insert that a stored
 * (source, source id, class) turns into a no-op, failures kept as history — and a class row whose
 * JSON column is broken named by `classes()`.
 */
import { expect, it } from 'vitest';
import { catalogMigrations, createImageCatalog, type NewImage } from '../../src/catalog/index.ts';
import type { ClassDef } from '../../src/classes/index.ts';
import { RetestError } from '../../src/core/errors.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const classes: ClassDef[] = [
  { index: 0, id: 'n1', names: ['cat'], definition: '', urls: [], similar: ['n2'], hypernyms: [] },
  { index: 1, id: 'n2', names: ['dog'], definition: '', urls: [], similar: [], hypernyms: [] },
];

function image(id: string, classIdx: number, sha: string, at: string, duplicateOf: string | null = null, sourceId = 'photo-1'): NewImage {
  return {
    id,
    role: 'candidate',
    classIdx,
    source: 'flickr',
    sourceId,
    url: `https://example.org/${sourceId}`,
    keyword: null,
    sha256: sha,
    exactDuplicateOf: duplicateOf,
    originalPath: `o/${sha}`,
    displayPath: `d/${sha}`,
    squarePath: `s/${sha}`,
    width: 40,
    height: 30,
    uploadedAt: null,
    takenAt: '2012-01-01T00:00:00Z',
    createdAt: at,
    format: 'jpeg',
    bytes: 1234,
  };
}

onBothBackends('ImageCatalog ingest', catalogMigrations, (fresh) => {
  it("stores rows once per (source, source id, class), lists a photo's rows oldest first and finds a content's root", async () => {
    const catalog = createImageCatalog(await fresh());
    await catalog.addClasses(classes);
    expect(await catalog.ingestedRows('flickr', 'photo-1')).toEqual([]);
    expect(await catalog.contentRoot('aa')).toBeUndefined();
    expect(await catalog.addImage(image('z-first', 0, 'aa', '2026-01-01T00:00:00.000Z'))).toBe(true);
    expect(await catalog.addImage(image('a-linked', 1, 'aa', '2026-01-01T00:00:01.000Z', 'z-first'))).toBe(true);
    expect(await catalog.addImage(image('again', 0, 'aa', '2026-01-01T00:00:02.000Z'))).toBe(false);
    expect(await catalog.addImage(image('copy', 0, 'aa', '2026-01-01T00:00:03.000Z', 'z-first', 'photo-2'))).toBe(true);
    const rows = await catalog.ingestedRows('flickr', 'photo-1');
    expect(rows.map((r) => [r.id, r.classIdx, r.exactDuplicateOf])).toEqual([
      ['z-first', 0, null],
      ['a-linked', 1, 'z-first'],
    ]);
    expect(rows[0]).toEqual({
      id: 'z-first',
      classIdx: 0,
      exactDuplicateOf: null,
      sha256: 'aa',
      originalPath: 'o/aa',
      displayPath: 'd/aa',
      squarePath: 's/aa',
      width: 40,
      height: 30,
      format: 'jpeg',
      bytes: 1234,
    });
    expect(await catalog.contentRoot('aa')).toBe('z-first');
    expect((await catalog.counts()).distinctCandidates).toBe(1);
  });

  it('keeps ingest failures, newest first, open while the source id has no image', async () => {
    const catalog = createImageCatalog(await fresh());
    await catalog.addClasses(classes);
    await catalog.addIngestFailure({
      source: 'flickr',
      sourceId: 'p9',
      classIdx: 0,
      urlOrPath: 'https://example.org/p9',
      reason: 'HTTP 404',
      at: '2026-01-01T00:00:00Z',
    });
    await catalog.addIngestFailure({ source: 'flickr', sourceId: 'photo-1', classIdx: null, urlOrPath: 'x', reason: 'timeout', at: '2026-01-01T00:00:05Z' });
    await catalog.addImage(image('ok', 0, 'bb', '2026-01-01T00:00:06Z'));
    expect((await catalog.ingestFailures(10)).map((f) => [f.sourceId, f.classIdx, f.reason])).toEqual([
      ['photo-1', null, 'timeout'],
      ['p9', 0, 'HTTP 404'],
    ]);
    expect((await catalog.counts()).openFailures).toBe(1);
  });

  it('a classes row whose JSON column is broken is a data error naming the class and the column', async () => {
    const db = await fresh();
    const catalog = createImageCatalog(db);
    await catalog.addClasses(classes);
    await db.run(`UPDATE classes SET "similar" = '["n2"' WHERE idx = 0`);
    const error = await catalog.classes().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetestError);
    expect(error).toMatchObject({ kind: 'data', record: 'class 0 (n1)', field: 'similar' });
  });
});
