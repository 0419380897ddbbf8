import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cifar10Classes, findClass, loadClasses, parseCustomClasses, toClassRow } from '../../src/classes/index.ts';
import { RetestError } from '../../src/core/errors.ts';

const errorOf = (fn: () => unknown): RetestError => {
  try {
    fn();
  } catch (e) {
    return e as RetestError;
  }
  throw new Error('expected an error');
};

describe('cifar10Classes', () => {
  it('has the ten classes in label order with similar classes among them', () => {
    const classes = cifar10Classes();
    expect(classes.map((c) => c.id)).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(classes[3]?.similar[0]).toBe('dog');
    const ids = new Set(classes.map((c) => c.id));
    for (const c of classes) expect(c.similar.every((s) => ids.has(s) && s !== c.id)).toBe(true);
  });
});

describe('parseCustomClasses', () => {
  it('accepts a list of names', () => {
    expect(parseCustomClasses(['sparrow', 'crow'], 'f.json')).toEqual([
      { index: 0, id: 'sparrow', names: ['sparrow'], definition: '', urls: [], hypernyms: [], similar: [] },
      { index: 1, id: 'crow', names: ['crow'], definition: '', urls: [], hypernyms: [], similar: [] },
    ]);
  });

  it('accepts the output of `retest classes --json` (round trip)', () => {
    const rows = cifar10Classes().map(toClassRow);
    expect(parseCustomClasses({ classes: rows }, 'f.json').map(toClassRow)).toEqual(rows);
  });

  it('names the record and field of a wrong entry', () => {
    const err = errorOf(() => parseCustomClasses([{ id: 'a', names: [] }], 'birds.json'));
    expect(err).toBeInstanceOf(RetestError);
    expect(err.kind).toBe('data');
    expect(err.file).toBe('birds.json');
    expect(err.field).toBe('[0].names');
    expect(err.received).toBe('[]');
  });

  it('reports every schema problem, not only the first, naming the file', () => {
    const err = errorOf(() => parseCustomClasses({ classes: [{ id: 'a', names: [] }, { id: 3 }, 5, { id: 'b', urls: 'x' }] }, 'birds.json'));
    expect(err.file).toBe('birds.json');
    expect(err.message).toMatch(/^4 problems in the classes file: classes\[0\]\.names: /);
    expect(err.issues.map((i) => [i.path, i.received])).toEqual([
      ['classes[0].names', '[]'],
      ['classes[1].id', '3'],
      ['classes[2]', '5'],
      ['classes[3].urls', '"x"'],
    ]);
  });

  it('reports every duplicate id, misplaced index and unknown similar class at once', () => {
    const err = errorOf(() => parseCustomClasses([{ id: 'a', index: 1 }, 'a', { id: 'c', similar: ['b', 'a', 'z'] }], 'f.json'));
    expect(err.file).toBe('f.json');
    expect(err.message).toBe('4 problems in the classes file: class indices must be 0…n−1 in file order');
    expect(err.issues.map((i) => [i.path, i.received])).toEqual([
      ['[0].index', '1'],
      ['[1].id', '"a"'],
      ['[2].similar', '"b"'],
      ['[2].similar', '"z"'],
    ]);
    expect([err.record, err.field]).toEqual([0, 'index']);
  });

  it('refuses duplicate ids, out-of-order indices and unknown similar classes', () => {
    expect(errorOf(() => parseCustomClasses(['a', 'a'], 'f')).message).toBe('class ids must be unique');
    expect(errorOf(() => parseCustomClasses([{ id: 'a', index: 1 }], 'f')).field).toBe('index');
    expect(errorOf(() => parseCustomClasses([{ id: 'a', similar: ['b'] }], 'f')).received).toBe('"b"');
    expect(errorOf(() => parseCustomClasses([], 'f')).kind).toBe('data');
  });
});

describe('loadClasses', () => {
  it('reads a JSON file and reports invalid JSON with the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-classes-'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ classes: [{ id: 'x', names: ['x', 'ex'] }] }));
    expect(loadClasses(join(dir, 'ok.json'))[0]?.names).toEqual(['x', 'ex']);
    writeFileSync(join(dir, 'bad.json'), '[');
    expect(errorOf(() => loadClasses(join(dir, 'bad.json'))).message).toBe('the classes file: not valid JSON');
  });

  it('treats an unknown name as a usage error', () => {
    expect(errorOf(() => loadClasses('cifar100')).kind).toBe('usage');
  });
});

describe('findClass', () => {
  const classes = cifar10Classes();
  it('finds by index, id or name', () => {
    expect(findClass(classes, '3')?.id).toBe('cat');
    expect(findClass(classes, 'truck')?.index).toBe(9);
    expect(findClass(classes, 'unicorn')).toBeUndefined();
  });
});
