import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../src/store/index.ts';
import { inlineHashes } from '../../src/server/app.ts';
import { median } from '../../src/server/dashboard-data.ts';
import { GroupCommit } from '../../src/server/group-commit.ts';
import { histogramSvg } from '../../src/server/histogram-svg.ts';
import { parsePreviewScope, previewScope, shownItems } from '../../src/server/image-tokens.ts';
import { referenceLinks } from '../../src/server/pages/task-page.ts';
import { padToSquare, storedImagePath } from '../../src/server/thumbnails.ts';

describe('histogramSvg', () => {
  it('draws candidates next to the reference, normalised per histogram, deterministically', () => {
    const svg = histogramSvg('dog', [2, 0, 0, 0, 2], [0, 0, 0, 0, 5]).value;
    expect(svg).toContain('data-candidates="2,0,0,0,2" data-reference="0,0,0,0,5"');
    // Half of the candidates in the first bin: half the plot height (62 px → 31).
    expect(svg).toMatch(/<rect class="bar-candidate" x="4" y="43" width="22" height="31"/);
    // All of the reference in the last bin: full height.
    expect(svg).toMatch(/<rect class="bar-reference" x="234" y="12" width="22" height="62"/);
    expect(histogramSvg('dog', [2, 0, 0, 0, 2], [0, 0, 0, 0, 5]).value).toBe(svg);
  });

  it('draws empty histograms as zero bars, never NaN', () => {
    const svg = histogramSvg('x', [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]).value;
    expect(svg).not.toContain('NaN');
    expect(svg.match(/height="0"/g)).toHaveLength(10);
  });

  it('escapes the label', () => {
    expect(histogramSvg('<b>', [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]).value).toContain('aria-label="selection frequencies of &lt;b&gt;');
  });
});

describe('small helpers', () => {
  it('median of odd, even and empty lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('per-assignment tokens differ per scope, are stable, and preview scopes cannot be forged', () => {
    const items = ['a', 'b', 'c', 'd'];
    const one = shownItems('key', 'assignment-1', items);
    expect(shownItems('key', 'assignment-1', items)).toEqual(one);
    const two = shownItems('key', 'assignment-2', items);
    expect(one.map((s) => s.token).filter((t) => two.some((u) => u.token === t))).toEqual([]);
    expect(one.map((s) => s.itemToken).sort()).toEqual(items);
    const scope = previewScope('key', 'task1');
    expect(parsePreviewScope('key', scope)).toBe('task1');
    expect(parsePreviewScope('other-key', scope)).toBeNull();
    expect(parsePreviewScope('key', scope.replace('task1', 'task2'))).toBeNull();
  });

  it('keeps stored relative paths inside the workspace', () => {
    expect(storedImagePath('/ws', 'blobs/a.jpg')).toBe('/ws/blobs/a.jpg');
    expect(storedImagePath('/ws', '../etc/passwd')).toBeNull();
    expect(storedImagePath('/ws', 'blobs/../../x')).toBeNull();
    expect(storedImagePath('/ws', '')).toBeNull();
  });

  it('pads an image to a centred square on grey', () => {
    const img = padToSquare({ data: new Uint8Array([255, 0, 0, 0, 255, 0]), width: 2, height: 1 }, 4);
    expect(img.width).toBe(4);
    expect(Array.from(img.data.subarray((1 * 4 + 1) * 3, (1 * 4 + 3) * 3))).toEqual([255, 0, 0, 0, 255, 0]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([128, 128, 128]);
  });

  it('links to the class’s own http(s) pages, else a Wikipedia search per lemma', () => {
    const base = { index: 0, id: 'x', definition: '', hypernyms: [], similar: [] };
    expect(referenceLinks({ ...base, names: ['a'], urls: ['https://en.wikipedia.org/wiki/Golden_retriever', 'javascript:alert(1)'] })).toEqual([
      { href: 'https://en.wikipedia.org/wiki/Golden_retriever', text: 'Golden retriever' },
    ]);
    expect(referenceLinks({ ...base, names: ['tench', 'Tinca tinca'], urls: [] }).map((l) => l.href)).toEqual([
      'https://en.wikipedia.org/w/index.php?search=tench',
      'https://en.wikipedia.org/w/index.php?search=Tinca%20tinca',
    ]);
  });

  it('allows exactly the inline blocks of a page by hash', () => {
    const h = inlineHashes('<style>a{}</style><script>x()</script>');
    expect(h.script).toBe(` 'sha256-${createHash('sha256').update('x()').digest('base64')}'`);
    expect(h.style).toBe(` 'sha256-${createHash('sha256').update('a{}').digest('base64')}'`);
    expect(h.script).toMatch(/^ 'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(h.style).toMatch(/^ 'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(inlineHashes('<p>no blocks</p>')).toEqual({ script: '', style: '' });
  });
});

describe('GroupCommit', () => {
  it('commits writes of one event-loop turn together; a failing write undoes only itself', async () => {
    const db = openSqliteDatabase(':memory:');
    await db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const gc = new GroupCommit(db, (view) => view);
    const results = await Promise.allSettled([
      gc.run(async (v) => (await v.run('INSERT INTO t VALUES (1)')).changes),
      gc.run(async (v) => {
        await v.run('INSERT INTO t VALUES (2)');
        throw new Error('boom');
      }),
      gc.run(async (v) => (await v.run('INSERT INTO t VALUES (3)')).changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('boom');
    expect(await db.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 3 }]);
    expect(gc.stats).toEqual({ batches: 1, jobs: 3, largest: 3 });
    await gc.run((v) => v.run('INSERT INTO t VALUES (4)'));
    expect(gc.stats.batches).toBe(2);
    await db.close();
  });

  it('acknowledges a batch only once its commit is synced, and runs the next batch meanwhile', async () => {
    let release: () => void = () => {};
    let syncs = 0;
    const syncFile = () => {
      syncs++;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    };
    const db = openSqliteDatabase(join(mkdtempSync(join(tmpdir(), 'retest-gc-')), 'g.db'), { syncFile });
    await db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const gc = new GroupCommit(db, (view) => view);
    let acknowledged = false;
    const first = gc
      .run((v) => v.run('INSERT INTO t VALUES (1)'))
      .then(() => {
        acknowledged = true;
      });
    const waitFor = async (condition: () => boolean) => {
      for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor(() => syncs > 0);
    // Committed (another connection would see the row) but not acknowledged: the sync is pending.
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    expect(acknowledged).toBe(false);
    // The next batch commits while the first one's sync is on the disk.
    const second = gc.run((v) => v.run('INSERT INTO t VALUES (2)'));
    await waitFor(() => gc.stats.batches === 2);
    expect(gc.stats.batches).toBe(2);
    expect(acknowledged).toBe(false);
    for (let i = 0; i < 4 && !acknowledged; i++) {
      release();
      await new Promise((r) => setTimeout(r, 10));
    }
    await first;
    release();
    await second;
    expect(acknowledged).toBe(true);
    await db.close();
  });
});
