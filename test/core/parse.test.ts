import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, parseFile, parseJson, parseValue } from '../../src/core/parse.ts';
import { catchError } from '../helpers/errors.ts';

const schema = z.strictObject({
  name: z.string(),
  size: z.number().int().min(1),
  mode: z.enum(['center', 'squash']),
  classes: z.array(z.object({ id: z.string() })),
});

describe('parseValue / parseJson / parseFile', () => {
  it('returns the parsed value', () => {
    expect(parseValue({ name: 'a', size: 2, mode: 'center', classes: [] }, schema, { what: 'the config' })).toEqual({
      name: 'a',
      size: 2,
      mode: 'center',
      classes: [],
    });
  });

  it('carries every problem, each with its path, expected and received, and names the first at the top', () => {
    const error = catchError(() =>
      parseValue({ name: 42, size: 0, mode: 'border', classes: [{ id: 'x' }, { id: 7 }], extra: 1, other: 2 }, schema, {
        what: 'the config',
        file: 'c.json',
        hint: 'see the docs',
      }),
    );
    expect(error.kind).toBe('data');
    expect(error.file).toBe('c.json');
    expect(error.hint).toBe('see the docs');
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(['classes[1].id', 'extra', 'mode', 'name', 'other', 'size']);
    expect(byPath.name).toMatchObject({ expected: 'string', received: '42' });
    expect(byPath.size).toMatchObject({ expected: 'number ≥ 1', received: '0' });
    expect(byPath.mode).toMatchObject({ expected: '"center" | "squash"', received: '"border"' });
    expect(byPath['classes[1].id']).toMatchObject({ expected: 'string', received: '7' });
    expect(byPath.extra!.message).toBe('unknown field');
    expect(error.message).toMatch(/^6 problems in the config: /);
    expect(error.field).toBe(error.issues[0]!.path);
    // Rendered once, with every problem listed.
    const text = error.render();
    for (const path of Object.keys(byPath)) expect(text).toContain(`    - ${path}: `);
    expect(error.toJSON().issues).toHaveLength(6);
  });

  it('a single problem is not listed twice', () => {
    const error = catchError(() => parseValue({ name: 'a', size: 1, mode: 'center' }, schema, { what: 'the config' }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ path: 'classes', received: 'nothing' });
    expect(error.render()).not.toContain('problems:');
  });

  it('keeps the JSON syntax message, and usage kind for requests', () => {
    const error = catchError(() => parseJson('{"name": ', schema, { what: 'the request body', kind: 'usage' }));
    expect(error.kind).toBe('usage');
    expect(error.message).toBe('the request body: not valid JSON');
    expect(error.received).toMatch(/JSON/);
  });

  it('parseFile names the file, and a missing file is an io error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-parse-'));
    const file = join(dir, 'x.json');
    writeFileSync(file, '{"name":"a","size":"3","mode":"center","classes":[]}');
    const bad = catchError(() => parseFile(file, schema, { what: 'x' }));
    expect(bad).toMatchObject({ kind: 'data', file, field: 'size', received: '"3"' });
    const missing = catchError(() => parseFile(join(dir, 'nope.json'), schema, { what: 'x' }));
    expect(missing).toMatchObject({ kind: 'io', file: join(dir, 'nope.json'), received: 'ENOENT' });
  });

  it("a union reports the problems of the branch the value's type fits, else the types it could have", () => {
    const entries = z.array(z.union([z.string(), z.strictObject({ id: z.string(), names: z.array(z.string()).min(1) })]));
    const error = catchError(() => parseValue(['a', { id: 3, names: [] }, 5, { id: 'x', names: ['x'], extra: 1 }], entries, { what: 'the list' }));
    expect(error.issues.map((i) => [i.path, i.expected ?? null, i.received ?? null])).toEqual([
      ['[1].id', 'string', '3'],
      ['[1].names', 'array ≥ 1', '[]'],
      ['[2]', 'string | object', '5'],
      ['[3].extra', null, null],
    ]);
  });

  it('formats paths like JavaScript', () => {
    expect(formatPath(['a', 0, 'b', 12])).toBe('a[0].b[12]');
    expect(formatPath([3])).toBe('[3]');
    expect(formatPath([])).toBe('');
  });
});
