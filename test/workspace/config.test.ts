/** retest.json is read through core's parseFile: every problem reported at once, the file named. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { readConfig } from '../../src/workspace/config.ts';

describe('readConfig', () => {
  it('reports all problems of a malformed retest.json, naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'retest-config-')), 'retest.json');
    writeFileSync(file, JSON.stringify({ version: 2, classSource: 'cifar10', numClasses: 'ten', createdAt: 'x' }));
    let error: unknown;
    try {
      readConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RetestError);
    const e = error as RetestError;
    expect(e.kind).toBe('data');
    expect(e.file).toBe(file);
    expect(e.issues.map((i) => i.path)).toEqual(['version', 'numClasses']);
  });

  it('reports invalid JSON with the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'retest-config-')), 'retest.json');
    writeFileSync(file, '{"version": 1,');
    expect(() => readConfig(file)).toThrow(/not valid JSON/);
  });
});
