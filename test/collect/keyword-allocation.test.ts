import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/keywords.ts';
import {
  allocateKeywords,
  drawFromPool,
  readKeywordCounts,
  readKeywordPool,
  sharedKeywords,
  type OriginalKeywordCounts,
  type PoolImage,
} from '../../src/collect/index.ts';
import { createRng, isRetestError, type RetestError } from '../../src/core/index.ts';

const authors = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'authors-keyword-allocation.json'), 'utf8')) as {
  cases: { counts: [string, number][]; perClass: number; topK: number; expected: Record<string, number> }[];
};
const counts = (entries: Record<string, [string, number][]>): OriginalKeywordCounts =>
  new Map(Object.entries(entries).map(([c, list]) => [c, list.map(([keyword, count]) => ({ keyword, count }))]));
const allocated = (a: ReturnType<typeof allocateKeywords>[number]) =>
  Object.fromEntries(a.keywords.filter((k) => k.allocated > 0).map((k) => [k.keyword, k.allocated]));
const dir = mkdtempSync(join(tmpdir(), 'retest-keywords-'));

describe("allocateKeywords: CIFAR-10.1's per-keyword counts", () => {
  it('200 · count / Σ, floored, the rest by largest remainder', () => {
    const [a] = allocateKeywords(
      counts({
        cat: [
          ['tabby', 5],
          ['house_cat', 3],
          ['mouser', 3],
          ['puss', 1],
        ],
      }),
      { perClass: 200, topK: 50 },
    );
    // 83.33 + 50 + 50 + 16.67: floors give 199; the one left goes to the largest remainder (puss, .67).
    expect(allocated(a!)).toEqual({ tabby: 83, house_cat: 50, mouser: 50, puss: 17 });
    expect(a!.keywords.map((k) => k.fractional)).toEqual([200 * (5 / 12), 50, 50, 200 * (1 / 12)]);
  });

  it('remainder ties go to the earlier (higher-count) keyword; equal counts keep their order', () => {
    // 2·3/4 = 1.5 and 2·1/4 = 0.5: equal remainders, the higher count gets the unit.
    expect(
      allocated(
        allocateKeywords(
          counts({
            x: [
              ['rare', 1],
              ['common', 3],
            ],
          }),
          { perClass: 2, topK: 50 },
        )[0]!,
      ),
    ).toEqual({ common: 2 });
    // Three equal counts: 66.67 each, the two left go to the first two listed.
    expect(
      allocated(
        allocateKeywords(
          counts({
            x: [
              ['b', 1],
              ['a', 1],
              ['c', 1],
            ],
          }),
          { perClass: 200, topK: 50 },
        )[0]!,
      ),
    ).toEqual({ b: 67, a: 67, c: 66 });
  });

  it('keeps the top k keywords by count: the denominator is their sum, the rest get nothing', () => {
    const list: [string, number][] = Array.from({ length: 60 }, (_, i) => [`k${i}`, 100 - i]);
    const [a] = allocateKeywords(counts({ c: list }), { perClass: 200, topK: 50 });
    expect(a!.keywords).toHaveLength(50);
    expect(a!.topKCount).toBe(Array.from({ length: 50 }, (_, i) => 100 - i).reduce((s, v) => s + v, 0));
    expect(a!.totalCount).toBe(a!.topKCount + Array.from({ length: 10 }, (_, i) => 50 - i).reduce((s, v) => s + v, 0));
    expect(a!.keywords.reduce((s, k) => s + k.allocated, 0)).toBe(200);
    expect(a!.keywords.map((k) => k.keyword)).not.toContain('k50');
  });

  it(`equals the authors' notebook on all ${authors.cases.length} recorded cases (ties, top-k cuts, other sizes)`, () => {
    const wrong = authors.cases.filter(
      (c) => JSON.stringify(allocated(allocateKeywords(counts({ c: c.counts }), { perClass: c.perClass, topK: c.topK })[0]!)) !== JSON.stringify(c.expected),
    );
    expect(wrong).toEqual([]);
    expect(authors.cases).toHaveLength(60);
  });

  it('degenerate input: a class whose counts are all 0 gets nothing; bad options are usage errors', () => {
    expect(allocated(allocateKeywords(counts({ c: [['a', 0]] }), { perClass: 200, topK: 50 })[0]!)).toEqual({});
    expect(() => allocateKeywords(counts({}), { perClass: 1.5, topK: 50 })).toThrow(/--per-class/);
    expect(() => allocateKeywords(counts({}), { perClass: 10, topK: 0 })).toThrow(/--top/);
  });

  it('names keywords allocated in two classes (CIFAR-10.1 v6: cruiser, automobile and ship)', () => {
    const a = allocateKeywords(
      counts({
        automobile: [
          ['car', 10],
          ['cruiser', 5],
        ],
        ship: [
          ['boat', 10],
          ['cruiser', 5],
        ],
      }),
      { perClass: 6, topK: 50 },
    );
    expect(sharedKeywords(a)).toEqual([{ keyword: 'cruiser', classKeys: ['automobile', 'ship'] }]);
  });
});

