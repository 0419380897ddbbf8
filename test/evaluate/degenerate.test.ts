/**
 * Degenerate results are not results, and misuse is a clear error: a 0-image set has no accuracy
 * (null, not 0); a folder given as --model is a usage error.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/evaluate/index.ts';
import { writeCifar101 } from '../../src/formats/index.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
const retest = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });

describe('summarize', () => {
  it('gives accuracy null for a set of 0 images, with the closed-form interval', () => {
    const s = summarize({ runId: 1, model: 'm', dataset: 'empty', n: 0, failed: 0, top1Correct: 0, top5Correct: 0, imagesPerSecond: null, datasetVersion: 1 });
    expect(s.top1).toEqual({ correct: 0, accuracy: null, ci95: [0, 1] });
    expect(s.top5!.accuracy).toBeNull();
    expect(
      summarize({ runId: 1, model: 'm', dataset: 'x', n: 4, failed: 0, top1Correct: 1, top5Correct: null, imagesPerSecond: null, datasetVersion: null }).top1
        .accuracy,
    ).toBe(0.25);
  });
});

describeWithData('retest eval on degenerate input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-degenerate-'));
  const resnet20 = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');

  it('an NPY pair of 0 images reports accuracy null', () => {
    const prefix = join(dir, 'empty');
    writeCifar101(prefix, { count: 0, pixels: new Uint8Array(0), labels: [] });
    const r = retest(['eval', '--model', resnet20, '--dataset', `${prefix}_data.npy`, '--db', join(dir, 'r.db'), '--json']);
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.n).toBe(0);
    expect(summary.top1.accuracy).toBeNull();
    const text = retest(['eval', '--model', resnet20, '--dataset', `${prefix}_data.npy`, '--db', join(dir, 'r.db')]);
    expect(text.stdout).toMatch(/top-1\s+— %/);
  });

  it('--json prints the documented snake_case lines, byte for byte (one run; a matrix: cells, then the summary)', () => {
    const prefix = join(dir, 'empty2');
    writeCifar101(prefix, { count: 0, pixels: new Uint8Array(0), labels: [] });
    const db = join(dir, 'bytes.db');
    const resnet32 = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet32.onnx');
    const counts = '"n":0,"failed":0,"top1":{"correct":0,"accuracy":null,"ci95":[0,1]},"top5":{"correct":0,"accuracy":null,"ci95":[0,1]}';
    const one = retest(['eval', '--model', resnet20, '--dataset', `${prefix}_data.npy`, '--db', db, '--json']);
    expect(one.stdout).toBe(`{"model":"akamaster_resnet20","dataset":"empty2",${counts},"images_per_second":null,"dataset_version":1}\n`);
    const matrix = retest(['eval', '--model', resnet20, resnet32, '--dataset', `${prefix}_data.npy`, '--db', db, '--json']);
    expect(matrix.status).toBe(0);
    expect(matrix.stdout.replace(/"seconds":[0-9.e-]+,/, '"seconds":S,')).toBe(
      `{"model":"akamaster_resnet20","dataset":"empty2",${counts},"images_per_second":null,"dataset_version":1,"run_id":1,"from_store":true,"provider":null,"model_path":"${resnet20}"}\n` +
        `{"model":"akamaster_resnet32","dataset":"empty2",${counts},"images_per_second":null,"dataset_version":1,"run_id":2,"from_store":false,"provider":"cpu","model_path":"${resnet32}"}\n` +
        '{"summary":true,"cells":2,"models":2,"datasets":1,"from_store":1,"evaluated":1,"predictions":0,"seconds":S,"predictions_per_second":null,"provider":"cpu","batch_size":128}\n',
    );
  });

  it('--model a folder is a usage error naming it', () => {
    const folder = join(dir, 'models');
    mkdirSync(folder);
    const r = retest(['eval', '--model', folder, '--dataset', join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'), '--db', join(dir, 'm.db')]);
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--model is a folder/);
    expect(r.stderr).toContain(`file:     ${folder}`);
  });
});
