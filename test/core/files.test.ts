/**
 * jsonErrorOffset: where the first JSON syntax error is (Node 20's JSON.parse messages do not always
 * say), which parseJsonText turns into a line and column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, readJsonFile } from '../../src/core/files.ts';
import { RetestError } from '../../src/core/errors.ts';

describe('jsonErrorOffset', () => {
  it('is the length of valid JSON (nothing wrong before the end)', () => {
    for (const text of ['{}', ' [1, 2.5e-3, -0, "a\\u00e9\\n", true, false, null] ', '{"a": {"b": [[]]}}', '"\\\\"'])
      expect(jsonErrorOffset(text)).toBe(text.length);
  });

  it('points at the first character that breaks the grammar', () => {
    const cases: [string, number][] = [
      ['{"a": 1,}', 8], // trailing comma: the member name expected at '}'
      ['[1 2]', 3],
      ['{"a" 1}', 5],
      ['{a: 1}', 1],
      ['[01]', 2], // a leading zero ends the number; then ',' or ']' is expected
      ['["\\x"]', 3],
      ['["\\u12g4"]', 3],
      ['[tru]', 1],
      ['[-]', 1],
      ['"a\tb"', 2], // a raw control character in a string
      ['{"a": 1} x', 9],
    ];
    for (const [text, offset] of cases) expect([text, jsonErrorOffset(text)]).toEqual([text, offset]);
  });

  it('is the length when the text ends too early', () => {
    for (const text of ['{"a": [1, 2', '"abc', '', '[1,']) expect(jsonErrorOffset(text)).toBe(text.length);
  });

  it('gives readJsonFile the line and column of the error', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'retest-json-')), 'bad.json');
    writeFileSync(file, '{\n  "a": 1,\n  "b": [1 2]\n}\n');
    let error: unknown = null;
    try {
      readJsonFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RetestError);
    expect(error).toMatchObject({ file, record: 'line 3', field: 'column 11' });
  });
});