describe('drawFromPool', () => {
  const pool: PoolImage[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ image: `car-${i}.png`, keyword: 'car', classKey: null })),
    ...Array.from({ length: 3 }, (_, i) => ({ image: `cruiser-${i}.png`, keyword: 'cruiser', classKey: null })),
    { image: 'boat-0.png', keyword: 'boat', classKey: 'ship' },
    { image: 'boat-1.png', keyword: 'boat', classKey: 'automobile' },
  ];
  const allocation = allocateKeywords(
    counts({
      automobile: [
        ['car', 10],
        ['cruiser', 5],
      ],
      ship: [
        ['boat', 10],
        ['cruiser', 5],
      ],
    }),
    { perClass: 6, topK: 50 },
  );

  it('draws each allocation once per image, seeded, reporting shortfalls', () => {
    const draw = drawFromPool(allocation, pool, createRng(1));
    expect(draw.keywords).toEqual([
      { classKey: 'automobile', keyword: 'car', allocated: 4, available: 10, drawn: 4 },
      { classKey: 'automobile', keyword: 'cruiser', allocated: 2, available: 3, drawn: 2 },
      // boat-1 is tagged automobile: not for ship. cruiser: one left after the automobiles took two.
      { classKey: 'ship', keyword: 'boat', allocated: 4, available: 1, drawn: 1 },
      { classKey: 'ship', keyword: 'cruiser', allocated: 2, available: 1, drawn: 1 },
    ]);
    expect(draw.short).toEqual([
      { classKey: 'automobile', short: 0 },
      { classKey: 'ship', short: 4 },
    ]);
    expect(new Set(draw.selection.map((s) => s.image)).size).toBe(draw.selection.length);
    expect(drawFromPool(allocation, [...pool].reverse(), createRng(1))).toEqual(draw);
    expect(drawFromPool(allocation, pool, createRng(2)).selection).not.toEqual(draw.selection);
  });
});

