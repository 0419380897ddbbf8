/**
 * `retest eval` as a user runs it: image-folder datasets, resuming after SIGKILL, bad input.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCifarBin, writeCifarBin } from '../../src/formats/index.ts';
import { encodePng } from '../../src/formats/image-io.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { padModelOutput } from '../helpers/onnx-edit.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');

function retest(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function predictions(db: string): { idx: number; top1: number | null; topk: string | null; scores: string | null }[] {
  const handle = new Database(db, { readonly: true });
  const rows = handle.prepare('SELECT idx, top1, topk, scores FROM predictions ORDER BY idx').all() as {
    idx: number;
    top1: number | null;
    topk: string | null;
    scores: string | null;
  }[];
  handle.close();
  return rows;
}

describeWithData('retest eval from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-eval-cli-'));
  const bin1000 = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
  const resnet20 = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');

  describe('a class-index folder tree of PNGs', () => {
    const tree = join(dir, 'png-tree');
    const model12 = join(dir, 'resnet20_pad12.onnx');
    beforeAll(async () => {
      const arrays = readCifarBin(bin1000);
      // 12 folders: "10" and "11" sort between "1" and "2" as strings.
      for (let c = 0; c < 12; c++) mkdirSync(join(tree, String(c)), { recursive: true });
      for (let i = 0; i < arrays.count; i++) {
        const png = await encodePng({ data: arrays.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 });
        writeFileSync(join(tree, String(arrays.labels[i]), `test_${String(i).padStart(4, '0')}.png`), png);
      }
      // One image each in folders 10 and 11 (the model never predicts those classes).
      const first = await encodePng({ data: arrays.pixels.subarray(0, 3072), width: 32, height: 32 });
      writeFileSync(join(tree, '10', 'extra_a.png'), first);
      writeFileSync(join(tree, '11', 'extra_b.png'), first);
      writeFileSync(model12, padModelOutput(resnet20, 2));
    });

    it('gives the same correct counts as the .bin file (915/1000), with the folders read numerically', () => {
      const db = join(dir, 'tree.db');
      const r = retest(['eval', '--model', model12, '--size', '32', '--resize', '32', '--dataset', tree, '--db', db, '--json']);
      expect(r.stderr).not.toMatch(/bug/);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout.trim());
      expect(summary.n).toBe(1002);
      expect(summary.failed).toBe(0);
      expect(summary.top1.correct).toBe(915);
      // The same model on the .bin gives the same count.
      const fromBin = JSON.parse(retest(['eval', '--model', resnet20, '--dataset', bin1000, '--db', db, '--json']).stdout.trim());
      expect(fromBin.top1.correct).toBe(915);
      expect(fromBin.top5.correct).toBe(summary.top5.correct);
    });

    it('records an unreadable image with its path and reason, counts it as failed, and goes on', () => {
      const broken = join(dir, 'broken-tree');
      for (let c = 0; c < 12; c++) mkdirSync(join(broken, String(c)), { recursive: true });
      copyFileSync(join(tree, '3', 'test_0000.png'), join(broken, '3', 'good.png'));
      writeFileSync(join(broken, '5', 'bad.png'), Buffer.from('this is not a png'));
      const db = join(dir, 'broken.db');
      const r = retest(['eval', '--model', model12, '--size', '32', '--resize', '32', '--dataset', broken, '--db', db, '--json']);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout.trim());
      expect(summary).toMatchObject({ n: 2, failed: 1, top1: { correct: 1 } });
      const handle = new Database(db, { readonly: true });
      const failure = handle.prepare('SELECT error FROM predictions WHERE error IS NOT NULL').get() as { error: string };
      handle.close();
      expect(failure.error).toContain(join(broken, '5', 'bad.png'));
      // --fail-fast stops and names the file; exit code 1 (a data error).
      const ff = retest(['eval', '--model', model12, '--size', '32', '--resize', '32', '--dataset', broken, '--db', join(dir, 'ff.db'), '--fail-fast']);
      expect(ff.code).toBe(1);
      expect(ff.stderr).toContain('bad.png');
    });
  });

  it('resumes after SIGKILL with exactly the predictions of a clean run', async () => {
    // 3,000 of the JPEG-decoded test images, in batches of 50: slow enough to kill halfway.
    const arrays = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_jpeg10000.bin'));
    const count = 3000;
    const subset = join(dir, 'subset3000.bin');
    writeCifarBin(subset, { count, labels: arrays.labels.slice(0, count), pixels: arrays.pixels.slice(0, count * 3072) });
    const args = (db: string) => ['eval', '--model', resnet20, '--dataset', subset, '--db', db, '--batch-size', '50', '--threads', '1', '--json'];

    const clean = join(dir, 'clean.db');
    expect(retest(args(clean)).code).toBe(0);

    const killed = join(dir, 'killed.db');
    const child = spawn(process.execPath, [BIN, ...args(killed)], { stdio: 'ignore' });
    let written = 0;
    for (let i = 0; i < 600 && written < count / 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        const h = new Database(killed, { readonly: true, fileMustExist: true });
        written = (h.prepare('SELECT count(*) AS n FROM predictions').get() as { n: number }).n;
        h.close();
      } catch {
        /* not created yet */
      }
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = predictions(killed).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(count);
    expect(partial % 50).toBe(0); // whole batches only

    const resumed = retest(args(killed));
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout.trim()).n).toBe(count);
    const a = predictions(clean);
    const b = predictions(killed);
    expect(b).toHaveLength(count);
    expect(b).toEqual(a);

    // A finished run answers from the store without running the model again.
    const again = retest(args(killed));
    expect(JSON.parse(again.stdout.trim())).toEqual(JSON.parse(resumed.stdout.trim()));
  }, 300_000);

  describe('bad input', () => {
    it('a truncated .bin names the byte offset', () => {
      const bytes = readCifarBin(bin1000);
      const truncated = join(dir, 'truncated.bin');
      writeCifarBin(truncated, { count: 3, labels: bytes.labels.slice(0, 3), pixels: bytes.pixels.slice(0, 3 * 3072) });
      truncateSync(truncated, 3073 * 2 + 100);
      const r = retest(['eval', '--model', resnet20, '--dataset', truncated, '--db', join(dir, 'bad.db')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('truncated.bin');
      expect(r.stderr).toMatch(/6146/); // the offset where the incomplete record starts
    });

    it('non-finite outputs are an error naming the image, and nothing of that batch is stored', () => {
      const db = join(dir, 'nan.db');
      // (x − 1e38) / 1e-38 overflows float32: the model sees −∞ and answers NaN. (A std of 0 is refused.)
      const r = retest([
        'eval',
        '--model',
        resnet20,
        '--dataset',
        bin1000,
        '--db',
        db,
        '--mean',
        '1e38,1e38,1e38',
        '--std',
        '1e-38,1e-38,1e-38',
        '--batch-size',
        '100',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/image 0/);
      expect(predictions(db)).toHaveLength(0);
    });

    it('a model whose classes do not match the test set is refused before running', () => {
      const r = retest(['eval', '--model', join(SHARED_MODELS, 'mobilenet_v2_random_224.onnx'), '--dataset', bin1000, '--db', join(dir, 'mismatch.db')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/1000 classes/);
      expect(r.stderr).toMatch(/has 10/);
    });

    it('a missing model file is a usage error (exit 2)', () => {
      const r = retest(['eval', '--model', join(dir, 'nope.onnx'), '--dataset', bin1000, '--db', join(dir, 'x.db')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nope.onnx');
    });

    it('a bad sidecar field is named with the value found and where the fields are documented', () => {
      const sidecar = join(dir, 'bad-sidecar.json');
      writeFileSync(sidecar, JSON.stringify({ input: { layout: 'NCWH' } }));
      const r = retest(['eval', '--model', resnet20, '--dataset', bin1000, '--sidecar', sidecar, '--db', join(dir, 'sidecar.db')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('field:    input.layout');
      expect(r.stderr).toContain('expected: "NCHW" | "NHWC"');
      expect(r.stderr).toContain('received: "NCWH"');
      expect(r.stderr).toContain('docs/evaluation.md');
    });
  });
});
