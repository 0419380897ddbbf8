import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  candidateId,
  folderSource,
  ingest,
  linkedCandidateId,
  urlListSource,
  collectStatus,
  type Candidate,
  type CandidateSource,
} from '../../src/collect/index.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import type { Progress } from '../../src/core/progress.ts';
import { decodeRgb, imageInfo } from '../../src/formats/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import type { ImageTableRow } from '../helpers/workspace-images.ts';
import { fishWorkspace, jpeg, jpegComponents, png, tmp, withExifOrientation } from './fixtures.ts';
import { createImageCatalog } from '../../src/catalog/index.ts';

const open: Workspace[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await closeWorkspace(w);
});
const workspace = async () => {
  const w = await fishWorkspace();
  open.push(w);
  return w;
};
const rows = (w: Workspace) => w.sql.all<ImageTableRow & Record<string, unknown>>('SELECT * FROM images ORDER BY rowid');
const failures = (w: Workspace) =>
  w.sql.all<{
    source: string;
    source_id: string;
    class_idx: number | null;
    url_or_path: string;
    reason: string;
  }>('SELECT source, source_id, class_idx, url_or_path, reason FROM ingest_failures ORDER BY id');
const listSource = (items: Candidate[]): CandidateSource => ({
  name: 'list',
  expected: items.length,
  async *candidates() {
    yield* items;
  },
});

/** A local image host: /ok/<name> serves registered bytes, /hang never answers, /big declares a huge body, /slow/<ms>/<name> waits first. */
let host: Server;
let base = '';
const served = new Map<string, Buffer>();
const flakyServed = new Set<string>();
let inFlight = 0;
let maxInFlight = 0;
beforeAll(async () => {
  host = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/hang') return; // never answers
    if (path.startsWith('/flaky/') && !flakyServed.has(path)) {
      flakyServed.add(path);
      res.writeHead(503, { 'retry-after': '0' }).end('busy');
      return;
    }
    if (path === '/big') {
      res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
      return;
    }
    const slow = /^\/slow\/(\d+)\/(.+)$/.exec(path);
    const name = slow ? (slow[2] as string) : path.replace(/^\/(ok|flaky)\//, '');
    const bytes = served.get(name);
    const answer = () => {
      inFlight--;
      if (!bytes) res.writeHead(404).end('no');
      else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);
    };
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(answer, slow ? Number(slow[1]) : 0);
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      host.closeAllConnections();
      host.close(() => r());
    }),
);