describe('reading the keyword files', () => {
  it('counts from CSV (counts or one row per original image) and JSON (object, rows, the authors’ per-image list)', () => {
    writeFileSync(join(dir, 'counts.csv'), 'class,keyword,count\nairplane,jet,3\nairplane,plane,1\nship,boat,2\n');
    writeFileSync(join(dir, 'images.csv'), 'class,keyword\nairplane,plane\nairplane,jet\nairplane,jet\nairplane,jet\nship,boat\nship,boat\n');
    writeFileSync(join(dir, 'counts.json'), JSON.stringify({ airplane: { jet: 3, plane: 1 }, ship: { boat: 2 } }));
    writeFileSync(
      join(dir, 'authors.json'),
      JSON.stringify([
        { nn_keyword: 'plane', cifar10_label: 0, nn_index: 7 },
        ...Array.from({ length: 3 }, () => ({ nn_keyword: 'jet', cifar10_label: 0 })),
        { nn_keyword: 'boat', cifar10_label: 8 },
      ]),
    );
    const expected = [
      [
        'airplane',
        [
          { keyword: 'jet', count: 3 },
          { keyword: 'plane', count: 1 },
        ],
      ],
      ['ship', [{ keyword: 'boat', count: 2 }]],
    ];
    expect([...readKeywordCounts(join(dir, 'counts.csv'))]).toEqual(expected);
    expect([...readKeywordCounts(join(dir, 'counts.json'))]).toEqual(expected);
    // Per-image rows keep first-appearance order (the authors' dict insertion order).
    expect([...readKeywordCounts(join(dir, 'images.csv'))]).toEqual([
      [
        'airplane',
        [
          { keyword: 'plane', count: 1 },
          { keyword: 'jet', count: 3 },
        ],
      ],
      ['ship', [{ keyword: 'boat', count: 2 }]],
    ]);
    expect([...readKeywordCounts(join(dir, 'authors.json'))]).toEqual([
      [
        '0',
        [
          { keyword: 'plane', count: 1 },
          { keyword: 'jet', count: 3 },
        ],
      ],
      ['8', [{ keyword: 'boat', count: 1 }]],
    ]);
  });

  it('bad counts are data errors naming the file and the line', () => {
    writeFileSync(join(dir, 'bad.csv'), 'class,keyword,count\nairplane,jet,3\nairplane,plane,-1\n');
    try {
      readKeywordCounts(join(dir, 'bad.csv'));
      expect.unreachable();
    } catch (error) {
      expect(isRetestError(error) && error.kind).toBe('data');
      expect(error).toMatchObject({ file: join(dir, 'bad.csv'), record: 'line 3' });
      expect((error as Error & { received: string }).received).toMatch(/count "-1" is not a non-negative integer/);
    }
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ keyword: 'jet' }]));
    // Every problem is carried (here: the union of both accepted shapes fails), with the file named.
    const json = (() => {
      try {
        readKeywordCounts(join(dir, 'bad.json'));
      } catch (error) {
        return error as RetestError;
      }
      throw new Error('expected an error');
    })();
    expect(json).toMatchObject({ kind: 'data', file: join(dir, 'bad.json') });
    expect(json.message).toMatch(/in the keyword counts/);
    expect(json.issues.length).toBeGreaterThan(0);
  });

  it('pools from CSV (image/url/path column, optional class) and JSON {image: keyword}; an image twice is refused', () => {
    writeFileSync(join(dir, 'pool.csv'), 'url,keyword,class\nhttp://x/a.jpg,jet,airplane\nhttp://x/b.jpg,boat,\n');
    expect(readKeywordPool(join(dir, 'pool.csv'))).toEqual([
      { image: 'http://x/a.jpg', keyword: 'jet', classKey: 'airplane' },
      { image: 'http://x/b.jpg', keyword: 'boat', classKey: null },
    ]);
    writeFileSync(join(dir, 'pool.json'), JSON.stringify({ 'a.png': 'jet', 'b.png': 'boat' }));
    expect(readKeywordPool(join(dir, 'pool.json')).map((p) => p.keyword)).toEqual(['jet', 'boat']);
    writeFileSync(join(dir, 'dup.csv'), 'image,keyword\na.png,jet\na.png,boat\n');
    expect(() => readKeywordPool(join(dir, 'dup.csv'))).toThrow(/appears twice/);
    writeFileSync(join(dir, 'nokw.csv'), 'image\na.png\n');
    expect(() => readKeywordPool(join(dir, 'nokw.csv'))).toThrow(/bad record/);
  });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('retest').exitOverride();
  register(program);
  const walk = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(walk);
  };
  walk(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (isRetestError(error)) return { code: error.kind === 'usage' ? 2 : 1, stdout, stderr: stderr + error.render() };
    throw error;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('retest keywords allocate', () => {
  it('prints the allocation, draws from a pool and writes a URL list for `retest collect urls`', async () => {
    writeFileSync(join(dir, 'c.csv'), 'class,keyword,count\nairplane,jet,3\nairplane,plane,1\n');
    writeFileSync(join(dir, 'p.csv'), `image,keyword\n${Array.from({ length: 5 }, (_, i) => `jet-${i}.png,jet\nplane-${i}.png,plane`).join('\n')}\n`);
    const text = await run(['keywords', 'allocate', '--counts', join(dir, 'c.csv'), '--per-class', '4']);
    expect(text.stdout).toBe('airplane: 4 images over 2 keywords (top 2 cover 100.0 % of the class): jet 3, plane 1\n');
    const json = await run([
      'keywords',
      'allocate',
      '--counts',
      join(dir, 'c.csv'),
      '--per-class',
      '8',
      '--pool',
      join(dir, 'p.csv'),
      '--seed',
      '3',
      '--out',
      join(dir, 'sel.csv'),
      '--json',
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      perClass: 8,
      topK: 50,
      classes: [{ class: 'airplane', keywords: { jet: 6, plane: 2 } }],
      seed: 3,
      drawn: 7,
      short: [{ classKey: 'airplane', short: 1 }],
      keywordsShort: [{ keyword: 'jet', allocated: 6, available: 5, drawn: 5 }],
    });
    const lines = readFileSync(join(dir, 'sel.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('url,class,keyword');
    expect(lines).toHaveLength(8);
    expect(lines.slice(1).every((l) => /^(jet|plane)-\d\.png,airplane,(jet|plane)$/.test(l))).toBe(true);
    expect((await run(['keywords', 'allocate', '--counts', join(dir, 'c.csv'), '--pool', join(dir, 'p.csv')])).code).toBe(2);
    expect((await run(['keywords', 'allocate', '--counts', join(dir, 'c.csv'), '--out', join(dir, 'x.csv')])).code).toBe(2);
  });
});
