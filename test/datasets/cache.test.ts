import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMarker, readRecordedChecksums } from '../../src/datasets/index.ts';
import { catchError } from '../helpers/errors.ts';

describe('the download cache records', () => {
  it('a marker with a JSON syntax error says where, instead of losing the message', () => {
    const cache = mkdtempSync(join(tmpdir(), 'retest-cache-'));
    mkdirSync(join(cache, 'toy'));
    const file = join(cache, 'toy', '.retest-dataset.json');
    writeFileSync(file, '{\n  "name": "toy",\n  "fetchedAt": }\n');
    const error = catchError(() => readMarker(cache, 'toy'));
    expect(error).toMatchObject({ kind: 'data', file, record: 'line 3' });
    expect(error.message).toBe('the dataset marker in the cache: not valid JSON');
    expect(error.received).toMatch(/JSON/);
    expect(error.hint).toMatch(/retest fetch toy/);
  });

  it('a checksum record of the wrong shape names every bad entry', () => {
    const cache = mkdtempSync(join(tmpdir(), 'retest-cache-'));
    writeFileSync(
      join(cache, 'checksums.json'),
      JSON.stringify({
        'http://a/x': { sha256: 'nothex', bytes: 1, recordedAt: 'now' },
        'http://a/y': { sha256: 'a'.repeat(64), bytes: -1, recordedAt: 'now' },
      }),
    );
    const error = catchError(() => readRecordedChecksums(cache));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['http://a/x.sha256', 'http://a/y.bytes']);
  });
});