describe('ingest: stored copies', () => {
  it('stores the original, a longer-side-500 JPEG q90 and a 256×256 square, with sizes and hashes', async () => {
    const w = await workspace();
    const dir = tmp();
    const bytes = await jpeg(800, 600);
    writeFileSync(join(dir, 'a.jpg'), bytes);
    const summary = await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 1 }), { now: () => new Date('2026-01-02T03:04:05Z') });
    expect(summary).toMatchObject({ seen: 1, ingested: 1, skipped: 0, failed: 0, exactDuplicates: 0 });
    const [row] = await rows(w);
    const sha = sha256Hex(bytes);
    expect(row).toMatchObject({
      id: candidateId(join(dir, 'a.jpg'), 'folder'),
      role: 'candidate',
      class_idx: 1,
      source: 'folder',
      source_id: join(dir, 'a.jpg'),
      url: null,
      sha256: sha,
      exact_duplicate_of: null,
      width: 800,
      height: 600,
      format: 'jpeg',
      bytes: bytes.length,
      original_path: `blobs/original/${sha.slice(0, 2)}/${sha}.jpg`,
      display_path: `blobs/display/${sha.slice(0, 2)}/${sha}.jpg`,
      square_path: `blobs/square/${sha.slice(0, 2)}/${sha}.png`,
      created_at: '2026-01-02T03:04:05.000Z',
    });
    expect(readFileSync(join(w.dir, row!.original_path)).equals(bytes)).toBe(true);
    expect(await imageInfo(join(w.dir, row!.display_path))).toEqual({ width: 500, height: 375, format: 'jpeg' });
    expect(await imageInfo(join(w.dir, row!.square_path))).toEqual({ width: 256, height: 256, format: 'png' });
  });

  it('applies EXIF orientation before resizing (a 40×20 photo tagged "rotate 90° CW" is 20×40)', async () => {
    const w = await workspace();
    const dir = tmp();
    writeFileSync(join(dir, 'rotated.jpg'), withExifOrientation(await jpeg(40, 20), 6));
    await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }));
    const [row] = await rows(w);
    expect([row!.width, row!.height]).toEqual([20, 40]);
    const display = await decodeRgb(join(w.dir, row!.display_path));
    expect([display.width, display.height]).toEqual([20, 40]);
    // The left (red) half of the stored photo is the top after rotation.
    const top = display.data.subarray((5 * 20 + 10) * 3, (5 * 20 + 10) * 3 + 3);
    const bottom = display.data.subarray((35 * 20 + 10) * 3, (35 * 20 + 10) * 3 + 3);
    expect(top[0]! > 150 && top[2]! < 100).toBe(true);
    expect(bottom[2]! > 150 && bottom[0]! < 100).toBe(true);
  });

  it('stores colour JPEGs for greyscale and transparent inputs', async () => {
    const w = await workspace();
    const dir = tmp();
    // An 8-bit greyscale PNG (colour type 0), written by hand: 4×2, one IDAT.
    const zlib = await import('node:zlib');
    const raw = Buffer.from([0, 10, 60, 120, 250, 0, 250, 120, 60, 10]);
    const chunk = (type: string, data: Buffer) => {
      const out = Buffer.alloc(12 + data.length);
      out.writeUInt32BE(data.length, 0);
      out.write(type, 4, 'latin1');
      data.copy(out, 8);
      out.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0, 8 + data.length);
      return out;
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(4, 0);
    ihdr.writeUInt32BE(2, 4);
    ihdr[8] = 8;
    ihdr[9] = 0;
    const grey = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    writeFileSync(join(dir, 'grey.png'), grey);
    await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }));
    const [row] = await rows(w);
    expect(row).toMatchObject({ width: 4, height: 2, format: 'png' });
    expect(jpegComponents(readFileSync(join(w.dir, row!.display_path)))).toBe(3);
  });
});

describe('ingest: identity and duplicates', () => {
  it('links exact duplicates (same bytes, different files) to the first and shares their blobs', async () => {
    const w = await workspace();
    const dir = tmp();
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'a.jpg'), await jpeg(64, 48, 1));
    copyFileSync(join(dir, 'a.jpg'), join(dir, 'x', 'copy.jpg'));
    writeFileSync(join(dir, 'b.png'), await png(64, 48, 2));
    const summary = await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }), { concurrency: 1 });
    expect(summary).toMatchObject({ ingested: 3, exactDuplicates: 1 });
    const [a, b, copy] = await rows(w);
    expect(copy!.source_id).toBe(join(dir, 'x', 'copy.jpg'));
    expect(copy!.exact_duplicate_of).toBe(a!.id);
    expect(copy!.display_path).toBe(a!.display_path);
    expect(b!.exact_duplicate_of).toBeNull();
    expect(await collectStatus(createImageCatalog(w.sql), 2)).toEqual({
      images: { candidate: 3, reference: 0 },
      distinctCandidates: 2,
      perClass: [3, 0],
      referencePerClass: [0, 0],
      openFailures: 0,
    });
  });

  it('gives the same photo found under two classes two linked rows, downloading it once', async () => {
    const w = await workspace();
    served.set('p42.jpg', await jpeg(120, 80, 42));
    const list = join(tmp(), 'list.csv');
    writeFileSync(list, `url,class,source,source_id,keyword\n${base}/ok/p42.jpg,tench,flickr,42,tench\n${base}/ok/p42.jpg,goldfish,flickr,42,goldfish\n`);
    const summary = await ingest(w, urlListSource({ file: list, classes: w.classes }), { concurrency: 1 });
    expect(summary).toMatchObject({ ingested: 2, otherClassLinks: 1, exactDuplicates: 0 });
    const [first, second] = await rows(w);
    expect(first).toMatchObject({ id: candidateId('42', 'flickr'), class_idx: 0, keyword: 'tench', exact_duplicate_of: null });
    expect(second).toMatchObject({
      id: linkedCandidateId('42', 'flickr', 'goldfish'),
      class_idx: 1,
      keyword: 'goldfish',
      exact_duplicate_of: first!.id,
      sha256: first!.sha256,
    });
    expect(first!.id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('is resumable: a second run skips what is there and writes nothing new', async () => {
    const w = await workspace();
    const dir = tmp();
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `${i}.jpg`), await jpeg(30, 30, i));
    await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }));
    const again = await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }));
    expect(again).toMatchObject({ seen: 3, ingested: 0, skipped: 3, failed: 0 });
    expect(await rows(w)).toHaveLength(3);
  });
});

