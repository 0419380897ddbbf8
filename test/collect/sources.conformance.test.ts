/**
 * One conformance suite for every CandidateSource: what the ingest step and later stages rely on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FlickrClient,
  arrayCandidateSource,
  flickrSource,
  folderSource,
  ingest,
  urlListSource,
  type Candidate,
  type CandidateSource,
  type SourceFailure,
} from '../../src/collect/index.ts';
import { writeNpy, npyArray } from '../../src/formats/index.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { FISH, fishWorkspace, jpeg, tmp, twoTone, RED, BLUE } from './fixtures.ts';
import { GOOD_KEY, photosFor, startFakeFlickr, type FakeFlickr } from './fake-flickr.ts';

let flickr: FakeFlickr;
const dir = tmp();
beforeAll(async () => {
  flickr = await startFakeFlickr([...photosFor('tench', 6, '2012-08-01', 100), ...photosFor('goldfish', 5, '2012-09-01', 200)]);
  for (const p of [100, 101, 102, 103, 104, 105, 200, 201, 202, 203, 204]) flickr.images.set(`${p}_o.jpg`, await jpeg(60, 40, p));
  mkdirSync(join(dir, 'folder', 'tench'), { recursive: true });
  mkdirSync(join(dir, 'folder', '1'), { recursive: true });
  writeFileSync(join(dir, 'folder', 'tench', 'a.jpg'), await jpeg(50, 30, 1));
  writeFileSync(join(dir, 'folder', 'tench', 'b.jpg'), await jpeg(50, 30, 2));
  writeFileSync(join(dir, 'folder', '1', 'c.jpg'), await jpeg(50, 30, 3));
  writeFileSync(join(dir, 'folder', '1', 'notes.txt'), 'ignored');
  writeFileSync(
    join(dir, 'list.csv'),
    `url,class,keyword,uploaded_at\n${join(dir, 'folder', 'tench', 'a.jpg')},tench,tench,2013-01-01T00:00:00Z\n${flickr.imageBase}200_o.jpg,goldfish,goldfish,\n`,
  );
  const n = 4;
  const pixels = new Uint8Array(n * 8 * 6 * 3);
  for (let i = 0; i < n; i++) pixels.set(twoTone(6, 8, RED, BLUE, i).data, i * 8 * 6 * 3);
  writeNpy(join(dir, 'x.npy'), npyArray('|u1', [n, 8, 6, 3], pixels));
  writeNpy(join(dir, 'y.npy'), npyArray('<i8', [n], BigInt64Array.from([0n, 1n, 1n, 0n])));
  writeFileSync(join(dir, 'k.json'), JSON.stringify(['tench', 'goldfish', 'carp', '']));
});
afterAll(() => flickr.close());

const factories: Record<string, () => CandidateSource> = {
  flickr: () =>
    flickrSource({ client: new FlickrClient({ apiKey: GOOD_KEY, baseUrl: flickr.restUrl, requestsPerSecond: 1000 }), classes: FISH, perClass: 4, perPage: 3 }),
  folder: () => folderSource({ root: join(dir, 'folder'), classes: FISH }),
  urls: () => urlListSource({ file: join(dir, 'list.csv'), classes: FISH }),
  arrays: () => arrayCandidateSource({ file: join(dir, 'x.npy'), labelsFile: join(dir, 'y.npy'), keywordsFile: join(dir, 'k.json'), classes: FISH }),
};

async function drain(source: CandidateSource): Promise<{ items: Candidate[]; failures: SourceFailure[] }> {
  const items: Candidate[] = [];
  const failures: SourceFailure[] = [];
  for await (const c of source.candidates({ onFailure: (f) => failures.push(f) })) items.push(c);
  return { items, failures };
}

const strip = (c: Candidate) => ({ ...c, pixels: c.pixels ? Buffer.from(c.pixels.data).toString('base64') : undefined });

describe.each(Object.keys(factories))('CandidateSource conformance: %s', (name) => {
  const make = factories[name] as () => CandidateSource;

  it('yields well-formed candidates: one content kind, source, id, class in range', async () => {
    const { items } = await drain(make());
    expect(items.length).toBeGreaterThan(0);
    for (const c of items) {
      expect([c.url, c.path, c.pixels].filter((x) => x !== undefined)).toHaveLength(1);
      expect(typeof c.source).toBe('string');
      expect(c.source.length).toBeGreaterThan(0);
      expect(typeof c.sourceId).toBe('string');
      expect(c.sourceId.length).toBeGreaterThan(0);
      expect(Number.isInteger(c.classIdx) && c.classIdx >= 0 && c.classIdx < FISH.length).toBe(true);
      if (c.url !== undefined) expect(c.url).toMatch(/^https?:\/\//);
      if (c.pixels) expect(c.pixels.data.length).toBe(c.pixels.width * c.pixels.height * 3);
      if (c.uploadedAt !== undefined) expect(Number.isNaN(Date.parse(c.uploadedAt))).toBe(false);
      if (c.keyword !== undefined) expect(c.keyword.length).toBeGreaterThan(0);
    }
  });

  it('yields no more than it expects and never the same (source, id, class) twice', async () => {
    const source = make();
    const { items } = await drain(source);
    if (source.expected !== undefined) expect(items.length).toBeLessThanOrEqual(source.expected);
    const keys = items.map((c) => `${c.source}\u0000${c.sourceId}\u0000${c.classIdx}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is deterministic: two instances yield the same sequence', async () => {
    const a = (await drain(make())).items.map(strip);
    const b = (await drain(make())).items.map(strip);
    expect(b).toEqual(a);
  });

  it('ingests completely, and resumes with nothing left to do', async () => {
    const w = await fishWorkspace();
    try {
      const first = await ingest(w, make(), { concurrency: 2 });
      expect(first.failed).toBe(0);
      expect(first.ingested).toBe(first.seen);
      const second = await ingest(w, make(), { concurrency: 2 });
      expect(second).toMatchObject({ ingested: 0, skipped: first.seen, failed: 0 });
    } finally {
      await closeWorkspace(w);
    }
  });
});

describe('source specifics', () => {
  it('folder: sub-folders name classes by id or index; non-images are ignored', async () => {
    const { items } = await drain(factories.folder!());
    expect(items.map((c) => [c.classIdx, c.path?.slice(dir.length)])).toEqual([
      [1, '/folder/1/c.jpg'],
      [0, '/folder/tench/a.jpg'],
      [0, '/folder/tench/b.jpg'],
    ]);
  });

  it('folder: an unknown class folder is a usage error before anything is read', () => {
    const root = tmp();
    mkdirSync(join(root, 'unicorn'));
    writeFileSync(join(root, 'unicorn', 'u.jpg'), 'x');
    expect(() => folderSource({ root, classes: FISH })).toThrow(/sub-folders that name no class/);
  });

  it('urls: keeps keyword and dates, and reads local paths too', async () => {
    const { items } = await drain(factories.urls!());
    expect(items[0]).toEqual({
      path: join(dir, 'folder', 'tench', 'a.jpg'),
      source: 'urls',
      sourceId: join(dir, 'folder', 'tench', 'a.jpg'),
      classIdx: 0,
      keyword: 'tench',
      uploadedAt: '2013-01-01T00:00:00Z',
    });
    expect(items[1]).toEqual({
      url: `${flickr.imageBase}200_o.jpg`,
      source: 'urls',
      sourceId: `${flickr.imageBase}200_o.jpg`,
      classIdx: 1,
      keyword: 'goldfish',
    });
  });

  it('urls: reports every bad row at once, with line numbers, before downloading', () => {
    const file = join(tmp(), 'bad.csv');
    writeFileSync(file, 'url,class\nhttp://a/x.jpg,tench\n,tench\nhttp://a/y.jpg,shark\nhttp://a/z.jpg,\nftp://a/w.jpg,tench\n');
    let error: Error & { received?: string } = new Error('none');
    try {
      urlListSource({ file, classes: FISH });
    } catch (e) {
      error = e as Error & { received?: string };
    }
    expect(error.message).toBe('4 bad rows in the URL list');
    expect(error.received).toBe(
      'line 3: url: empty url; line 4: class "shark" is not a class of the workspace; line 5: no class (add a class column or give --class); line 6: url: only http(s) URLs and local paths are supported, not "ftp://a/w.jpg"',
    );
  });

  it('urls: a list without a url column is refused', () => {
    const file = join(tmp(), 'nourl.csv');
    writeFileSync(file, 'link,class\nhttp://a/x.jpg,tench\n');
    expect(() => urlListSource({ file, classes: FISH })).toThrow(/no url column/);
  });

  it('arrays: labels, keywords (empty = none), ids by file and record', async () => {
    const { items } = await drain(factories.arrays!());
    expect(items.map((c) => [c.sourceId, c.classIdx, c.keyword])).toEqual([
      ['x.npy#0', 0, 'tench'],
      ['x.npy#1', 1, 'goldfish'],
      ['x.npy#2', 1, 'carp'],
      ['x.npy#3', 0, undefined],
    ]);
    expect(items[2]?.pixels).toMatchObject({ width: 6, height: 8 });
  });

  it('arrays: wrong label count, out-of-range labels and non-image arrays are data errors', () => {
    writeNpy(join(dir, 'short.npy'), npyArray('<i4', [2], Int32Array.from([0, 1])));
    writeNpy(join(dir, 'bad.npy'), npyArray('<i4', [4], Int32Array.from([0, 1, 5, 0])));
    writeNpy(join(dir, 'flat.npy'), npyArray('<f4', [4, 3], new Float32Array(12)));
    expect(() => arrayCandidateSource({ file: join(dir, 'x.npy'), labelsFile: join(dir, 'short.npy'), classes: FISH })).toThrow(
      /labels do not match the images/,
    );
    expect(() => arrayCandidateSource({ file: join(dir, 'x.npy'), labelsFile: join(dir, 'bad.npy'), classes: FISH })).toThrow(/not a class index/);
    expect(() => arrayCandidateSource({ file: join(dir, 'flat.npy'), classIdx: 0, classes: FISH })).toThrow(/not uint8 images/);
    expect(() => arrayCandidateSource({ file: join(dir, 'x.npy'), classes: FISH })).toThrow(/no labels/);
  });
});
