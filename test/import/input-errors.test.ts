/**
 * Every numeric CSV cell is validated, every parse error names the file, the line and what was
 * expected, and the blame lands on the right file. Through the library and the CLI (exit 1, not 70).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { npyArray, writeNpy } from '../../src/formats/index.ts';
import { readFrequencies, readGenericPredictions, readImagenetV2Predictions, readLabels } from '../../src/import/index.ts';
import { createLabelStore, importMturkResults } from '../../src/label/index.ts';
import type { ResultsStore } from '../../src/results/index.ts';
import { openSqliteDatabase } from '../../src/store/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { rowsFrom, writeImagenetMetadata, writeTopk } from './fixtures.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
let dir: string;
let store: ResultsStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retest-parse-'));
  store = await openResultsStore(join(dir, 'r.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function thrown(fn: () => unknown): Promise<RetestError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof RetestError) return error;
    throw error;
  }
  throw new Error('expected a RetestError');
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function retest(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('numeric CSV cells', () => {
  const labelsOk = () => file('labels.csv', 'image_id,label\na,0\nb,1\nc,2\n');

  it.each([
    ['an empty label', 'image_id,label\na,0\nb,\nc,2\n', 'line 3', /empty label cell/],
    ['a hexadecimal label', 'image_id,label\na,0\nb,0x3\nc,2\n', 'line 3', /not an integer/],
    ['a fractional label', 'image_id,label\na,0\nb,1.5\nc,2\n', 'line 3', /not an integer/],
    ['a negative label', 'image_id,label\na,0\nb,-1\nc,2\n', 'line 3', /below 0/],
  ])('%s in a labels CSV is an error naming file, line and column', async (_name, text, line, message) => {
    const labels = file('labels.csv', text);
    const predictions = file('p.csv', 'image_id,top1\na,0\nb,1\nc,2\n');
    const error = await thrown(() => readGenericPredictions(predictions, { dataset: 'toy', labels }, store));
    expect([error.file, error.record, error.field]).toEqual([labels, line, 'column label']);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['an empty class id', 'image_id,top1,top2\na,0,1\nb,,2\nc,2,0\n', 'column top1', /empty top1 cell/],
    ['a hexadecimal class id', 'image_id,top1,top2\na,0,1\nb,0x1,2\nc,2,0\n', 'column top1', /not an integer/],
    ['a class id beyond the classes', 'image_id,top1,top2\na,0,1\nb,1,3\nc,2,0\n', 'column top2', /outside \[0, 2\]/],
  ])('%s in a predictions CSV names the predictions file', async (_name, text, column, message) => {
    const labels = labelsOk();
    const predictions = file('p.csv', text);
    const error = await thrown(() => readGenericPredictions(predictions, { dataset: 'toy', labels }, store));
    expect([error.file, error.record, error.field]).toEqual([predictions, 'line 3', column]);
    expect(error.message).toMatch(message);
  });

  it('an empty or hexadecimal logit is an error, not 0 or 3', async () => {
    const labels = labelsOk();
    for (const cell of ['', '0x3']) {
      const predictions = file('logits.csv', `image_id,c0,c1,c2\na,1,0,0\nb,0,${cell},0\nc,0,0,1\n`);
      const error = await thrown(() => readGenericPredictions(predictions, { dataset: 'toy', labels }, store));
      expect([error.file, error.record, error.field]).toEqual([predictions, 'line 3', 'column c1']);
    }
  });

  it('an empty, non-decimal or out-of-range frequency is an error naming the line', async () => {
    const labels = Int32Array.from([0, 1]);
    for (const [cell, message] of [
      ['', /empty frequency/],
      ['0x1', /not a number/],
      ['1.5', /outside \[0, 1\]/],
      ['-0.1', /outside \[0, 1\]/],
    ] as const) {
      const csv = file('f.csv', `image_id,frequency\n0,0.5\n1,${cell}\n`);
      const error = await thrown(() => readFrequencies(csv, labels, ['0', '1']));
      expect([error.file, error.record, error.field]).toEqual([csv, 'line 3', 'column frequency']);
      expect(error.message).toMatch(message);
    }
  });
});

describe('parse errors name the file and line', () => {
  it('a CSV row with a missing column', async () => {
    const labels = file('labels.csv', 'image_id,label\na,0\nb\nc,2\n');
    const error = await thrown(() => readLabels({ dataset: 'toy', labels }, store));
    expect([error.kind, error.file, error.record]).toEqual(['data', labels, 'line 3']);
    expect(error.message).toMatch(/different number of columns/);
    expect(error.expected).toBe('2 columns (image_id,label)');
  });

  it('an unterminated quote', async () => {
    const labels = file('labels.csv', 'image_id,label\na,0\n"b,1\nc,2\n');
    const error = await thrown(() => readLabels({ dataset: 'toy', labels }, store));
    expect([error.kind, error.file]).toEqual(['data', labels]);
    expect(error.message).toMatch(/quoted value is never closed/);
    expect(error.record).toMatch(/^line \d+$/);
  });

  it('invalid labels JSON, with its line and column', async () => {
    const labels = file('labels.json', '[0, 1,\n 2,, 3]');
    const error = await thrown(() => readLabels({ dataset: 'toy', labels }, store));
    expect([error.kind, error.file, error.record]).toEqual(['data', labels, 'line 2']);
    expect(error.field).toMatch(/^column \d+$/);
    expect(error.expected).toBe('a JSON array of class ids');
  });

  it('a labels JSON with a non-integer entry', async () => {
    const labels = file('labels.json', '[0, 1, "2"]');
    expect(await thrown(() => readLabels({ dataset: 'toy', labels }, store))).toMatchObject({ file: labels, record: 'index 2', expected: 'an integer ≥ 0' });
  });

  it('a missing frequencies file is an io error naming it', async () => {
    const missing = join(dir, 'nope.csv');
    const error = await thrown(() => readFrequencies(missing, Int32Array.from([0]), ['0']));
    expect([error.kind, error.file]).toEqual(['io', missing]);
  });

  it('an MTurk results CSV with a short row names its line', async () => {
    const csv = file('batch.csv', 'HITId,AssignmentId,WorkerId,AssignmentStatus\nH1,A1,W1,Submitted\nH2,A2,W2\n');
    const error = await thrown(() => importMturkResults(createLabelStore(openSqliteDatabase(':memory:')), csv, { salt: 's' }));
    expect([error.file, error.record]).toEqual([csv, 'line 3']);
  });

  it('through the CLI these are exit 1 with the file and line, never "this is a bug"', async () => {
    const labels = file('labels.csv', 'image_id,label\na,0\nb\n');
    const predictions = file('p.csv', 'image_id,top1\na,0\nb,1\n');
    const r = retest(['import', 'csv', predictions, '--dataset', 'toy', '--labels', labels, '--db', join(dir, 'cli.db')]);
    expect(r.stderr).not.toMatch(/this is a bug/);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`file:     ${labels}`);
    expect(r.stderr).toContain('record:   line 3');
    const json = file('labels.json', '{"not": "an array"');
    const j = retest(['import', 'csv', predictions, '--dataset', 'toy', '--labels', json, '--db', join(dir, 'cli.db')]);
    expect(j.code).toBe(1);
    expect(j.stderr).toContain(`file:     ${json}`);
  });
});

describe('the blame lands on the right file', () => {
  it('a logits CSV with 9 columns for a 10-class set names the predictions, not the labels', async () => {
    const labels = file('labels.csv', `image_id,label\n${Array.from({ length: 10 }, (_, i) => `i${i},${i}`).join('\n')}\n`);
    const header = Array.from({ length: 9 }, (_, c) => `c${c}`).join(',');
    const rows = Array.from({ length: 10 }, (_, i) => `i${i},${Array.from({ length: 9 }, (_, c) => (c === i ? 1 : 0)).join(',')}`).join('\n');
    const predictions = file('logits.csv', `image_id,${header}\n${rows}\n`);
    const error = await thrown(() => readGenericPredictions(predictions, { dataset: 'toy', labels }, store));
    expect(error.file).toBe(predictions);
    expect(error.message).toBe('9 score columns but 10 classes');
  });

  it('a duplicate id in a labels CSV is reported in the labels file', async () => {
    const labels = file('labels.csv', 'image_id,label\na,0\nb,1\na,2\n');
    const predictions = file('p.csv', 'image_id,top1\na,0\nb,1\nc,2\n');
    const error = await thrown(() => readGenericPredictions(predictions, { dataset: 'toy', labels }, store));
    expect([error.file, error.record, error.received]).toEqual([labels, 'line 4', 'also on line 2']);
    expect(error.message).toMatch(/listed twice/);
  });

  it('a float top-k file points at `retest import npy`, a format that exists', async () => {
    const meta = join(dir, 'meta');
    writeImagenetMetadata(meta);
    mkdirSync(join(dir, 'pred', 'imagenetv2-b-33'), { recursive: true });
    writeNpy(join(dir, 'pred', 'imagenetv2-b-33', 'net.npy'), npyArray('<f4', [4, 4], new Float32Array(16)));
    const error = await thrown(() => readImagenetV2Predictions(join(dir, 'pred'), { metadata: meta }));
    expect(error.hint).toContain('`retest import npy');
    expect(error.hint).not.toContain('npy-logits');
  });
});

describe('refused instead of silently accepted', () => {
  it('`retest import npy` of a .csv file (and csv of a .npy) is a usage error', async () => {
    const labels = file('labels.csv', 'image_id,label\na,0\nb,1\n');
    const predictions = file('p.csv', 'image_id,top1\na,0\nb,1\n');
    const r = retest(['import', 'npy', predictions, '--dataset', 'toy', '--labels', labels, '--db', join(dir, 'cli.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reads \.npy files/);
    expect(r.stderr).toContain('retest import csv');
    const npy = join(dir, 'p.npy');
    writeNpy(npy, npyArray('<i8', [2], BigInt64Array.from([0n, 1n])));
    expect(retest(['import', 'csv', npy, '--dataset', 'toy', '--labels', labels, '--db', join(dir, 'cli.db')]).code).toBe(2);
  });

  it('a top-k array of shape (N, 0) is refused', async () => {
    const meta = join(dir, 'meta');
    writeImagenetMetadata(meta);
    mkdirSync(join(dir, 'pred', 'imagenetv2-b-33'), { recursive: true });
    const empty = join(dir, 'pred', 'imagenetv2-b-33', 'net.npy');
    writeNpy(empty, npyArray('<i8', [4, 0], new BigInt64Array(0)));
    const error = await thrown(() => readImagenetV2Predictions(join(dir, 'pred'), { metadata: meta }));
    expect([error.file, error.field]).toEqual([empty, 'shape']);
    expect(error.message).toMatch(/no class per row/);
  });

  it('a dangling symbolic link in an import root is a data error naming the link', async () => {
    const meta = join(dir, 'meta');
    writeImagenetMetadata(meta);
    const root = join(dir, 'pred');
    writeTopk(root, 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 3, 0]));
    symlinkSync(join(dir, 'gone'), join(root, 'imagenetv2-a-44'));
    const error = await thrown(() => readImagenetV2Predictions(root, { metadata: meta }));
    expect([error.kind, error.file]).toEqual(['data', join(root, 'imagenetv2-a-44')]);
    expect(error.message).toMatch(/broken symbolic link/);
    const r = retest(['import', 'imagenetv2', root, '--metadata', meta, '--db', join(dir, 'cli.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('imagenetv2-a-44');
  });
});