describe('ingest: failures are recorded, never lost', () => {
  it('records 404s, oversized and timed-out downloads, undecodable bytes and missing files with their reason', async () => {
    const w = await workspace();
    served.set('good.jpg', await jpeg(50, 50, 7));
    served.set('text.jpg', Buffer.from('this is not an image at all'));
    served.set('large.jpg', await jpeg(400, 400, 9));
    const items: Candidate[] = [
      { source: 's', sourceId: 'good', classIdx: 0, url: `${base}/ok/good.jpg` },
      { source: 's', sourceId: 'missing', classIdx: 0, url: `${base}/ok/missing.jpg` },
      { source: 's', sourceId: 'big', classIdx: 0, url: `${base}/big` },
      { source: 's', sourceId: 'hang', classIdx: 0, url: `${base}/hang` },
      { source: 's', sourceId: 'text', classIdx: 1, url: `${base}/ok/text.jpg` },
      { source: 's', sourceId: 'nofile', classIdx: 1, path: join(tmp(), 'nope.jpg') },
      { source: 's', sourceId: 'badclass', classIdx: 7, url: `${base}/ok/good.jpg` },
    ];
    const summary = await ingest(w, listSource(items), { timeoutMs: 300, maxBytes: 1024 * 1024, downloadRetries: 0 });
    expect(summary).toMatchObject({ seen: 7, ingested: 1, failed: 6 });
    const byId = Object.fromEntries((await failures(w)).map((f) => [f.source_id, f]));
    expect(byId.missing).toMatchObject({ url_or_path: `${base}/ok/missing.jpg`, reason: 'HTTP 404 Not Found', class_idx: 0 });
    expect(byId.big?.reason).toMatch(/^too large: 104857600 bytes > limit 1048576$/);
    expect(byId.hang?.reason).toBe('timed out after 300 ms');
    expect(byId.text?.reason).toMatch(/^cannot read image header/);
    expect(byId.nofile?.reason).toMatch(/ENOENT/);
    expect(byId.badclass?.reason).toBe('class index 7 is not a class of the workspace (0…1)');
    expect((await collectStatus(createImageCatalog(w.sql), 2)).openFailures).toBe(6);
  });

  it('retries a download answered with 503 (Retry-After honoured)', async () => {
    const w = await workspace();
    served.set('flaky.jpg', await jpeg(20, 20, 11));
    const summary = await ingest(w, listSource([{ source: 's', sourceId: 'flaky', classIdx: 0, url: `${base}/flaky/flaky.jpg` }]), { downloadRetries: 1 });
    expect(summary).toMatchObject({ ingested: 1, failed: 0 });
    expect(flakyServed.has('/flaky/flaky.jpg')).toBe(true);
  });

  it('does not retry a download that ran out of time', async () => {
    const w = await workspace();
    const started = Date.now();
    const summary = await ingest(w, listSource([{ source: 's', sourceId: 'hang', classIdx: 0, url: `${base}/hang` }]), { timeoutMs: 200, downloadRetries: 3 });
    expect(summary.failed).toBe(1);
    expect((await failures(w))[0]?.reason).toBe('timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(1500); // no backoff waits (0.5 + 1 + 2 s) after the timeout
  });

  it('retries a failed download on the next run and then counts it as resolved', async () => {
    const w = await workspace();
    const item: Candidate = { source: 's', sourceId: 'later', classIdx: 0, url: `${base}/ok/later.jpg` };
    expect((await ingest(w, listSource([item]), { downloadRetries: 0 })).failed).toBe(1);
    served.set('later.jpg', await jpeg(20, 20, 3));
    expect((await ingest(w, listSource([item]), { downloadRetries: 0 })).ingested).toBe(1);
    expect((await collectStatus(createImageCatalog(w.sql), 2)).openFailures).toBe(0);
    expect(await failures(w)).toHaveLength(1); // history kept
  });

  it('refuses local files over the size limit', async () => {
    const w = await workspace();
    const dir = tmp();
    writeFileSync(join(dir, 'a.jpg'), await jpeg(300, 300, 5));
    const summary = await ingest(w, folderSource({ root: dir, classes: w.classes, classIdx: 0 }), { maxBytes: 100 });
    expect(summary.failed).toBe(1);
    expect((await failures(w))[0]?.reason).toMatch(/^too large: \d+ bytes > limit 100$/);
  });
});

describe('ingest: concurrency, progress, roles', () => {
  it('keeps at most `concurrency` downloads in flight', async () => {
    const w = await workspace();
    const items: Candidate[] = [];
    for (let i = 0; i < 9; i++) {
      served.set(`c${i}.jpg`, await jpeg(16, 16, 100 + i));
      items.push({ source: 's', sourceId: `c${i}`, classIdx: i % 2, url: `${base}/slow/40/c${i}.jpg` });
    }
    maxInFlight = 0;
    const ticks: number[] = [];
    const progress: Progress = { start: (total) => ticks.push(-total), tick: () => ticks.push(1), stop: () => ticks.push(0) };
    const summary = await ingest(w, listSource(items), { concurrency: 3, progress, role: 'reference' });
    expect(summary.ingested).toBe(9);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(ticks).toEqual([-9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect((await collectStatus(createImageCatalog(w.sql), 2)).images).toEqual({ candidate: 0, reference: 9 });
  });

  it('writes rows in source order whatever finishes first: the first occurrence wins', async () => {
    const w = await workspace();
    served.set('same.jpg', await jpeg(24, 24, 77));
    const items: Candidate[] = [
      { source: 's', sourceId: 'slow-first', classIdx: 0, url: `${base}/slow/150/same.jpg` },
      { source: 's', sourceId: 'fast-second', classIdx: 1, url: `${base}/ok/same.jpg` },
    ];
    await ingest(w, listSource(items), { concurrency: 2 });
    const [first, second] = await rows(w);
    expect(first).toMatchObject({ source_id: 'slow-first', exact_duplicate_of: null });
    expect(second).toMatchObject({ source_id: 'fast-second', exact_duplicate_of: first!.id });
  });

  it('stops on a source error and keeps what was ingested before it', async () => {
    const w = await workspace();
    const dir = tmp();
    writeFileSync(join(dir, 'a.jpg'), await jpeg(20, 20, 1));
    const failing: CandidateSource = {
      name: 'failing',
      expected: undefined,
      async *candidates() {
        yield { source: 's', sourceId: 'a', classIdx: 0, path: join(dir, 'a.jpg') };
        throw new Error('search broke');
      },
    };
    await expect(ingest(w, failing, { concurrency: 1 })).rejects.toThrow('search broke');
    expect(await rows(w)).toHaveLength(1);
    expect(existsSync(join(w.dir, (await rows(w))[0]!.display_path))).toBe(true);
  });
});
