import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareFileNames, readImageFolder } from '../../src/formats/index.ts';
import { catchError } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-imagefolder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Creates `<root>/<folder>/<file>` for each entry (file contents do not matter: nothing is decoded). */
function tree(name: string, files: Record<string, string[]>): string {
  const root = join(dir, name);
  for (const [folder, names] of Object.entries(files)) {
    mkdirSync(join(root, folder), { recursive: true });
    for (const file of names) writeFileSync(join(root, folder, file), `${folder}/${file}`);
  }
  return root;
}

describe('class folders named by index', () => {
  // 12 classes: a string sort would order them 0, 1, 10, 11, 2, … and shift every label from 2 on.
  const files: Record<string, string[]> = {};
  for (let c = 0; c < 12; c++) files[String(c)] = [`img-${c}-b.jpeg`, `img-${c}-a.jpeg`];
  const root = tree('index12', files);

  it('orders and labels them numerically, never as strings', () => {
    const folder = readImageFolder(root);
    expect(folder.layout).toBe('index');
    expect(folder.files.length).toBe(24);
    expect(folder.imageIds.slice(0, 6)).toEqual(['img-0-a', 'img-0-b', 'img-1-a', 'img-1-b', 'img-2-a', 'img-2-b']);
    // Each image's label is the number of its folder.
    folder.imageIds.forEach((id, i) => expect(folder.labels[i]).toBe(Number(id.split('-')[1])));
    expect(Array.from(folder.labels)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11]);
    expect(folder.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
  });

  it('labels by folder number even when classes are missing', () => {
    const sparse = tree('sparse', { '3': ['x.png'], '100': ['y.png'], '20': ['z.png'] });
    const folder = readImageFolder(sparse);
    expect(folder.imageIds).toEqual(['x', 'z', 'y']);
    expect(Array.from(folder.labels)).toEqual([3, 20, 100]);
    expect(folder.classNames.length).toBe(101);
    const named = readImageFolder(sparse, {
      classIds: Array.from({ length: 1000 }, (_, i) => `c${i}`),
      classNames: Array.from({ length: 1000 }, (_, i) => `name ${i}`),
    });
    expect(named.classNames.length).toBe(1000);
    expect(named.classNames[20]).toBe('name 20');
    expect(catchError(() => readImageFolder(sparse, { classIds: ['a', 'b'] })).received).toBe('3');
  });

  it('refuses two folders for one index', () => {
    const twice = tree('twice', { '7': ['a.jpg'], '007': ['b.jpg'] });
    expect(catchError(() => readImageFolder(twice)).message).toMatch(/two folders name class 7/);
  });
});

describe('class folders named by wnid or name', () => {
  it('labels wnid folders by sorted position, or by the class list', () => {
    const root = tree('wnids', { n01443537: ['ILSVRC2012_val_00000002.JPEG'], n01440764: ['ILSVRC2012_val_00000001.JPEG'] });
    const folder = readImageFolder(root);
    expect(folder.layout).toBe('wnid');
    expect(folder.classNames).toEqual(['n01440764', 'n01443537']);
    expect(folder.imageIds).toEqual(['ILSVRC2012_val_00000001', 'ILSVRC2012_val_00000002']);
    expect(Array.from(folder.labels)).toEqual([0, 1]);
    const listed = readImageFolder(root, { classIds: ['n01440764', 'n01442222', 'n01443537'], classNames: ['tench', 'x', 'goldfish'] });
    expect(Array.from(listed.labels)).toEqual([0, 2]);
    expect(listed.classNames).toEqual(['tench', 'x', 'goldfish']);
    const error = catchError(() => readImageFolder(root, { classIds: ['n01440764'] }));
    expect(error.received).toBe('n01443537');
  });

  it('handles torchvision-style name folders', () => {
    const folder = readImageFolder(tree('names', { dog: ['1.png'], cat: ['2.png'] }));
    expect(folder.layout).toBe('names');
    expect(folder.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(folder.labels)).toEqual([0, 1]);
  });
});

describe('files within class folders', () => {
  it('keeps .jpg .jpeg .png in any case, skips other files and hidden ones, sorts numbers numerically', () => {
    const root = tree('mixed', { '0': ['10.jpeg', '2.JPEG', 'b.PNG', 'a.jpg', 'notes.txt', '.DS_Store'] });
    const folder = readImageFolder(root);
    expect(folder.imageIds).toEqual(['2', '10', 'a', 'b']);
    expect(folder.skipped).toEqual([join(root, '0', 'notes.txt')]);
    expect(folder.files[0]).toBe(join(root, '0', '2.JPEG'));
  });

  it('prefixes ids with the folder when stems repeat across classes (the old ImageNetV2 layout)', () => {
    const folder = readImageFolder(tree('repeat', { '0': ['0.jpeg', '1.jpeg'], '1': ['0.jpeg'] }));
    expect(folder.imageIds).toEqual(['0/0', '0/1', '1/0']);
  });

  it('refuses one stem twice in a folder', () => {
    expect(catchError(() => readImageFolder(tree('samestem', { '0': ['0.jpeg', '1.jpeg', '1.png'], '1': ['0.jpeg'] }))).message).toMatch(/share the stem 0\/1/);
  });

  it('compares file names numerically when both are numbers', () => {
    expect(['10.jpeg', '9.jpeg', 'a.jpeg', '100.png'].sort(compareFileNames)).toEqual(['9.jpeg', '10.jpeg', '100.png', 'a.jpeg']);
  });
});

describe('bad trees', () => {
  it('refuses a folder without class folders, one mixing schemes, and one without images', () => {
    const flat = join(dir, 'flat');
    mkdirSync(flat, { recursive: true });
    writeFileSync(join(flat, 'a.jpeg'), 'x');
    expect(catchError(() => readImageFolder(flat)).received).toBe('1 files and no folders');
    expect(catchError(() => readImageFolder(tree('mix', { '0': ['a.jpg'], n01440764: ['b.jpg'] }))).message).toMatch(/mix numbers and names/);
    expect(catchError(() => readImageFolder(tree('noimages', { '0': ['a.txt'] }))).message).toMatch(/no images/);
    expect(catchError(() => readImageFolder(join(dir, 'absent'))).kind).toBe('io');
  });
});
